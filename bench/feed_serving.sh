#!/usr/bin/env bash
# Requests/s for /feed.xml served by `linkletter serve` (Starlette under uvicorn), without and
# with If-None-Match (answered 304), against the same file served by Python's http.server in
# the same run (which knows If-Modified-Since but no ETag).
#
#   bench/feed_serving.sh [SECONDS] [CONNECTIONS]      (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SECS=${1:-10}
CONNS=${2:-32}
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "server at $1 did not start" >&2; exit 1; }

env -u LINKLETTER_DIR "$PY" -m pipeline init "$TMP/news" --title "Bench Reads" >/dev/null
mkdir -p "$TMP/news/site"
# A feed like a real one: 20 issues with their full content (~120 KB).
"$PY" - "$TMP/news/site/feed.xml" <<'PYEOF'
import sys
items = []
for n in range(20, 0, -1):
    body = "".join(f"<h2>Link {i}</h2><blockquote><p>{'A quoted passage with some words. ' * 12}</p></blockquote>"
                   f"<p>{'Commentary on the link, a few sentences long. ' * 8}</p>" for i in range(6))
    items.append(f"<item><title>Issue {n}</title><link>https://news.example.org/issues/{n}/</link>"
                 f"<guid>https://news.example.org/issues/{n}/</guid><pubDate>Mon, 0{n % 9 + 1} Nov 2026 07:00:00 +0000</pubDate>"
                 f"<content:encoded><![CDATA[{body}]]></content:encoded></item>")
feed = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        '<channel><title>Bench Reads</title><link>https://news.example.org/</link><description>bench</description>'
        + "".join(items) + "</channel></rss>")
open(sys.argv[1], "w", encoding="utf-8").write(feed)
PYEOF
echo "<h1>Bench Reads</h1>" > "$TMP/news/site/index.html"
SIZE=$(stat -c %s "$TMP/news/site/feed.xml")

P1=$(free_port)
env -u LINKLETTER_DIR "$PY" -m pipeline --dir "$TMP/news" serve --port "$P1" >"$TMP/serve.log" 2>&1 &
PIDS+=($!)
P2=$(free_port)
"$PY" -m http.server "$P2" --bind 127.0.0.1 --directory "$TMP/news/site" >"$TMP/http.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$P1/feed.xml"
wait_up "http://127.0.0.1:$P2/feed.xml"

HEADERS=$("$PY" -c "import urllib.request,sys; r=urllib.request.urlopen(sys.argv[1]); print(r.headers['ETag']); print(r.headers['Last-Modified'])" "http://127.0.0.1:$P1/feed.xml")
ETAG=$(echo "$HEADERS" | sed -n 1p)
LASTMOD=$(echo "$HEADERS" | sed -n 2p)
STATUS=$("$PY" -c "import urllib.request,urllib.error,sys
try: urllib.request.urlopen(urllib.request.Request(sys.argv[1], headers={'If-None-Match': sys.argv[2]})); print(200)
except urllib.error.HTTPError as e: print(e.code)" "http://127.0.0.1:$P1/feed.xml" "$ETAG")
[ "$STATUS" = 304 ] || { echo "If-None-Match did not give 304 (got $STATUS)" >&2; exit 1; }

rps() { wrk -t2 -c"$CONNS" -d"${SECS}s" "$@" | awk '/^Requests\/sec/ {print $2}'; }
L_FULL=$(rps "http://127.0.0.1:$P1/feed.xml")
L_304=$(rps -H "If-None-Match: $ETAG" "http://127.0.0.1:$P1/feed.xml")
H_FULL=$(rps "http://127.0.0.1:$P2/feed.xml")
H_304=$(rps -H "If-Modified-Since: $LASTMOD" "http://127.0.0.1:$P2/feed.xml")

echo "feed.xml: $SIZE bytes; wrk -t2 -c$CONNS -d${SECS}s on 127.0.0.1; $(nproc) cores"
printf '%-48s %10s %8s\n' "server, request" "req/s" "ratio"
printf '%-48s %10.0f %8s\n' "http.server, full body (reference)" "$H_FULL" "1.00"
printf '%-48s %10.0f %8.2f\n' "http.server, If-Modified-Since -> 304" "$H_304" "$(echo "$H_304 / $H_FULL" | bc -l)"
printf '%-48s %10.0f %8.2f\n' "linkletter serve, full body" "$L_FULL" "$(echo "$L_FULL / $H_FULL" | bc -l)"
printf '%-48s %10.0f %8.2f\n' "linkletter serve, If-None-Match -> 304" "$L_304" "$(echo "$L_304 / $H_FULL" | bc -l)"
echo "log lines written by linkletter serve: $(grep -c 'GET /feed.xml' "$TMP/serve.log")"
