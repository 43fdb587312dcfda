"""Nothing collected reaches a terminal raw: control characters (terminal escapes, C1 codes,
bidirectional overrides) in feed fields, page metadata and server messages are removed before
they are stored, so `linkletter links` and `linkletter sources list` print clean text."""

from __future__ import annotations

import re

import pytest

from pipeline.collect.text import normalize_text, one_line
from pipeline.collect.urls import InvalidURL, check_url
from tests.fixtures.collect.raw import RawServer, loopback_server

ESC_TITLE = "\x1b]0;owned\x07\x1b[31mRed alert\x1b[0m"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def server():
    with loopback_server() as s:
        yield s


def _rss(base: str) -> str:
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
            f"<item><title>{ESC_TITLE}</title><link>{base}/post</link>"
            "<author>Eve \x1b[2J\u202eevil</author><description>Hidden \x9b31m text</description></item>"
            f"<item><title>Page</title><link>{base}/page</link></item></channel></rss>")


def test_terminal_escapes_in_a_feed_and_a_page_are_not_stored_or_printed(nl_dir, server, cli):
    base = server.url_for("").rstrip("/")
    server.expect_request("/feed.xml").respond_with_data(_rss(base), content_type="application/rss+xml")
    server.expect_request("/post").respond_with_data("<html><head><title>x</title></head></html>", content_type="text/html")
    page = ("<html><head><title>T</title><meta property='og:site_name' content='Site \x1b[5mblink'></head>"
            "<body><article><p>" + "Body text of the page. " * 20 + "\x1b[31m</p></article></body></html>")
    server.expect_request("/page").respond_with_data(page, content_type="text/html")
    d = ["--dir", str(nl_dir)]
    cli(*d, "sources", "add", f"{base}/feed.xml", "--mode", "auto")
    cli(*d, "collect")
    out = cli(*d, "links").stdout
    assert "Red alert" in out
    assert "\x1b" not in out and "\x07" not in out and not CONTROL.search(out)

    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(nl_dir / "linkletter.db")) as conn:
        rows = conn.execute("SELECT title, author, via, description, site_name, main_text FROM links").fetchall()
    stored = " ".join(str(v) for row in rows for v in row if v)
    assert "Eve [2Jevil" in stored and "Hidden" in stored and "Site [5mblink" in stored  # only the controls go
    assert not CONTROL.search(stored)


def test_a_reason_phrase_with_escapes_is_not_stored_raw(nl_dir, cli):
    raw = RawServer(b"HTTP/1.1 500 \x1b]0;owned\x07\x1b[31mBoom\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    try:
        d = ["--dir", str(nl_dir)]
        cli(*d, "sources", "add", f"{raw.base}/feed.xml")
        cli(*d, "collect", check=False)
        out = cli(*d, "sources", "list").stdout
    finally:
        raw.close()
    assert "HTTP 500" in out and "Boom" in out
    assert not CONTROL.search(out)


def test_text_helpers_remove_control_characters():
    assert one_line("a\x1b[31m b\x9b\u202e c") == "a[31m b c"
    assert normalize_text("one\x1b]0;x\x07\n\ntwo\u2066") == "one]0;x\n\ntwo"
    with pytest.raises(InvalidURL, match="control characters"):
        check_url("https://example.org/\x1b[31m")
