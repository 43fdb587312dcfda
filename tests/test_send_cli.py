"""`linkletter send` and `linkletter status` as a person (or cron) runs them: the real CLI in a
subprocess, a real SMTP server in this process, SIGKILL in the middle of a send."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter

from pipeline.draft.format import read_draft
from pipeline.newsletter import open_newsletter
from tests.conftest import clean_env, run_cli
from tests.smtp import free_port
from tests.smtp_behaviours import CountingSink, Slow, add_subscribers, server_with, write_draft


def _env(nl_dir, **settings):
    return clean_env(LINKLETTER_DIR=str(nl_dir), **{f"LINKLETTER_{k.upper()}": str(v) for k, v in settings.items()})


def test_sigkill_mid_send_then_resume_mails_everyone_with_at_most_one_repeat_per_connection(nl_dir):
    draft = write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 300)
    with server_with(Slow(0.004)) as smtp:
        env = _env(nl_dir, smtp_url=smtp.url, smtp_connections=4)
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "send", "7", "--force"], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            smtp.wait_for(40, timeout=60)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        at_kill = len(smtp.messages)
        assert at_kill < 300, "the send finished before it could be killed"
        # an edit after the start must not reach anyone
        draft.write_text(draft.read_text().replace("Take your time", "EDITED AFTER THE KILL"))
        status = run_cli("status", "7", env=env).stdout
        assert "Issue 7: sending" in status and "(that process is gone)" in status
        resumed = run_cli("send", "7", "--force", env=env)
        got = list(smtp.messages)
        again = run_cli("send", "7", "--force", env=env)
        assert len(smtp.messages) == len(got)
    counts = Counter(r for m in got for r in m.rcpt_tos)
    assert set(counts) == {f"reader{i}@example.net" for i in range(300)}
    assert sum(n - 1 for n in counts.values()) <= 4
    assert all("EDITED" not in m.message.get_body(("plain",)).get_content() for m in got)
    assert "Every delivery is done" in resumed.stdout
    assert "already sent" in again.stdout
    assert read_draft(draft).status == "sent"
    assert "sent: 300" in run_cli("status", env=_env(nl_dir)).stdout


def test_send_without_a_terminal_never_prompts_and_reports(nl_dir):
    write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 3)
    add_subscribers(nl.engine, 1, start=9, status="pending")
    env = _env(nl_dir)
    assert "Issue 7 would go to 3 subscribers." in run_cli("send", "7", "--force", "--dry-run", env=env).stdout
    out = run_cli("send", "007-on-slowness.md", "--force", env=env).stdout
    assert "Issue 7: 3 sent, 0 failed (0 bounced), 0 pending" in out
    assert len(list((nl_dir / "outbox").glob("issue-0007-sub-*.eml"))) == 3
    status = run_cli("status", "7", env=env).stdout
    assert "Issue 7: sent" in status and "sent: 3" in status


def test_send_test_mails_one_marked_copy(nl_dir):
    write_draft(nl_dir)
    with server_with(Slow(0)) as smtp:
        out = run_cli("send", "7", "--force", "--test", "author@example.org", env=_env(nl_dir, smtp_url=smtp.url)).stdout
        (got,) = smtp.wait_for(1)
    assert "Test mail sent" in out
    assert got.message["Subject"].startswith("[Test] ") and got.rcpt_tos == ["author@example.org"]
    assert "already" not in run_cli("send", "7", "--force", "--dry-run", env=_env(nl_dir)).stdout


def test_workers_split_the_send_without_repeats(nl_dir):
    write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 800)
    with CountingSink() as sink:
        out = run_cli("send", "7", "--force", "--workers", "2", env=_env(nl_dir, smtp_url=sink.url, smtp_connections=4)).stdout
        got = Counter(r for r, _m in sink.received)
    assert len(got) == 800 and set(got.values()) == {1}
    assert "this run sent 800" in out


def test_bad_input_is_a_message_not_a_traceback(nl_dir):
    write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 1)
    missing = run_cli("send", "99", env=_env(nl_dir), check=False)
    assert missing.returncode == 1 and "no draft '99'" in missing.stderr and "Traceback" not in missing.stderr
    down = run_cli("send", "7", "--force", env=_env(nl_dir, smtp_url=f"smtp://127.0.0.1:{free_port()}?tls=none"), check=False)
    assert down.returncode == 1 and "cannot reach the mail server" in down.stderr
    assert "Traceback" not in down.stderr
    nothing = run_cli("status", env=_env(nl_dir), check=False)
    assert nothing.returncode == 1 and "no issue has been sent yet" in nothing.stderr


def test_on_a_terminal_send_asks_first_and_shows_a_progress_bar(nl_dir):
    import os
    import pty
    import select

    write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 3)
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal, 100 columns wide
        import fcntl
        import struct
        import termios

        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execve(sys.executable, [sys.executable, "-m", "pipeline", "send", "7", "--force"], _env(nl_dir))
    out, answered = b"", False
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if not answered and b"[y/N]" in out:
            os.write(fd, b"y\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    text = out.decode("utf-8", "replace")
    assert os.WEXITSTATUS(status) == 0, text
    assert "Send issue 7 to 3 subscribers? [y/N]" in text
    assert "3/3" in text and "mail" in text  # tqdm: count, unit, rate and ETA
    assert "Issue 7: 3 sent" in text


def test_sigkill_of_a_send_with_worker_processes_stops_them_and_resumes(nl_dir):
    write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 300)
    with server_with(Slow(0.004)) as smtp:
        env = _env(nl_dir, smtp_url=smtp.url, smtp_connections=4)
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "send", "7", "--force", "--workers", "2"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            smtp.wait_for(40, timeout=60)
        finally:
            proc.send_signal(signal.SIGKILL)  # the coordinator only; its worker processes must notice
            proc.wait(10)
        settled, seen = 0, -1
        while settled < 10:  # until the orphaned workers have stopped sending
            time.sleep(0.1)
            settled = settled + 1 if len(smtp.messages) == seen else 0
            seen = len(smtp.messages)
        assert seen < 300, "the send finished before it could be killed"
        out = run_cli("send", "7", "--force", "--workers", "2", env=env).stdout
        got = list(smtp.messages)
    counts = Counter(r for m in got for r in m.rcpt_tos)
    assert set(counts) == {f"reader{i}@example.net" for i in range(300)}
    assert sum(n - 1 for n in counts.values()) <= 4
    assert "Every delivery is done" in out
