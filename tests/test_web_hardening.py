"""The web server under hostile input (issue #12): bodies bounded while they stream in, the
same-origin rule on every state change, the confirmation-mail throttle, the bookmarklet's
token kept out of visited pages, Host checks, slowloris and connection caps, no 500s or raw
log lines from malformed paths. Real uvicorn on loopback where the server matters."""

from __future__ import annotations

import logging
import os
import re
import socket
import stat
import threading
import time

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from pipeline import subscribers as subs
from pipeline.models import Link
from pipeline.tokens import confirm_token, unsubscribe_token
from pipeline.web import create_app
from pipeline.web.author import bookmarklet_token
from pipeline.web.server import LogDedup, uvicorn_config
from tests.conftest import run_cli
from tests.smtp import SmtpServer
from tests.test_web import LiveServer, _open, _sub, own_page_client


class GuardedServer(LiveServer):
    """The app under the uvicorn configuration ``serve`` and ``run`` use, with its limits."""

    def __init__(self, app, **limits):
        super().__init__(app)
        config = uvicorn_config(app, "127.0.0.1", self.port, log_level="warning", lifespan="off", **limits)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def app_nl(nl_dir, smtp):
    nl = _open(nl_dir, smtp)
    yield nl
    nl.close()


def _connect(port: int, timeout: float = 10) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def _status(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"closed without an answer: {head!r}")
        head += chunk
    return int(head.split(b" ", 2)[1])


def _closed_by_server(sock: socket.socket) -> bool:
    """True when the server closes the connection (bounded by the socket's timeout)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


# ------------------------------------------------------------------ 1: bodies

def test_a_chunked_body_is_cut_off_at_the_limit_without_waiting_for_its_end(app_nl):
    with GuardedServer(create_app(app_nl)) as server:
        sock = _connect(server.port)
        sock.sendall(b"POST /collect HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\nX-Linkletter-Token: " +
                     bookmarklet_token(app_nl.settings).encode() + b"\r\n\r\n")
        chunk = b"x" * 65536
        try:
            for _ in range(8):  # 512 KiB, twice the limit, and never the last chunk
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert _status(sock) == 413
        sock.close()


def test_the_token_is_checked_before_a_body_is_parsed_and_deep_json_is_a_400(app_nl):
    app = create_app(app_nl)
    deep = "[" * 100_000 + "]" * 100_000
    with GuardedServer(app) as server, own_page_client(server) as client:
        stranger = client.post("/collect", content=deep, headers={"Content-Type": "application/json"})
        author = client.post("/collect", content=deep, headers={"Content-Type": "application/json",
                                                                "X-Linkletter-Token": bookmarklet_token(app_nl.settings)})
        wrong = client.post("/collect", content=b"{}", headers={"Content-Type": "application/json",
                                                                "X-Linkletter-Token": "wrong"})
    assert stranger.status_code == 403 and author.status_code == 400 and wrong.status_code == 403
    assert author.json() == {"ok": False, "error": "the JSON is nested too deeply"}


def test_multipart_uploads_are_refused_and_nothing_is_spooled(app_nl, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "spool"))
    (tmp_path / "spool").mkdir()
    files = {"file": ("big.bin", b"\0" * 200_000, "application/octet-stream")}
    with GuardedServer(create_app(app_nl)) as server, own_page_client(server) as client:
        collect = client.post("/collect", files=files, data={"token": bookmarklet_token(app_nl.settings)})
        subscribe = client.post("/subscribe", files={"email": ("e", b"m@example.org", "text/plain")})
        oversized = client.post("/subscribe", data={"email": "m@example.org", "name": "x" * 20_000})
    assert collect.status_code == 415 and subscribe.status_code == 415 and oversized.status_code == 413
    assert list((tmp_path / "spool").iterdir()) == []
    assert list(subs.list_subscribers(app_nl)) == []


# ------------------------------------------------------------------ 6: mail bombing, cross-site posts

def _after_background(client: httpx.Client) -> None:
    # one keep-alive connection: uvicorn starts this request after the last one's mail went out
    client.get("/subscribe")


def test_plus_tags_dots_and_domains_share_one_throttle_and_the_hour_has_a_cap(nl_dir, smtp):
    nl = _open(nl_dir, smtp, confirmation_mails_per_hour=8, subscribe_rate_limit=0)  # 5 per domain
    with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
        for addr in ("bomb@example.org", "bomb+1@example.org", "bomb+2@example.org", "b.o.m.b@gmail.com",
                     "bomb@gmail.com", "bo.mb+x@googlemail.com"):
            assert client.post("/subscribe", data={"email": addr}).status_code == 200
        for i in range(6):
            client.post("/subscribe", data={"email": f"reader{i}@one.example"})
        for i in range(3):
            client.post("/subscribe", data={"email": f"reader{i}@two.example"})
        _after_background(client)
    got = sorted(m.rcpt_tos[0] for m in smtp.wait_for(8))
    nl.close()
    assert got == sorted(["b.o.m.b@gmail.com", "bomb@example.org", "reader0@two.example"] +
                         [f"reader{i}@one.example" for i in range(5)])
    assert _sub(nl, "bomb+1@example.org") is None  # a throttled request stores nothing


def test_the_mailbox_of_an_address():
    assert subs.mailbox_key("bomb+1@example.org") == "bomb@example.org"
    assert subs.mailbox_key("b.o.m.b+x@googlemail.com") == "bomb@gmail.com"
    assert subs.mailbox_key("j.doe@example.org") == "j.doe@example.org"  # dots count elsewhere
    assert subs.mailbox_key("+tag@example.org") == "+tag@example.org"


def test_state_changes_from_another_site_are_refused(app_nl, smtp):
    active = subs.add_subscriber(app_nl, "active@example.org").subscriber
    pending = subs.subscribe(app_nl, "pending@example.org", ip="127.0.0.1", user_agent="x",
                             consent_text="c").subscriber_id
    unsub = f"/unsubscribe/{unsubscribe_token(app_nl.settings.secret_key, active.id)}"
    confirm = f"/confirm/{confirm_token(app_nl.settings.secret_key, pending)}"
    evil = {"Origin": "https://evil.example"}
    with LiveServer(create_app(app_nl)) as server, httpx.Client(base_url=server.url) as client:
        refused = {
            "subscribe": client.post("/subscribe", data={"email": "victim@example.org"}, headers=evil),
            "fetch-metadata": client.post("/subscribe", data={"email": "victim@example.org"},
                                          headers={"Sec-Fetch-Site": "cross-site"}),
            "no-origin-no-token": client.post("/subscribe", data={"email": "victim@example.org"}),
            "confirm": client.post(confirm, headers=evil),
            "unsubscribe": client.post(unsub, data={"List-Unsubscribe": "One-Click"}, headers=evil),
        }
        page = client.get("/subscribe").text  # an old browser: no Origin, but the page's form token
        (token,) = re.findall(r'name="form_token" value="([^"]+)"', page)
        with_token = client.post("/subscribe", data={"email": "old.browser@example.org", "form_token": token})
        forged = client.post("/subscribe", data={"email": "x@example.org", "form_token": token[:-2] + "xx"})
    for name, r in refused.items():
        assert r.status_code == 403 and "Not allowed" in r.text, name
    assert with_token.status_code == 200 and forged.status_code == 403
    assert _sub(app_nl, "victim@example.org") is None and _sub(app_nl, "x@example.org") is None
    assert _sub(app_nl, "pending@example.org").status == "pending"
    assert _sub(app_nl, "active@example.org").status == "active"
    assert [m.rcpt_tos for m in smtp.wait_for(1)] == [["old.browser@example.org"]]


def test_one_click_unsubscribe_from_a_mail_provider_needs_no_origin(app_nl):
    a = subs.add_subscriber(app_nl, "a@example.org").subscriber
    b = subs.add_subscriber(app_nl, "b@example.org").subscriber
    path = lambda sub: f"/unsubscribe/{unsubscribe_token(app_nl.settings.secret_key, sub.id)}"  # noqa: E731
    with LiveServer(create_app(app_nl)) as server, httpx.Client(base_url=server.url) as client:
        form = client.post(path(a), content="List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        multipart = client.post(path(b), files={"List-Unsubscribe": (None, "One-Click")})
    assert form.status_code == 200 and multipart.status_code == 200
    assert _sub(app_nl, "a@example.org").status == _sub(app_nl, "b@example.org").status == "unsubscribed"


# ------------------------------------------------------------------ 9: the bookmarklet and Host

def test_author_pages_refuse_a_dns_rebinding_host(app_nl):
    app_nl.settings.drafts_dir.mkdir(exist_ok=True)
    (app_nl.settings.drafts_dir / "001-x.md").write_text("---\nissue: 1\ntitle: X\nstatus: draft\n---\nHi.\n", "utf-8")
    token = bookmarklet_token(app_nl.settings)
    rebound = {"Host": "evil.example:8080", "Origin": "http://evil.example:8080"}
    with LiveServer(create_app(app_nl)) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/preview/1").status_code == 200
        assert client.get("/preview/1", headers={"Host": "news.example.org"}).status_code == 200  # base_url's host
        assert client.get("/preview/1", headers=rebound).status_code == 403
        assert client.get("/preview/1/email", headers=rebound).status_code == 403
        assert client.get("/collect/new", headers=rebound).status_code == 403
        saved = client.post("/collect", data={"token": token, "url": "https://e.example/"}, headers=rebound)
    assert saved.status_code == 403
    with app_nl.session() as s:
        assert s.scalars(select(Link)).all() == []


def test_the_bookmarklet_token_can_be_rotated(nl_dir, app_nl):
    old = bookmarklet_token(app_nl.settings)
    out = run_cli("--dir", str(nl_dir), "bookmarklet", "--rotate")
    new = out.stderr.strip().removeprefix("token: ")
    assert new != old and new == bookmarklet_token(app_nl.settings)
    assert stat.S_IMODE(os.stat(nl_dir / ".bookmarklet-token").st_mode) == 0o600
    with LiveServer(create_app(app_nl)) as server, own_page_client(server) as client:
        assert client.post("/collect", data={"token": old, "url": "https://e.example/a"}).status_code == 403
        assert client.post("/collect", data={"token": new, "url": "https://e.example/b"}).status_code == 200


# ------------------------------------------------------------------ 14: malformed paths, log lines

def test_malformed_tokens_and_paths_are_400_or_404_pages(app_nl, caplog):
    with caplog.at_level(logging.INFO, logger="linkletter.web"), \
            LiveServer(create_app(app_nl)) as server, own_page_client(server) as client:
        got = {p: client.get(p).status_code for p in
               ("/unsubscribe/1.%C3%A9", "/confirm/%C3%A9%00", "/preview/%C2%B2", "/preview/%C2%B2/email",
                "/unsubscribe/" + "9" * 5000)}
        got["post-unsubscribe"] = client.post("/unsubscribe/1.%C3%A9").status_code
        html = client.post("/collect", data={"token": bookmarklet_token(app_nl.settings), "url": "javascript:x"},
                           headers={"Accept": "text/html"})
    assert got == {"/unsubscribe/1.%C3%A9": 400, "/confirm/%C3%A9%00": 400, "/preview/%C2%B2": 404,
                   "/preview/%C2%B2/email": 404, "/unsubscribe/" + "9" * 5000: 400, "post-unsubscribe": 400}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert html.status_code == 400 and "Saved to" not in html.text and "Bad request" in html.text


def test_the_error_log_masks_tokens_and_escapes_controls(app_nl, caplog):
    sid = subs.subscribe(app_nl, "p@example.org", ip="1", user_agent="x", consent_text="c").subscriber_id
    token = confirm_token(app_nl.settings.secret_key, sid)
    with app_nl.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE deliveries")
        conn.exec_driver_sql("DROP TABLE subscribers")
    with caplog.at_level(logging.INFO, logger="linkletter.web"), \
            LiveServer(create_app(app_nl)) as server, own_page_client(server) as client:
        r = client.post(f"/confirm/{token}")
    assert r.status_code == 500
    (line,) = [x.getMessage() for x in caplog.records if x.getMessage().startswith("error answering")]
    assert token not in line and f"/confirm/{token[:4]}…" in line and "\n" not in line


# ------------------------------------------------------------------ 5: slowloris, connection caps, log floods

def test_headers_that_take_too_long_are_cut_off(app_nl):
    with GuardedServer(create_app(app_nl), header_timeout=0.5) as server:
        slow = _connect(server.port)
        slow.sendall(b"GET /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never the end
        idle = _connect(server.port)  # a connection that never sends anything
        assert _closed_by_server(slow) and _closed_by_server(idle)
        assert httpx.get(server.url + "/subscribe", timeout=10).status_code == 200


def test_connections_over_the_caps_are_closed_at_once(app_nl):
    app = create_app(app_nl)
    with GuardedServer(app, header_timeout=60, max_connections=4) as server:
        held = [_connect(server.port) for _ in range(4)]
        for s in held:
            s.sendall(b"GET / HTTP/1.1\r\n")
        extra = _connect(server.port)
        assert _closed_by_server(extra)
        for s in held:
            s.close()
        for _ in range(200):  # the server notices the closed ones on its own time: bounded retries
            try:
                if httpx.get(server.url + "/subscribe", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                pass
        else:
            raise AssertionError("the server did not take connections again")
    # per client address, unless it is a trusted proxy (none here)
    with GuardedServer(app, header_timeout=60, max_per_client=2, forwarded_allow_ips="192.0.2.1") as server:
        held = [_connect(server.port) for _ in range(2)]
        for s in held:
            s.sendall(b"GET / HTTP/1.1\r\n")
        assert _closed_by_server(_connect(server.port))
        for s in held:
            s.close()


def test_repeated_identical_log_lines_are_limited():
    now = [0.0]
    logger = logging.getLogger("test.flood")
    logger.propagate = False
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger.addHandler(Keep())
    logger.addFilter(LogDedup(burst=3, window=60, clock=lambda: now[0]))
    for _ in range(10_000):
        logger.error("socket.accept() out of system resource: %s", "Too many open files")
    logger.error("another line")
    now[0] += 61
    logger.error("socket.accept() out of system resource: %s", "Too many open files")
    assert len(records) == 5 and records[3] == "another line"
    assert records[4] == "socket.accept() out of system resource: Too many open files [9997 identical lines left out]"


def test_serve_and_run_use_one_uvicorn_configuration(app_nl, monkeypatch):
    """`serve` and the main job (`run`) both hand run_server a config from uvicorn_config."""
    from pipeline.mainjob import server as mainjob
    from pipeline.web import server

    started = []
    monkeypatch.setattr(server, "run_server", lambda config, on_exit=None: started.append((config, on_exit)))
    server.serve(app_nl, "127.0.0.1", 1)
    mainjob.run(app_nl, "127.0.0.1", 2)  # the scheduler starts, run_server returns at once, it stops
    assert [c.port for c, _ in started] == [1, 2]
    for config, _ in started:
        assert config.http.__name__ == "GuardedH11Protocol" and config.timeout_keep_alive == 5
        assert config.h11_max_incomplete_event_size == 16 * 1024 and config.access_log is False
    assert started[1][1] is not None  # the main job stops its work when a signal arrives
