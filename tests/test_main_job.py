"""The main job (`linkletter run`) as a real subprocess: scheduler + web server, real SMTP and
HTTP servers on loopback. A ready draft goes out exactly once; SIGTERM mid-send and a restart
deliver the rest; two processes on one database never send an issue twice."""

from __future__ import annotations

import collections
import contextlib
import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.draft.format import read_draft
from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.subscribers import add_subscriber
from tests.conftest import clean_env, run_cli
from tests.smtp import SmtpServer, free_port

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Blog</title>
<link>{base}/</link><description>d</description>
<item><title>A page</title><link>{base}/page</link><guid>p1</guid></item></channel></rss>"""
PAGE = "<html><head><title>A page</title></head><body><article><p>Quiet words about reading.</p></article></body></html>"


@pytest.fixture
def sources(httpserver):
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/feed.xml").respond_with_data(FEED.format(base=base), content_type="application/rss+xml")
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    return base


def make_letter(tmp_path: Path, subscribers: int) -> Path:
    root = init_newsletter(tmp_path / "letter", title="Slow Reads", sender="Slow Reads <news@example.org>")
    nl = open_newsletter(root, env={})
    try:
        for i in range(subscribers):
            add_subscriber(nl, f"reader{i:04d}@example.net", name=f"Reader {i}", status="active")
    finally:
        nl.close()
    return root


def write_ready_draft(root: Path, base: str) -> Path:
    path = root / "drafts" / "001-first.md"
    path.write_text(
        "---\nissue: 1\ntitle: \"Slow Reads #1\"\nsubject: Über Geduld\nstatus: ready\n"
        "send_at: 2026-01-01T07:00:00+01:00\n---\n\n"
        f"This week: one [quiet page]({base}/page) about reading.\n", encoding="utf-8")
    return path


def start(root: Path, env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "--dir", str(root), "run", "--port", str(port)],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def wait_until(cond, what: str, timeout: float = 60.0, procs: list[subprocess.Popen] = ()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"`linkletter run` exited {p.returncode} while waiting for {what}:\n{p.stdout.read()}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def job_run(root: Path, job_id: str) -> tuple[str, str] | None:
    """(last_run_at, last_result) of a job, as `linkletter jobs` reads them."""
    with contextlib.closing(sqlite3.connect(root / "linkletter.db")) as db:
        return db.execute("SELECT last_run_at, last_result FROM job_runs WHERE job_id = ?", (job_id,)).fetchone()


def wait_for_send_checks(root: Path, n: int, procs: list[subprocess.Popen]) -> None:
    """Until n runs of the send job that started after now have finished."""
    before = job_run(root, "send")
    finished: set[str] = set()

    def done() -> bool:
        row = job_run(root, "send")
        if row and row[1] != "running" and (before is None or row[0] != before[0]):
            finished.add(row[0])
        return len(finished) >= n

    wait_until(done, f"{n} more send checks", procs=procs)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> str:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=20)  # a liveness bound, not a measurement
    return out


def recipients(smtp: SmtpServer) -> collections.Counter:
    with smtp.lock:
        return collections.Counter(r for m in smtp.messages for r in m.rcpt_tos)


def env_for(smtp: SmtpServer, sources: str, **extra: str) -> dict:
    return clean_env(LINKLETTER_SMTP_URL=smtp.url, LINKLETTER_SOURCES=f"{sources}/feed.xml",
                     LINKLETTER_SCHEDULE=json.dumps({"collect": "2s", "send": "1s"}), **extra)


def test_ready_draft_is_sent_once_survives_sigterm_and_lands_in_the_feed(tmp_path, sources):
    n = 120
    root = make_letter(tmp_path, n)
    draft = write_ready_draft(root, sources)
    port = free_port()
    with SmtpServer() as smtp:
        # at 10 messages a second the send runs for 12 s, so the SIGTERM after the first 20 lands
        # in the middle even on a loaded machine (the second run sends at full speed)
        env = env_for(smtp, sources, LINKLETTER_SMTP_RATE="10", LINKLETTER_SMTP_CONNECTIONS="2")
        proc = start(root, env, port)
        wait_until(lambda: sum(recipients(smtp).values()) >= 20, "the first messages", procs=[proc])
        out = stop(proc)
        assert proc.returncode == 0, out
        first = recipients(smtp)
        assert 20 <= len(first) < n, "the send should have been interrupted in the middle"
        assert read_draft(draft).status == "ready"

        proc = start(root, env_for(smtp, sources, LINKLETTER_SMTP_CONNECTIONS="2"), port)
        try:
            wait_until(lambda: read_draft(draft).status == "sent", "the draft to be marked sent", procs=[proc])
            got = recipients(smtp)
            assert set(got) == {f"reader{i:04d}@example.net" for i in range(n)}, "somebody was left out"
            assert sum(got.values()) - n <= 2, "more duplicates than messages that can be in flight"

            # the site was rebuilt after the send: the feed served by the same process holds the issue
            def feed_has_issue() -> bool:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.xml") as r:
                        return "Slow Reads #1" in r.read().decode()
                except OSError:  # the web server may still be starting
                    return False

            wait_until(feed_has_issue, "the feed to hold the issue", procs=[proc])
            total = sum(got.values())
            wait_for_send_checks(root, 3, [proc])  # three more send checks: nothing goes out again
            assert sum(recipients(smtp).values()) == total

            shown: list[str] = []

            def jobs_show_the_collect_result() -> bool:
                # A collect runs every 2 s; while one runs, `jobs` says 'running' for it, so look
                # again until a finished one is shown.
                shown[:] = [run_cli("--dir", str(root), "jobs", env=env_for(smtp, sources)).stdout]
                return "Polled 1 source(s)" in shown[0]

            wait_until(jobs_show_the_collect_result, "`linkletter jobs` to show a finished collect", procs=[proc])
            assert "collect" in shown[0] and "send" in shown[0] and "next run:" in shown[0]
        finally:
            out = stop(proc)
        assert proc.returncode == 0, out
        assert "job send" in out  # job results are logged with the job's name


def test_two_run_processes_on_one_database_send_each_subscriber_once(tmp_path, sources):
    n = 80
    root = make_letter(tmp_path, n)
    draft = write_ready_draft(root, sources)
    with SmtpServer() as smtp:
        env = env_for(smtp, sources, LINKLETTER_SMTP_RATE="60")
        procs = [start(root, env, free_port()), start(root, env, free_port())]
        try:
            wait_until(lambda: read_draft(draft).status == "sent" and len(recipients(smtp)) == n,
                       "the issue to be sent", procs=procs)
            wait_for_send_checks(root, 3, procs)  # later checks, in either process, send nothing again
        finally:
            outs = [stop(p) for p in procs]
        got = recipients(smtp)
        assert len(got) == n
        assert max(got.values()) == 1, [a for a, c in got.items() if c > 1]
        assert all(p.returncode == 0 for p in procs), outs


def test_a_failing_job_is_logged_and_visible_without_killing_the_scheduler(tmp_path, sources):
    root = make_letter(tmp_path, 1)
    broken = root / "drafts" / "001-broken.md"
    broken.write_text("---\nissue: 1\nstatus: whenever\n---\nbody\n", encoding="utf-8")
    port = free_port()
    with SmtpServer() as smtp:
        env = env_for(smtp, sources)
        proc = start(root, env, port)
        try:
            def failed_twice() -> bool:
                jobs = subprocess.run([sys.executable, "-m", "pipeline", "--dir", str(root), "jobs"], env=env,
                                      capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60).stdout
                # the job fails about once a second, so the count may pass 2 between two looks
                counts = [int(n) for n in re.findall(r"failed (\d+) time\(s\) in a row", jobs)]
                return any(n >= 2 for n in counts) and "001-broken.md:3" in jobs

            wait_until(failed_twice, "the send job to fail twice", procs=[proc])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/subscribe") as r:
                assert r.status == 200  # the web server is still up
        finally:
            out = stop(proc)
        assert "job send failed" in out and "001-broken.md:3" in out
        assert proc.returncode == 0


def test_sigterm_during_a_collect_that_hangs_stops_the_process_promptly(tmp_path):
    root = make_letter(tmp_path, 0)
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)
    hang.settimeout(60)  # a liveness bound for the collect to connect
    try:
        port = hang.getsockname()[1]
        env = clean_env(LINKLETTER_SOURCES=f"http://127.0.0.1:{port}/feed.xml", LINKLETTER_FETCH_TIMEOUT="120",
                        LINKLETTER_SCHEDULE=json.dumps({"collect": "1s", "send": "1m"}))
        proc = start(root, env, free_port())
        conn, _ = hang.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:  # the whole request is in: it now waits for an answer that never comes
                chunk = conn.recv(4096)
                assert chunk, "the collect closed its request before the stop"
                request += chunk
            assert request.startswith(b"GET /feed.xml ")
            assert job_run(root, "collect")[1] == "running"
            out = stop(proc)  # without a stoppable collect this waits out the 120 s timeout and fails
        assert proc.returncode == 0, out
        # the collect ended as stopped, with the source left for the next start, and says so
        result = job_run(root, "collect")[1]
        assert "Stopped early: 1 source(s)" in result, result
        assert "job collect: Polled 0 source(s)" in out and "Stopped early: 1 source(s)" in out, out
    finally:
        hang.close()
