"""Collect benchmark: 200 feeds of 20 entries (20 feeds in 'auto' mode, so 400 pages are
fetched too) from loopback sites that answer every request after 200 ms, like distant ones.

    .venv/bin/python bench/collect.py [--feeds 200] [--entries 20] [--auto 20] [--delay 0.2]

Prints, as ratios against references measured in the same run:
  1. the concurrent collect's wall time against the same work done one request at a time
     (collect_concurrency = per_host_connections = 1; measured on a tenth of the feeds and
     scaled by the request count, unless --full-sequential), and its CPU share;
  2. a second collect where every feed answers 304 Not Modified, against the 2 s target.

The sites run in a subprocess (this script with --serve), so the CPU time measured here is the
collect's alone. The feeds are spread over --hosts loopback addresses (127.0.0.10, .11, ...),
as 200 real feeds live on many sites: the per-host bound (2) applies as in real life.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PARAGRAPH = ("Reading slowly is a practice more than a technique: the reader returns to a sentence, "
             "writes in the margin, and lets a thought settle before moving on to the next page. ")


def feed_xml(host: str, feed: int, entries: int) -> bytes:
    items = []
    for j in range(entries):
        items.append(f"""<item><title>Essay {feed}.{j}: on reading &amp; writing</title>
<link>http://{host}/page/{feed}/{j}.html?utm_source=rss</link><guid isPermaLink="false">f{feed}-e{j}</guid>
<pubDate>Mon, 23 Nov 2026 08:{j:02d}:00 +0000</pubDate><dc:creator>Author {feed}</dc:creator>
<description>Summary of essay {feed}.{j}, a short teaser for the inbox.</description>
<content:encoded><![CDATA[<p>{PARAGRAPH * 2}</p><blockquote><p>Quote {feed}.{j}: the margin is where the
reader answers back.</p></blockquote><p>{PARAGRAPH}</p><p><a href="http://{host}/other">more</a></p>]]></content:encoded></item>""")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Feed {feed}</title><link>http://{host}/</link><description>Bench feed</description>
{''.join(items)}</channel></rss>""".encode()


def page_html(host: str, feed: int, entry: int) -> bytes:
    paras = "".join(f"<p>{PARAGRAPH * 3} ({k})</p>\n" for k in range(12))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Essay {feed}.{entry} | Site</title>
<meta property="og:title" content="Essay {feed}.{entry}"><meta property="og:site_name" content="Site {host}">
<meta property="og:description" content="A page for the collect benchmark.">
<meta property="article:published_time" content="2026-11-23T08:00:00Z"><meta name="author" content="Author {feed}">
<link rel="canonical" href="http://{host}/page/{feed}/{entry}.html"></head>
<body><nav><a href="/">Home</a> <a href="/archive">Archive</a> <a href="/about">About</a></nav>
<article><h1>Essay {feed}.{entry}</h1>{paras}</article><footer>All rights reserved.</footer></body></html>""".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real sites

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        host = self.headers.get("Host", "")
        parts = self.path.split("?")[0].strip("/").split("/")
        entries = self.server.entries  # type: ignore[attr-defined]
        if parts[0] == "feed":
            feed = int(parts[1].removesuffix(".xml"))
            etag = f'"feed-{feed}-v1"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, ctype = feed_xml(host, feed, entries), "application/rss+xml; charset=utf-8"
            extra = {"ETag": etag, "Last-Modified": "Mon, 23 Nov 2026 09:00:00 GMT"}
        elif parts[0] == "page":
            body, ctype, extra = page_html(host, int(parts[1]), int(parts[2].removesuffix(".html"))), "text/html; charset=utf-8", {}
        else:
            body, ctype, extra = b"not found", "text/plain", {}
            self.send_response(404)
        if parts[0] in ("feed", "page"):
            self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def serve(hosts: int, delay: float, entries: int) -> None:
    """Run the sites; print their addresses as one JSON line; serve until stdin closes."""
    addresses = []
    for i in range(hosts):
        server = ThreadingHTTPServer((f"127.0.0.{10 + i}", 0), Handler)
        server.daemon_threads = True
        server.delay, server.entries = delay, entries  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        addresses.append(f"127.0.0.{10 + i}:{server.server_address[1]}")
    print(json.dumps(addresses), flush=True)
    sys.stdin.read()


def newsletter(tmp: Path, name: str, addresses: list[str], feeds: int, auto: int, env: dict):
    from pipeline.collect import add_source
    from pipeline.newsletter import init_newsletter, open_newsletter

    root = init_newsletter(tmp / name)
    nl = open_newsletter(root, env=env)
    for f in range(feeds):
        host = addresses[f % len(addresses)]
        add_source(nl, f"http://{host}/feed/{f}.xml", mode="auto" if f < auto else "inbox")
    return nl


def timed_collect(nl):
    from pipeline.collect import collect

    wall, cpu = time.perf_counter(), time.process_time()
    report = collect(nl)
    return time.perf_counter() - wall, time.process_time() - cpu, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--auto", type=int, default=20)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=None, help="collect_concurrency (default: the setting's default)")
    ap.add_argument("--full-sequential", action="store_true", help="measure the sequential reference on all feeds")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.hosts, args.delay, args.entries)
        return

    sites = subprocess.Popen([sys.executable, __file__, "--serve", "--hosts", str(args.hosts), "--delay", str(args.delay),
                              "--entries", str(args.entries)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        addresses = json.loads(sites.stdout.readline())
        env = {"LINKLETTER_FETCH_TIMEOUT": "10"}
        if args.concurrency:
            env["LINKLETTER_COLLECT_CONCURRENCY"] = str(args.concurrency)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            # 1. the concurrent collect, then the all-304 one
            nl = newsletter(tmp, "concurrent", addresses, args.feeds, args.auto, env)
            from pipeline.collect.fetch import Fetcher  # noqa: F401  (imports paid before timing)
            import trafilatura  # noqa: F401
            wall, cpu, report = timed_collect(nl)
            requests_made = report.sources_polled + report.pages_fetched + report.pages_failed
            wall2, cpu2, report2 = timed_collect(nl)
            s = nl.settings
            nl.close()
            # 2. the sequential reference: the same code, one request at a time
            share = 1 if args.full_sequential else 10
            seq_feeds, seq_auto = args.feeds // share, max(1, args.auto // share)
            seq_env = {**env, "LINKLETTER_COLLECT_CONCURRENCY": "1", "LINKLETTER_PER_HOST_CONNECTIONS": "1"}
            nl = newsletter(tmp, "sequential", addresses, seq_feeds, seq_auto, seq_env)
            swall, scpu, sreport = timed_collect(nl)
            nl.close()
            seq_requests = sreport.sources_polled + sreport.pages_fetched + sreport.pages_failed
            seq_scaled = swall * requests_made / seq_requests
    finally:
        sites.stdin.close()
        sites.wait(timeout=10)

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"work: {args.feeds} feeds x {args.entries} entries over {args.hosts} hosts, {args.auto} auto -> "
          f"{report.pages_fetched} pages; every answer after {args.delay * 1000:.0f} ms; "
          f"collect_concurrency={s.collect_concurrency}, per_host_connections={s.per_host_connections}")
    print(f"concurrent collect: {wall:.2f} s wall, {cpu:.2f} s CPU ({cpu / wall:.0%} of the wall time); "
          f"{requests_made} requests, {report.new_links} links, {report.new_quotes} quotes, {len(report.errors)} errors")
    how = "all feeds" if share == 1 else f"{seq_feeds} feeds ({seq_requests} requests), scaled to {requests_made} requests"
    print(f"sequential reference: {seq_scaled:.1f} s ({how}: {swall:.2f} s wall, {scpu:.2f} s CPU)")
    print(f"speed-up: {seq_scaled / wall:.1f}x (target >= 10x)")
    print(f"second collect (all 304): {wall2:.2f} s wall, {cpu2:.2f} s CPU, {report2.sources_unchanged} unchanged, "
          f"{report2.new_links} new links; {wall2 / 2.0:.2f} x the 2 s target")
    if report.errors or report2.errors or sreport.errors:
        print("errors:", (report.errors + report2.errors + sreport.errors)[:5])


if __name__ == "__main__":
    main()
