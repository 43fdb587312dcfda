"""The web front, run for real: the Starlette app under uvicorn on a loopback port, a real SMTP
server on loopback, httpx as the client. Subscribe → mail → confirm; one-click unsubscribe;
forged and expired tokens; the rate limit; the honeypot; the bookmarklet; the static site."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from pipeline import subscribers as subs
from pipeline.models import Link, Quote, Subscriber
from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.tokens import collect_token, confirm_token, unsubscribe_token
from pipeline.web import create_app
from pipeline.web.access_log import mask
from pipeline.web.author import bookmarklet, bookmarklet_token
from pipeline.web.collect import text_fragment_url
from tests.conftest import clean_env, run_cli
from tests.smtp import SmtpServer, free_port


class LiveServer:
    """The app under a real uvicorn in a thread, on a free loopback port."""

    def __init__(self, app):
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise AssertionError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def own_page_client(server: LiveServer, **kw) -> httpx.Client:
    """A client whose POSTs come from the server's own pages (as a browser says with Origin)."""
    return httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}, **kw)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def _open(nl_dir: Path, smtp: SmtpServer | None = None, **env: str):
    env = {f"LINKLETTER_{k.upper()}": str(v) for k, v in env.items()}
    if smtp is not None:
        env["LINKLETTER_SMTP_URL"] = smtp.url
    return open_newsletter(nl_dir, env=env)


@pytest.fixture
def live(nl_dir, smtp):
    """(newsletter, server, client) for the English test newsletter mailing through ``smtp``."""
    nl = _open(nl_dir, smtp)
    with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
        yield nl, server, client
    nl.close()


@pytest.fixture
def de_dir(tmp_path) -> Path:
    return init_newsletter(tmp_path / "brief", title="Wochenlese", language="de",
                           sender="Wochenlese <brief@example.org>", base_url="https://brief.example.org")


def _sub(nl, email: str) -> Subscriber | None:
    with nl.session() as s:
        return s.scalars(select(Subscriber).where(Subscriber.email == email)).first()


def _path(url: str) -> str:
    return urlsplit(url).path


def _confirm_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    (url,) = set(re.findall(r"https://news\.example\.org/confirm/[\w.\-]+", text))
    return url


# ------------------------------------------------------------------ double opt-in

def test_subscribe_mails_a_link_whose_get_changes_nothing_and_whose_post_confirms(live, smtp):
    nl, _server, client = live
    r = client.post("/subscribe", data={"email": " Jane.Doe@Example.org ", "name": "Jane Doe-Müller", "website": ""},
                    headers={"User-Agent": "TestBrowser/1.0"})
    assert r.status_code == 200 and "Please check your inbox" in r.text
    assert "set-cookie" not in r.headers
    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ["jane.doe@example.org"]
    assert mail.message["To"] == "Jane Doe-Müller <jane.doe@example.org>"
    sub = _sub(nl, "jane.doe@example.org")
    assert sub.status == "pending" and sub.consent_source == "form"
    assert (sub.consent_ip, sub.consent_user_agent) == ("127.0.0.1", "TestBrowser/1.0")
    assert sub.consent_text.startswith("I would like to receive the newsletter Weekly Reads")

    link = _confirm_link(mail.message)
    page = client.get(_path(link))  # what a mail scanner does
    assert page.status_code == 200 and "Confirm subscription</button>" in page.text
    assert _sub(nl, "jane.doe@example.org").status == "pending"

    done = client.post(_path(link))  # the button: an empty body is enough
    assert done.status_code == 200 and "You are subscribed" in done.text
    sub = _sub(nl, "jane.doe@example.org")
    assert sub.status == "active" and sub.confirmed_at is not None
    again = client.post(_path(link))
    assert again.status_code == 200 and "You are subscribed" in again.text


@pytest.fixture
def live_clock(nl_dir, smtp):
    """Like ``live``, with the confirmation throttle on a clock the test moves: (nl, client, now)."""
    from pipeline.web.ratelimit import ConfirmationThrottle

    now = [1000.0]
    nl = _open(nl_dir, smtp)
    app = create_app(nl, confirmation_throttle=ConfirmationThrottle(100, clock=lambda: now[0]))
    with LiveServer(app) as server, own_page_client(server) as client:
        yield nl, client, now
    nl.close()


def test_subscribing_again_mails_a_pending_address_and_tells_nothing_about_an_active_one(live_clock, smtp):
    nl, client, now = live_clock
    first = client.post("/subscribe", data={"email": "pat@example.org"})
    soon = [client.post("/subscribe", data={"email": "PAT@example.org"}) for _ in range(3)]  # mail bombing
    client.post("/subscribe", data={"email": "marker1@example.org"})
    # One keep-alive connection: uvicorn starts the marker's request only after the previous one,
    # background mail included, has finished, so a wrong mail would already be here.
    smtp.wait_for(2)
    # confirmation mails go out after the answer, so under load two may arrive in either order
    assert sorted(m.rcpt_tos for m in smtp.messages) == [["marker1@example.org"], ["pat@example.org"]]
    assert all(r.status_code == 200 and r.text == first.text for r in soon)  # the same page
    with nl.session() as s:  # ten minutes later, the person may ask for the mail again
        sub = s.scalars(select(Subscriber).where(Subscriber.email == "pat@example.org")).one()
        sub.consent_at = sub.consent_at - timedelta(minutes=10)
    now[0] += 600  # and the server's throttle says so too
    client.post("/subscribe", data={"email": "pat@example.org"})
    assert [m.rcpt_tos for m in smtp.wait_for(3)][2:] == [["pat@example.org"]]

    subs.add_subscriber(nl, "active@example.org")
    active = client.post("/subscribe", data={"email": "active@example.org"})
    client.post("/subscribe", data={"email": "marker@example.org"})
    msgs = smtp.wait_for(4)
    assert sorted(m.rcpt_tos for m in smtp.messages) == [["marker1@example.org"], ["marker@example.org"],
                                                         ["pat@example.org"], ["pat@example.org"]]
    assert active.status_code == first.status_code == 200
    assert active.text == first.text  # the same page: nothing to learn about the address
    assert len(msgs) == 4 and _sub(nl, "active@example.org").status == "active"


def test_the_honeypot_and_bad_addresses_store_nothing(live, smtp):
    nl, _server, client = live
    bot = client.post("/subscribe", data={"email": "bot@example.org", "name": "Bot", "website": "http://spam.example"})
    assert bot.status_code == 200 and "Please check your inbox" in bot.text  # the bot learns nothing
    bad = client.post("/subscribe", data={"email": "not an address", "name": "X"})
    assert bad.status_code == 400 and "Please enter a valid email address." in bad.text
    assert 'value="not an address"' in bad.text  # the form comes back filled in
    unmailable = client.post("/subscribe", data={"email": "jörg@example.de", "name": "Jörg"})  # needs SMTPUTF8
    assert unmailable.status_code == 400 and "Please enter a valid email address." in unmailable.text
    inject = client.post("/subscribe", data={"email": "eve@example.org", "name": "Eve\r\nBcc: all@example.org"})
    assert inject.status_code == 400 and "one line" in inject.text
    client.post("/subscribe", data={"email": "marker@example.org"})  # see the test above: mails come in order
    smtp.wait_for(1)
    assert [m.rcpt_tos for m in smtp.messages] == [["marker@example.org"]]
    assert [r["email"] for r in subs.list_subscribers(nl)] == ["marker@example.org"]


def test_the_rate_limit_is_per_address_and_answers_429_in_the_newsletters_language(de_dir, smtp):
    nl = _open(de_dir, smtp, subscribe_rate_limit=3)
    with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
        codes = [client.post("/subscribe", data={"email": f"r{i}@example.org"}).status_code for i in range(3)]
        limited = client.post("/subscribe", data={"email": "r3@example.org"})
        # uvicorn trusts X-Forwarded-For from its loopback proxy: another reader behind it
        other = client.post("/subscribe", data={"email": "r4@example.org"}, headers={"X-Forwarded-For": "203.0.113.8"})
    nl.close()
    assert codes == [200, 200, 200]
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3600"
    assert "Zu viele Anfragen" in limited.text and '<html lang="de">' in limited.text
    assert other.status_code == 200 and "Bitte sehen Sie in Ihr Postfach" in other.text
    assert _sub(nl, "r3@example.org") is None and _sub(nl, "r4@example.org").consent_ip == "203.0.113.8"


def test_the_rate_limiter_counts_per_key_within_a_sliding_window():
    from pipeline.web.ratelimit import RateLimiter

    now = [1000.0]
    limiter = RateLimiter(2, window=3600, clock=lambda: now[0], max_keys=3)
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a"), limiter.allow("b")] == [True, True, False, True]
    now[0] += 1800
    assert limiter.allow("a") is False  # still two within the last hour
    now[0] += 1801
    assert limiter.allow("a") is True  # the first two have left the window
    for i in range(10):
        limiter.allow(f"ip{i}")
    assert len(limiter._hits) <= 11  # swept, not growing with every address ever seen
    now[0] += 7200
    limiter.allow("z")
    assert set(limiter._hits) == {"z"}
    assert all(RateLimiter(0).allow("x") for _ in range(100))  # 0 switches it off


# ------------------------------------------------------------------ tokens

def test_forged_and_expired_tokens_get_a_clear_localized_page(de_dir, monkeypatch):
    nl = _open(de_dir)
    sid = subs.subscribe(nl, "f@example.org", ip="127.0.0.1", user_agent="x", consent_text="c").subscriber_id
    good = confirm_token(nl.settings.secret_key, sid)
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 8 * 86400)
        expired = confirm_token(nl.settings.secret_key, sid)
    forged_unsub = unsubscribe_token("another-secret-key-0123456789", sid)
    with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url) as client:
        pages = {
            "forged": client.post(f"/confirm/{good[:-3]}xyz"),
            "garbage": client.get("/confirm/%3Cscript%3E"),
            "expired-get": client.get(f"/confirm/{expired}"),
            "expired": client.post(f"/confirm/{expired}"),
            "unsub-forged": client.post(f"/unsubscribe/{forged_unsub}", data={"List-Unsubscribe": "One-Click"}),
            "unsub-garbage": client.get("/unsubscribe/12"),
        }
    nl.close()
    for name, r in pages.items():
        assert r.status_code == 400, name
        assert "Traceback" not in r.text and '<html lang="de">' in r.text, name
    assert "Dieser Bestätigungslink ist ungültig" in pages["forged"].text
    assert "Dieser Bestätigungslink ist ungültig" in pages["garbage"].text and "<script>" not in pages["garbage"].text
    assert "Dieser Bestätigungslink ist abgelaufen" in pages["expired"].text and "7 Tage" in pages["expired"].text
    assert "abgelaufen" in pages["expired-get"].text
    assert "Dieser Abmeldelink ist ungültig" in pages["unsub-forged"].text
    assert _sub(nl, "f@example.org").status == "pending"


def test_one_click_unsubscribe_by_post_is_idempotent_and_sets_no_cookie(live):
    nl, _server, client = live
    sub = subs.add_subscriber(nl, "reader@example.org").subscriber
    path = f"/unsubscribe/{unsubscribe_token(nl.settings.secret_key, sub.id)}"
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe</button>" in page.text
    assert _sub(nl, "reader@example.org").status == "active"  # GET changes nothing
    one_click = {"content": "List-Unsubscribe=One-Click",
                 "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
    first = client.post(path, **one_click)
    assert first.status_code == 200 and "You are unsubscribed" in first.text
    sub = _sub(nl, "reader@example.org")
    assert sub.status == "unsubscribed" and sub.unsubscribed_at is not None
    second = client.post(path, **one_click)
    assert second.status_code == 200 and _sub(nl, "reader@example.org").unsubscribed_at == sub.unsubscribed_at
    assert not any("set-cookie" in r.headers for r in (page, first, second))
    assert not client.cookies

    subs.remove_subscriber(nl, "reader@example.org")  # an old link of a removed person: harmless
    gone = client.post(path, **one_click)
    assert gone.status_code == 200 and "You are unsubscribed" in gone.text
    assert list(subs.list_subscribers(nl)) == []


# ------------------------------------------------------------------ the bookmarklet

def test_text_fragments_encode_the_directive_characters():
    assert text_fragment_url("https://e.org/a#top", "Kaffee-Haus, Tee & Kuchen") == \
        "https://e.org/a#:~:text=Kaffee%2DHaus%2C%20Tee%20%26%20Kuchen"
    long = "Die   Straße war\nnass, und es regnete - seit Tagen schon, ohne Pause & ohne Ende."
    assert text_fragment_url("https://e.org/b", long) == \
        "https://e.org/b#:~:text=Die%20Stra%C3%9Fe%20war%20nass%2C,Pause%20%26%20ohne%20Ende."


def test_bookmarklet_capture_with_german_text(live):
    nl, _server, client = live
    token = bookmarklet_token(nl.settings)
    selection = "„Die Bürger-Initiative“ fordert: weniger Lärm, mehr Grün & Ruhe – für alle Anwohnerinnen."
    page = {"url": "https://zeitung.example/artikel/42#kommentare", "title": "Straßenlärm: Was die Stadt plant",
            "selection": selection}
    # the bookmarklet hands the page over to /collect/new (a post from the visited site): nothing is saved yet
    handed = client.post("/collect/new", data=page, headers={"Origin": "https://zeitung.example"})
    assert handed.status_code == 200 and 'type="password"' in handed.text and 'action="/collect"' in handed.text
    assert "Straßenlärm: Was die Stadt plant" in handed.text and token not in handed.text
    with nl.session() as s:
        assert s.scalars(select(Link)).all() == []
    # no other site may post to /collect, with or without the token (no CORS either)
    assert client.options("/collect", headers={"Origin": "https://zeitung.example",
                                               "Access-Control-Request-Method": "POST"}).status_code == 405
    foreign = client.post("/collect", data={**page, "token": token}, headers={"Origin": "https://zeitung.example"})
    assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
    # the form on /collect/new posts from the server's own origin
    r = client.post("/collect", data={**page, "token": token})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.json()["message"] == "Saved to Weekly Reads"
    with nl.session() as s:
        link = s.get(Link, r.json()["link_id"])
        (quote,) = s.scalars(select(Quote).where(Quote.link_id == link.id)).all()
        assert (link.state, link.title) == ("picked", "Straßenlärm: Was die Stadt plant")
        assert quote.text == selection and quote.origin == "bookmarklet"
        assert quote.source_url == ("https://zeitung.example/artikel/42#:~:text="
                                    "%E2%80%9EDie%20B%C3%BCrger%2DInitiative%E2%80%9C%20fordert%3A%20weniger,"
                                    "%E2%80%93%20f%C3%BCr%20alle%20Anwohnerinnen.")

    by_header = client.post("/collect", json={"url": "https://blog.example/x", "title": "Ohne Auswahl"},
                            headers={"X-Linkletter-Token": token})
    assert by_header.status_code == 200
    for bad in ({"token": "wrong", "url": "https://blog.example/y"}, {"url": "https://blog.example/y"}):
        denied = client.post("/collect", data=bad)
        assert denied.status_code == 403 and denied.json() == {"ok": False, "error": "wrong or missing token"}
    assert client.post("/collect", data={"token": token, "url": "javascript:alert(1)"}).status_code == 400
    with nl.session() as s:
        assert len(s.scalars(select(Link)).all()) == 2


def test_the_bookmarklet_command_prints_a_javascript_url_without_the_token(nl_dir, nl):
    proc = run_cli("--dir", str(nl_dir), "bookmarklet", "--url", "http://127.0.0.1:8080")
    out = proc.stdout.strip()
    assert out == bookmarklet("http://127.0.0.1:8080")
    assert out.startswith("javascript:") and " " not in out
    from urllib.parse import unquote
    js = unquote(out[len("javascript:"):])
    assert bookmarklet_token(nl.settings) not in js and "token" not in js
    assert '"http://127.0.0.1:8080/collect/new"' in js
    assert "getSelection()" in js and "location.href" in js and "document.title" in js
    assert "fetch" not in js and "URLSearchParams" not in js  # nothing of the page's is handed a secret
    assert proc.stderr.strip() == f"token: {bookmarklet_token(nl.settings)}"


# ------------------------------------------------------------------ the site, errors, logs

def test_the_site_is_served_with_etag_last_modified_and_304(live):
    nl, _server, client = live
    site = nl.settings.site_dir
    site.mkdir(exist_ok=True)
    (site / "feed.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>', encoding="utf-8")
    (site / "index.html").write_text("<h1>Weekly Reads</h1>", encoding="utf-8")
    r = client.get("/feed.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith(("application/xml", "text/xml"))
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert client.get("/feed.xml", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feed.xml", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feed.xml", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/").text == "<h1>Weekly Reads</h1>"


def test_errors_answer_with_their_status_and_a_page_in_the_newsletters_language(de_dir):
    nl = _open(de_dir)
    with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url) as client:
        missing = client.get("/gibt-es-nicht")
        method = client.delete("/subscribe")
        form = client.get("/subscribe")
    nl.close()
    assert missing.status_code == 404 and "Seite nicht gefunden" in missing.text
    assert method.status_code == 405 and "Methode nicht erlaubt" in method.text
    assert form.status_code == 200 and '<label for="email">E-Mail-Adresse</label>' in form.text
    assert '<html lang="de">' in form.text and "<script" not in form.text
    assert 'class="hp" aria-hidden="true"' in form.text and 'tabindex="-1"' in form.text


def test_one_log_line_per_request_with_tokens_masked(live, caplog):
    nl, _server, client = live
    sub = subs.add_subscriber(nl, "log@example.org").subscriber
    token = unsubscribe_token(nl.settings.secret_key, sub.id)
    with caplog.at_level(logging.INFO, logger="linkletter.web"):
        client.get(f"/unsubscribe/{token}")
        client.get(f"/preview/1?token={collect_token(nl.settings)}")
        client.get("/nowhere")
    lines = [r.getMessage() for r in caplog.records if r.name == "linkletter.web"
             and re.match(r"^(GET|POST) ", r.getMessage())]
    assert len(lines) == 3
    assert re.fullmatch(rf"GET /unsubscribe/{re.escape(token[:4])}… 200 \d+\.\dms", lines[0])
    assert re.fullmatch(r"GET /preview/1\?token=… 404 \d+\.\dms", lines[1])
    assert re.fullmatch(r"GET /nowhere 404 \d+\.\dms", lines[2])
    assert not any(token in r.getMessage() or collect_token(nl.settings) in r.getMessage() for r in caplog.records)
    assert mask("/confirm/abcdefghijkl/x", "a=1&token=s3cret") == "/confirm/abcd…/x?a=1&token=…"


def test_a_percent_encoded_newline_cannot_forge_a_log_line(live, caplog):
    _nl, _server, client = live
    with caplog.at_level(logging.INFO, logger="linkletter.web"):
        client.get("/x%0aGET%20/forged%20200%200.1ms%0d%00")
    lines = [r.getMessage() for r in caplog.records if r.name == "linkletter.web"]
    (line,) = [m for m in lines if m.startswith("GET /x")]
    assert "\n" not in line and "\r" not in line and "\x00" not in line
    assert re.fullmatch(r"GET /x\\x0aGET /forged 200 0\.1ms\\x0d\\x00 404 \d+\.\dms", line), line


# ------------------------------------------------------------------ previews and `serve`

DRAFT = """---
issue: 1
title: "Weekly Reads #1: Slow reading"
status: draft
---
An intro about slowness.

## [A long essay](https://essays.example/slow)

> Slowness is a form of attention.
>
> — [Essays](https://essays.example/slow)

My commentary.
"""


def test_preview_renders_the_draft_live_for_loopback_or_with_the_token(live):
    nl, _server, client = live
    nl.settings.drafts_dir.mkdir(exist_ok=True)
    (nl.settings.drafts_dir / "001-slow-reading.md").write_text(DRAFT, encoding="utf-8")
    page = client.get("/preview/1")
    assert page.status_code == 200 and "Slowness is a form of attention." in page.text
    email = client.get("/preview/001-slow-reading/email")
    assert email.status_code == 200 and "Slowness is a form of attention." in email.text
    remote = {"X-Forwarded-For": "198.51.100.20"}
    denied = client.get("/preview/1", headers=remote)
    assert denied.status_code == 403 and "Not allowed" in denied.text
    # no token opens a preview from elsewhere (the bookmarklet's token only saves picks)
    for token in (collect_token(nl.settings), bookmarklet_token(nl.settings)):
        assert client.get(f"/preview/1?token={token}", headers=remote).status_code == 403
    (nl.settings.drafts_dir / "001-slow-reading.md").write_text(DRAFT.replace("slowness", "Langsamkeit"), "utf-8")
    assert "Langsamkeit" in client.get("/preview/1").text  # live from the file
    assert client.get("/preview/linkletter.toml").status_code == 404  # never a file outside drafts/
    assert client.get("/preview/7").status_code == 404


def test_serve_builds_the_site_first_and_serves_the_feed(nl_dir):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--dir", str(nl_dir), "serve", "--port", str(port)],
                            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/feed.xml", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not come up: {proc.stdout.read() if proc.poll() is not None else ''}")
                time.sleep(0.1)
        assert r.status_code == 200 and "<rss" in r.text
        assert (nl_dir / "site" / "index.html").is_file()
        assert httpx.get(f"http://127.0.0.1:{port}/subscribe").status_code == 200
    finally:
        os.kill(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
    assert "GET /feed.xml 200" in out and "GET /subscribe 200" in out


def test_an_internal_error_is_a_500_page_without_a_trace(de_dir):
    nl = _open(de_dir)
    with nl.engine.begin() as conn:  # break the database under the running app
        conn.exec_driver_sql("DROP TABLE deliveries")
        conn.exec_driver_sql("DROP TABLE subscribers")
    with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
        r = client.post("/subscribe", data={"email": "x@example.org"})
    nl.close()
    assert r.status_code == 500 and "Etwas ist schiefgegangen" in r.text and '<html lang="de">' in r.text
    assert "Traceback" not in r.text and "subscribers" not in r.text


def test_a_site_file_replaced_by_a_rebuild_while_served_is_sent_whole(tmp_path):
    """A build renames new files into place. Between the lookup (its stat) and the reading, a
    file may be replaced by a longer or shorter one: what is sent is one file, whole, with its
    own Content-Length (it went out cut off at the old length, an IncompleteRead for readers)."""
    from pipeline.web.app import SiteFiles

    site = tmp_path / "site"
    site.mkdir()
    page = site / "feed.xml"
    page.write_text("<rss>old</rss>")
    old = os.stat(page)
    new = site / ".feed.xml.tmp"
    new.write_text("<rss>" + "new " * 200 + "</rss>")
    os.replace(new, page)  # what render/writer.py does
    files = SiteFiles(directory=site, html=True, check_dir=False)
    response = files.file_response(str(page), old, {"type": "http", "method": "GET", "headers": []})
    assert response.body == page.read_bytes()
    assert response.headers["content-length"] == str(len(page.read_bytes()))
    head = files.file_response(str(page), old, {"type": "http", "method": "HEAD", "headers": []})
    assert head.body == b"" and head.headers["content-length"] == str(len(page.read_bytes()))
