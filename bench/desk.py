"""Benchmark: how fast the desk's pages answer with a big database, as a ratio to a static
file served by the same server in the same run (issue 17: every desk page under 100 ms).

    python bench/desk.py [--subscribers 100000] [--links 10000] [--issues 6] [--runs 30] [--path /desk/x ...]

Builds a throwaway newsletter whose SQLite file holds ``--links`` links, ``--subscribers``
subscribers (confirmed over a year, some unsubscribed, bounced or complained, with their mail
events; from the form, three imports and the command line) and ``--issues`` sent issues with
one delivery per subscriber active at the time, their bounces, unsubscribes and click counters
(bulk inserts; the deliveries by INSERT ... SELECT). Then it serves the app under uvicorn in
a process of its own on loopback and times each URL ``--runs`` times in turn with the
reference, a static page of the built site (``/index.html``), printing the median time per
answer and its ratio to the reference.

The URLs: the desk's pages (``DESK_PATHS``; those the server answers with 404 are listed as
skipped: the desk may not be there on this branch) and ``/_bench/numbers``, a page this
benchmark adds to its own server only, which does what a numbers page does: subscribers per
week for 26 weeks, both charts, every issue's figures with clicks, the origins. Next to it,
the same library calls are timed in this process without HTTP.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the desk's pages a GET shows (pipeline/web/desk/__init__.py): the inbox, a later page of it (id
# cursor), one source's, a reading view, the draft, the send page and its progress, the numbers
DESK_PATHS = ["/desk", "/desk?before=5000", "/desk?source=1", "/desk/link/5000", "/desk/draft", "/desk/send",
              "/desk/send/progress", "/desk/numbers"]
BENCH_PATH = "/_bench/numbers"
REFERENCE = "/index.html"
NOW = datetime.now(timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(folder: Path, subscribers: int, links: int, issues: int) -> None:
    """The newsletter and its database (see the module docstring)."""
    from sqlalchemy import insert, literal, select, text

    from pipeline.models import Delivery, Issue, Link, MailEvent, Subscriber
    from pipeline.newsletter import init_newsletter, open_newsletter
    from pipeline.store import stats as store

    init_newsletter(folder, title="Bench Reads", language="en", sender="Bench <news@example.org>",
                    base_url="https://news.example.org")
    with open(folder / "linkletter.toml", "a", encoding="utf-8") as f:
        f.write("click_counts = true\n")
    nl = open_newsletter(folder, env={})
    rng = random.Random(17)
    S, E, D = Subscriber.__table__, MailEvent.__table__, Delivery.__table__
    with nl.engine.begin() as conn:
        conn.execute(insert(Link.__table__), [
            dict(url=f"https://site{i % 500}.example/post/{i}", canonical_url=f"https://site{i % 500}.example/post/{i}",
                 state=("inbox", "picked", "dismissed")[i % 3], fetch_status="ok", title=f"Post {i}",
                 created_at=NOW - timedelta(minutes=i), issue_number=None) for i in range(links)])
        rows, events = [], []
        for i in range(subscribers):
            confirmed = NOW - timedelta(days=365 * (1 - i / subscribers), hours=rng.random() * 24)
            r = rng.random()
            status = ("unsubscribed" if r < 0.08 else "bounced" if r < 0.10 else "complained" if r < 0.103
                      else "pending" if r < 0.12 else "active")
            source = ("form", "import", "import", "cli")[i % 4]
            left = confirmed + timedelta(days=rng.random() * 60)
            rows.append(dict(email=f"reader{i}@example.net", name="", status=status, created_at=confirmed,
                             confirmed_at=None if status == "pending" else confirmed,
                             unsubscribed_at=left if status == "unsubscribed" else None, consent_source=source,
                             consent_text=f"imported from list{i % 3}.csv" if source == "import" else "I agree",
                             link_generation=0))
            if status in ("bounced", "complained"):
                events.append((i + 1, "hard_bounce" if status == "bounced" else "complaint", min(left, NOW)))
        conn.execute(insert(S), rows)
        conn.execute(insert(E), [dict(kind=k, subscriber_id=sid, source="inbound", event_key=f"b{sid}", created_at=t)
                                 for sid, k, t in events])
        for n in range(1, issues + 1):
            started = NOW - timedelta(weeks=issues - n + 1)
            issue_id = conn.execute(insert(Issue.__table__).values(
                number=n, slug=str(n), title=f"Issue {n}", subject=f"Issue {n}", draft_path="", status="sent",
                send_started_at=started, sent_at=started + timedelta(minutes=30), created_at=started)).inserted_primary_key[0]
            conn.execute(insert(D).from_select(
                ["issue_id", "subscriber_id", "state", "attempts"],
                select(literal(issue_id), S.c.id, literal("sent"), literal(1)).where(S.c.confirmed_at < started)))
            conn.execute(text("UPDATE deliveries SET state = 'failed' WHERE issue_id = :i AND subscriber_id % 97 = 0"),
                         {"i": issue_id})
            conn.execute(insert(E), [dict(kind=rng.choice(("hard_bounce", "soft_bounce", "unsubscribe", "complaint")),
                                          subscriber_id=rng.randrange(1, subscribers), issue_number=n, source="inbound",
                                          event_key=f"i{n}-{k}", created_at=started + timedelta(hours=k % 48))
                                     for k in range(subscribers // 200)])
            for k in range(30):
                url = f"https://site{k}.example/post/{n * 100 + k}"
                for _ in range(rng.randrange(1, 4)):
                    store.count_click(conn, n, store_hash(url), url, k + 1)
    from pipeline.render.site import build_site

    build_site(nl)
    nl.close()


def store_hash(url: str) -> str:
    from pipeline.stats.clicks import url_hash

    return url_hash(url)


def numbers_page(nl) -> str:
    """What a numbers page computes and writes (the bench's stand-in for the desk's)."""
    from html import escape

    from pipeline import stats
    from pipeline.stats import svg

    weeks = stats.subscriber_weeks(nl, 26)
    issues = stats.issue_figures(nl)
    origins = stats.subscriber_origins(nl)
    rows = "".join(f"<tr><td>{i.number}</td><td>{escape(i.title)}</td><td>{i.recipients}</td><td>{i.delivered}</td>"
                   f"<td>{i.hard_bounces}</td><td>{i.soft_bounces}</td><td>{i.complaints}</td><td>{i.unsubscribes}</td>"
                   f"<td>{i.total_clicks}</td></tr>" for i in issues)
    where = "".join(f"<tr><td>{escape(o.source)}</td><td>{escape(o.detail)}</td><td>{o.subscribers}</td></tr>"
                    for o in origins)
    return (f"<!doctype html><title>Numbers</title>{svg.active_chart(weeks)}{svg.changes_chart(weeks)}"
            f"<table>{rows}</table><table>{where}</table>")


def serve(folder: str, port: int) -> None:
    """The server process: the app with the bench's numbers page, under uvicorn."""
    import uvicorn
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from pipeline.newsletter import open_newsletter
    from pipeline.web.app import create_app

    nl = open_newsletter(folder, env={})
    app = create_app(nl)

    async def numbers(request):
        return HTMLResponse(await run_in_threadpool(numbers_page, nl))

    app.router.routes.insert(0, Route(BENCH_PATH, numbers))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


def timed(client: httpx.Client, path: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    r = client.get(path)
    return r.status_code, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--issues", type=int, default=6)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--path", action="append", default=[], help="Another URL path to time.")
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "letter"
        t0 = time.perf_counter()
        build(folder, args.subscribers, args.links, args.issues)
        print(f"database: {args.links} links, {args.subscribers} subscribers, {args.issues} sent issues "
              f"(built in {time.perf_counter() - t0:.1f} s)")
        in_process(folder, args.runs)
        port = free_port()
        proc = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), str(port)], cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
        try:
            return over_http(f"http://127.0.0.1:{port}", [BENCH_PATH, *DESK_PATHS, *args.path], args.runs)
        finally:
            proc.terminate()
            proc.wait(10)


def in_process(folder: Path, runs: int) -> None:
    from pipeline import stats
    from pipeline.newsletter import open_newsletter
    from pipeline.stats import svg

    nl = open_newsletter(folder, env={})
    weeks = stats.subscriber_weeks(nl, 26)
    calls = {"subscriber_weeks(26)": lambda: stats.subscriber_weeks(nl, 26),
             "issue_figures()": lambda: stats.issue_figures(nl),
             "subscriber_origins()": lambda: stats.subscriber_origins(nl),
             "both charts": lambda: (svg.active_chart(weeks), svg.changes_chart(weeks))}
    print("library calls, in process (median):")
    for name, fn in calls.items():
        times = []
        for _ in range(max(5, runs // 3)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        print(f"  {name:24} {statistics.median(times) * 1000:7.1f} ms")
    nl.close()


def over_http(base: str, paths: list[str], runs: int) -> int:
    with httpx.Client(base_url=base, timeout=30) as client:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get(REFERENCE)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        live = []
        for path in paths:
            status, _ = timed(client, path)
            if status == 404:
                print(f"  {path}: 404, skipped")
            elif status != 200:
                print(f"  {path}: answered {status}, skipped")
            else:
                live.append(path)
        times: dict[str, list[float]] = {p: [] for p in [REFERENCE, *live]}
        for _ in range(runs):
            for path in times:
                status, seconds = timed(client, path)
                times[path].append(seconds)
    ref = statistics.median(times[REFERENCE])
    print(f"over HTTP, median of {runs} (reference {REFERENCE}: {ref * 1000:.1f} ms):")
    slow = 0
    for path in live:
        med = statistics.median(times[path])
        slow += med >= 0.1
        print(f"  {path:24} {med * 1000:7.1f} ms  {med / ref:6.1f}x the static file  {'ok' if med < 0.1 else 'SLOW'}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
