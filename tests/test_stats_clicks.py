"""Click counts (issue 17) for real: an issue sent through aiosmtpd on loopback with
``click_counts`` on, its links followed through the app under uvicorn. Links are rewritten in
the HTML part only, the same in every copy; a click counts one; altered or unsigned targets
are refused; the database holds nothing per subscriber about clicks. With the setting off,
the mailed links are the author's. And the subscribe form records the site page it was
reached from, for the numbers' origins."""

from __future__ import annotations

import logging
import re
import sqlite3
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import SendOptions, send_issue
from pipeline.stats import issue_figures
from pipeline.stats.figures import Origin
from pipeline.stats.clicks import click_url, count_clicks_in
from pipeline.web import create_app
from tests.smtp import SmtpServer
from tests.smtp_behaviours import add_subscribers, write_draft
from tests.test_web import LiveServer

FAST = SendOptions(retry_base=0.05, poll=0.05, connect_attempts=2, timeout=10)
SEARCH = "https://example.com/search?q=a&b=c%20d"
DRAFT = f"""---
issue: 12
title: "Weekly Reads #12"
subject: "Counting"
status: ready
---
Intro with [a search]({SEARCH}).

## [The slow web](https://example.org/slow-web)

Again: [slow](https://example.org/slow-web), and [write to me](mailto:me@example.org).
"""


def _open(nl_dir, **env):
    return open_newsletter(nl_dir, env={f"LINKLETTER_{k.upper()}": str(v) for k, v in env.items()})


def _hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a\b[^>]*?\shref="([^"]*)"', html)]


def _send(nl_dir, smtp, n: int = 3, **env):
    write_draft(nl_dir, DRAFT, name="012-counting.md")
    nl = _open(nl_dir, smtp_url=smtp.url, **env)
    add_subscribers(nl.engine, n)
    report = send_issue(nl, nl_dir / "drafts" / "012-counting.md", options=FAST, force=True)
    assert report.sent == n
    return nl, [m.message for m in smtp.messages]


def _dump(db) -> dict[str, list[tuple]]:
    """Every row of every table but the click counters (and Alembic's)."""
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in names if t not in ("click_counts", "alembic_version")}
    finally:
        con.close()


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def test_click_counting_end_to_end_counts_per_link_and_stores_nothing_per_person(nl_dir, smtp, caplog):
    nl, messages = _send(nl_dir, smtp, click_counts="true")
    counted = {}
    for msg in messages:
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        links = [h for h in _hrefs(html) if h.startswith("https://news.example.org/r/")]
        assert "mailto:me@example.org" in _hrefs(html)  # not http(s): left alone
        assert not any(h in ("https://example.org/slow-web", SEARCH) for h in _hrefs(html))
        assert any("/unsubscribe/" in h for h in _hrefs(html))  # each subscriber's own, direct
        assert "/r/" not in text and "https://example.org/slow-web" in text and SEARCH in text
        counted[msg["To"]] = links
    copies = list(counted.values())
    assert all(c == copies[0] for c in copies)  # the same addresses in every copy: nobody is named
    by_target = {parse_qs(urlsplit(u).query)["u"][0]: u for u in copies[0]}
    assert set(by_target) >= {SEARCH, "https://example.org/slow-web"}
    assert copies[0].count(by_target["https://example.org/slow-web"]) == 2  # one link, twice in the text
    idx = int(urlsplit(by_target[SEARCH]).path.rsplit("/", 1)[1])
    assert by_target[SEARCH] == click_url(nl.settings, 12, idx, SEARCH)

    before = _dump(nl_dir / "linkletter.db")
    caplog.set_level(logging.INFO, logger="linkletter.web")
    with LiveServer(create_app(nl)) as server, httpx.Client(timeout=10) as client:
        local = lambda u: server.url + u[len("https://news.example.org"):]  # noqa: E731
        r = client.get(local(by_target[SEARCH]))
        assert r.status_code == 302 and r.headers["location"] == SEARCH
        assert r.headers["cache-control"] == "no-store" and "set-cookie" not in r.headers
        assert client.get(local(by_target[SEARCH])).status_code == 302
        assert client.get(local(by_target["https://example.org/slow-web"])).status_code == 302
        assert client.head(local(by_target["https://example.org/slow-web"])).status_code == 302  # not counted

        parts = urlsplit(local(by_target[SEARCH]))
        q = parse_qs(parts.query)
        base = f"{server.url}{parts.path}"
        evil = "https://evil.example/phish"
        sig = q["s"][0]
        # its first character changed (every bit of it counts; the last one of base64 may not,
        # and setting it to "A" changed nothing when it already was "A")
        altered = ("B" if sig[0] == "A" else "A") + sig[1:]
        refused = [
            base + "?" + urlencode({"u": evil, "s": q["s"][0]}),  # another target, the old signature
            base + "?" + urlencode({"u": SEARCH + "&x=1", "s": q["s"][0]}),  # the target altered
            base + "?" + urlencode({"u": SEARCH, "s": altered}),  # the signature altered
            base + "?" + urlencode({"u": evil}),  # unsigned
            base + "?" + urlencode({"u": SEARCH, "s": q["s"][0], "s2": ""}) + "&u=" + evil,  # u twice
            f"{server.url}/r/13/1?" + parts.query,  # another issue
            f"{server.url}/r/12/{idx + 1}?" + parts.query,  # another link index
            base + "?" + urlencode({"u": "javascript:alert(1)", "s": q["s"][0]}),
        ]
        for url in refused:
            r = client.get(url)
            assert r.status_code == 400 and "location" not in r.headers, url
    clicks = {c.url: c.clicks for c in issue_figures(nl, 12)[0].clicks}
    assert clicks == {SEARCH: 2, "https://example.org/slow-web": 1}, by_target
    assert _dump(nl_dir / "linkletter.db") == before  # no other row changed or was added: nothing per person
    con = sqlite3.connect(nl_dir / "linkletter.db")
    columns = [r[1] for r in con.execute("PRAGMA table_info(click_counts)")]
    con.close()
    assert columns == ["id", "issue_number", "url_hash", "url", "link_index", "clicks"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"/r/12/{idx}?…" in logged and "search" not in logged and q["s"][0] not in logged
    nl.close()


def test_with_click_counts_off_the_mailed_links_are_the_authors(nl_dir, smtp):
    nl, messages = _send(nl_dir, smtp, n=1)
    html = messages[0].get_body(("html",)).get_content()
    hrefs = _hrefs(html)
    assert not any("/r/" in h for h in hrefs)
    assert hrefs.count("https://example.org/slow-web") == 2 and SEARCH in hrefs
    assert issue_figures(nl, 12)[0].clicks is None
    nl.close()


def test_count_clicks_in_is_identity_when_off_and_keeps_the_unsubscribe_marker(nl):
    html = ('<a href="https://a.example/x?y=1&amp;z=2">A</a> <a class="b" href=\'https://b.example/\'>B</a> '
            '<a href="https://unsubscribe.invalid/abc">U</a> <a href="#fn1">1</a> '
            f'<a href="https://c.example/{"x" * 2100}">long</a>')
    assert count_clicks_in(html, 3, nl.settings) == html  # off by default
    on = type(nl.settings)(**{**nl.settings.__dict__, "click_counts": True})
    out = count_clicks_in(html, 3, on, keep={"https://unsubscribe.invalid/abc"})
    hrefs = [unescape(h) for h in re.findall(r"""href=["']([^"']*)""", out)]
    assert hrefs[0] == click_url(on, 3, 1, "https://a.example/x?y=1&z=2")
    assert hrefs[1] == click_url(on, 3, 2, "https://b.example/")
    assert hrefs[2:4] == ["https://unsubscribe.invalid/abc", "#fn1"]
    assert hrefs[4].startswith("https://c.example/")  # too long to go through the counter
    assert "&amp;s=" in out and "&s=" not in out  # escaped in the attribute


def test_the_subscribe_page_says_what_is_counted_only_when_counting(nl_dir):
    for setting, shown in (("false", False), ("true", True)):
        nl = _open(nl_dir, click_counts=setting)
        with LiveServer(create_app(nl)) as server, httpx.Client(timeout=10) as client:
            page = client.get(server.url + "/subscribe").text
        assert ('id="click-counts"' in page) is shown
        if shown:
            assert "counts how often each link was followed" in page and "not tracked" in page
        nl.close()


def test_the_form_records_the_site_page_it_was_reached_from_and_the_origins_show_it(nl_dir, smtp):
    from pipeline.stats import subscriber_origins
    from tests.test_web import _sub, own_page_client

    nl = _open(nl_dir, smtp_url=smtp.url)
    with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
        def hidden_from(referer: str | None) -> str | None:
            page = client.get("/subscribe", headers={"Referer": referer} if referer else {}).text
            m = re.search(r'name="from" value="([^"]*)"', page)
            return m.group(1) if m else None

        assert hidden_from("https://news.example.org/2026/12/issue-12/?utm=x") == "/2026/12/issue-12/"
        assert hidden_from(server.url + "/archive/") == "/archive/"
        assert hidden_from("https://elsewhere.example/2026/12/issue-12/") is None  # another site
        assert hidden_from("https://news.example.org/a\"><script>/") is None  # not a plain path
        assert hidden_from(None) is None
        for email, sent in (("a@example.net", "/2026/12/issue-12/"), ("b@example.net", "/2026/12/issue-12/"),
                            ("c@example.net", "https://evil.example/"), ("d@example.net", "/x?y=1"),
                            ("e@example.net", None)):
            data = {"email": email, "name": "", "website": ""} | ({"from": sent} if sent else {})
            assert client.post("/subscribe", data=data).status_code == 200
        smtp.wait_for(5)
    assert [_sub(nl, f"{c}@example.net").consent_page for c in "abcde"] == [
        "/2026/12/issue-12/", "/2026/12/issue-12/", None, None, None]
    assert subscriber_origins(nl) == [Origin("form", "", 3, 0), Origin("form", "/2026/12/issue-12/", 2, 0)]
    nl.close()
