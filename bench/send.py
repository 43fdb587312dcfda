"""Benchmark: personalized issue mails per second into postfix's smtp-sink on loopback, as a
ratio to postfix's own smtp-source sending the same number of messages of the same size over
the same number of connections, measured in the same run.

    .venv/bin/python bench/send.py                      # 100,000 messages, 4 connections
    .venv/bin/python bench/send.py --count 20000 --workers 2 --connections 4
    .venv/bin/python bench/send.py --profile 5000       # where the time goes (one connection, cProfile)

The issue is the long German fixture issue, its text repeated until the MIME message is
~60 KB. Subscribers are fresh rows in a SQLite file; the whole `send_issue` is timed (freezing
the issue, enqueueing every delivery, sending, and recording each message as sent).
Postfix is not installed: `../shared/bench/smtp_limit.sh` fetches its Debian package into a cache.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LIMIT = ROOT.parent / "shared" / "bench" / "smtp_limit.sh"
FIXTURE = ROOT / "tests" / "fixtures" / "render" / "drafts" / "012-langsamkeit.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"smtp-sink did not start on port {port}")


def reference(count: int, size: int, connections: int) -> float:
    out = subprocess.run(["bash", str(LIMIT), "limit", str(count), str(size), str(connections), str(free_port())],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"([\d.]+) messages/s", out).group(1))


def make_newsletter(tmp: Path, count: int, sink_port: int, connections: int, target_size: int):
    from sqlalchemy import insert

    from pipeline.models import Subscriber, utcnow
    from pipeline.newsletter import init_newsletter, open_newsletter

    root = init_newsletter(tmp / "news", title="Wöchentliche Lektüre", language="de",
                           sender="Wöchentliche Lektüre <post@example.org>", base_url="https://lektuere.example.org")
    text = FIXTURE.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    draft = root / "drafts" / FIXTURE.name
    draft.write_text(head.replace("status: sent", "status: ready") + "\n---\n" + body, encoding="utf-8")
    env = {"LINKLETTER_SMTP_URL": f"smtp://127.0.0.1:{sink_port}?tls=none",
           "LINKLETTER_SMTP_CONNECTIONS": str(connections)}
    nl = open_newsletter(root, env=env)
    # grow the issue to the target size by repeating its body
    from pipeline.render.email import render_issue
    from pipeline.send.campaign import template_bytes

    size = len(template_bytes(nl.settings, render_issue(nl, draft)))
    if size < target_size:  # append whole paragraphs of the body again until the target size
        extra = body[: int(len(body) * (target_size - size) / size)]
        extra = extra[: extra.rfind("\n\n") + 1] if "\n\n" in extra else extra
        draft.write_text(head.replace("status: sent", "status: ready") + "\n---\n" + body + "\n" + extra,
                         encoding="utf-8")
    now = utcnow()
    t = Subscriber.__table__
    with nl.engine.begin() as conn:
        for start in range(0, count, 20_000):
            conn.execute(insert(t), [{"email": f"leser{i}@example.net", "name": f"Leserin Nr. {i}", "status": "active",
                                      "created_at": now, "confirmed_at": now, "consent_source": "import"}
                                     for i in range(start, min(count, start + 20_000))])
    return nl, draft


def mime_size(nl, draft) -> int:
    from pipeline.render.email import render_issue
    from pipeline.send.campaign import template_bytes

    return len(template_bytes(nl.settings, render_issue(nl, draft)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--size", type=int, default=61_440, help="target MIME size in bytes (default ~60 KB)")
    ap.add_argument("--profile", type=int, metavar="N", help="profile N messages over one connection instead")
    ap.add_argument("--build", action="store_true", help="only compare ways to build one personalized message")
    args = ap.parse_args()
    if args.build:
        return build_costs(args.size)

    from pipeline.send import campaign

    port = free_port()
    sink = subprocess.Popen(["bash", str(LIMIT), "sink", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    tmp = Path(tempfile.mkdtemp(prefix="linkletter-bench-send-"))
    try:
        wait_port(port)
        count = args.profile or args.count
        nl, draft = make_newsletter(tmp, count, port, 1 if args.profile else args.connections, args.size)
        if args.profile:
            return profile(nl, draft, count)
        import resource

        # the reference runs before and after ours (the machine is shared; this evens out drift)
        ref_before = reference(count, mime_size(nl, draft), args.connections)

        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        report = campaign.send_issue(nl, draft, workers=args.workers, force=True)
        elapsed = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        sys_share = (r1.ru_stime - r0.ru_stime) / cpu if cpu else 0.0
        with nl.engine.connect() as conn:
            from sqlalchemy import text

            first, last = conn.execute(text("SELECT min(sent_at), max(sent_at) FROM deliveries")).one()
        from datetime import datetime

        span = (datetime.fromisoformat(str(last)) - datetime.fromisoformat(str(first))).total_seconds()
        with nl.engine.connect() as conn:
            from pipeline.store import issues

            mime = len(issues.issue_by_number(conn, report.issue)["frozen_mime"])
        assert report.sent == count and report.finished, report.summary()
        ours = count / elapsed
        ref = (ref_before + reference(count, mime, args.connections)) / 2
        print(f"linkletter send: {count} personalized messages of {mime} bytes, {args.connections} connections, "
              f"{args.workers} worker process(es): {elapsed:.1f} s, {ours:.0f} messages/s")
        print(f"  of which sending (first to last message accepted): {span:.1f} s, {count / span:.0f} messages/s; "
              f"CPU of this process: {cpu / count * 1e6:.0f} µs per message ({sys_share:.0%} in the kernel)" + (" (workers not counted)" if args.workers > 1 else ""))
        print(f"smtp-source -> smtp-sink, same count, size and connections (mean of a run before and after): "
              f"{ref:.0f} messages/s")
        print(f"ratio: {ours / ref:.2f} of the loopback limit")
    finally:
        import os
        import signal

        os.killpg(sink.pid, signal.SIGTERM)
        sink.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def build_costs(size: int) -> None:
    """Per-message cost of three ways to personalize the issue (no network, no database)."""
    import base64
    import timeit

    from pipeline.render import UNSUBSCRIBE_PLACEHOLDER
    from pipeline.render.email import build_message, render_issue
    from pipeline.send.campaign import template_bytes
    from pipeline.send.message import MessageTemplate
    from pipeline.tokens import unsubscribe_url

    tmp = Path(tempfile.mkdtemp(prefix="linkletter-bench-build-"))
    try:
        nl, draft = make_newsletter(tmp, 1, free_port(), 1, size)
        rendered = render_issue(nl, draft)
        template = MessageTemplate.from_settings(nl.settings, template_bytes(nl.settings, rendered), rendered.issue)
        url = unsubscribe_url(nl.settings, 12345)

        def email_message():
            from dataclasses import replace

            r = replace(rendered, html=rendered.html.replace(UNSUBSCRIBE_PLACEHOLDER, url),
                        text=rendered.text.replace(UNSUBSCRIBE_PLACEHOLDER, url))
            return build_message(nl, r, to="Leserin Nr. 12345 <leser12345@example.net>").as_bytes()

        def base64_parts():
            html = base64.encodebytes(rendered.html.replace(UNSUBSCRIBE_PLACEHOLDER, url).encode())
            text = base64.encodebytes(rendered.text.replace(UNSUBSCRIBE_PLACEHOLDER, url).encode())
            return html.replace(b"\n", b"\r\n") + text.replace(b"\n", b"\r\n")

        def template_fill():
            return template.fill_stuffed(12345, "leser12345@example.net", "Leserin Nr. 12345")

        size_now = len(template_fill())
        for name, fn, n in (("EmailMessage built and serialized per subscriber (render's build_message)",
                             email_message, 100),
                            ("both parts base64-encoded per subscriber (encoding only)", base64_parts, 2000),
                            ("frozen QP template filled per subscriber, dot-stuffed (what send uses)", template_fill,
                             20000)):
            per = min(timeit.repeat(fn, number=n, repeat=3)) / n
            print(f"{name}: {per * 1e6:,.0f} µs per message")
        print(f"(message size {size_now} bytes)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class DirectRecorder:
    """The recorder's writes run in the calling thread, so cProfile sees them too."""

    def __init__(self, engine):
        self.conn = engine.connect()

    def write(self, fn):
        result = fn(self.conn)
        self.conn.commit()
        return result

    def write_many(self, fn, item):
        fn(self.conn, [item])
        self.conn.commit()


def profile(nl, draft, count: int) -> None:
    """Freeze and enqueue, then run one connection loop in this thread under cProfile."""
    import threading

    from pipeline.send import campaign

    stop = threading.Event()
    stop.set()
    campaign.send_issue(nl, draft, stop_event=stop, force=True)  # frozen and queued, nothing sent
    with nl.engine.connect() as conn:
        from pipeline.store import issues

        row = issues.issue_by_number(conn, 12)
    from pipeline.send import workers
    from pipeline.send.identity import new_owner

    template, number = workers.load_template(nl.settings, nl.engine, row["id"])
    work = workers.Work(settings=nl.settings, engine=nl.engine, issue_id=row["id"], issue_number=number,
                        owner=new_owner(), template=template, signer=None, options=workers.SendOptions(),
                        stop=threading.Event(), limiter=workers.SendPacer(0), recorder=DirectRecorder(nl.engine))
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(workers.connection_loop, work, 0)
    elapsed = time.perf_counter() - t0
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(18)
    print(f"{work.sent_now} messages over one connection in {elapsed:.1f} s under cProfile "
          f"({work.sent_now / elapsed:.0f}/s, {elapsed / max(work.sent_now, 1) * 1e6:.0f} µs per message)")
    print(out.getvalue())


if __name__ == "__main__":
    main()
