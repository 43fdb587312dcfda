"""The desk over real HTTP (uvicorn on loopback): who may open it, the login link, sessions,
CSRF, the Host check, caching headers, and that its actions are the library's.

A remote client: the app decides "this machine" by the client address uvicorn gives it
(``guard.from_this_machine``). uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 (its default
``forwarded_allow_ips``, the reverse proxy in front of a server), so a request with
``X-Forwarded-For: 203.0.113.7`` reaches the app as that remote client, exactly as one
forwarded by nginx would.
"""

from __future__ import annotations

import os
import re
import stat

import httpx
import pytest

from pipeline import collect
from pipeline.newsletter import open_newsletter
from pipeline.web import create_app
from pipeline.web.desk import auth
from tests.conftest import allow_fetch
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)
from tests.test_web import LiveServer

REMOTE = {"X-Forwarded-For": "203.0.113.7"}


@pytest.fixture
def desk(nl_dir, site):  # noqa: F811
    allow_fetch(nl_dir, "127.0.0.1")
    nl = open_newsletter(nl_dir, env={})
    with LiveServer(create_app(nl)) as server:
        yield nl, server, site
    nl.close()


def client(server, **headers) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url, **headers},
                        follow_redirects=False)


def csrf_of(html: str, action: str) -> str:
    m = re.search(r'action="%s"><input type="hidden" name="csrf" value="([0-9a-f]+)"' % re.escape(action), html)
    assert m, f"no form posting to {action}"
    return m.group(1)


def test_from_this_machine_the_desk_opens_and_nothing_is_cached(desk):
    nl, server, _ = desk
    with client(server) as c:
        r = c.get("/desk")
    assert r.status_code == 200
    assert "Inbox" in r.text
    assert "no-store" in r.headers["cache-control"] and "private" in r.headers["cache-control"]
    assert "script-src 'nonce-" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_a_remote_client_without_a_session_gets_404_everywhere(desk):
    nl, server, _ = desk
    with client(server, **REMOTE) as c:
        for path in ("/desk", "/desk/draft", "/desk/send", "/desk/link/1", "/desk/send/progress"):
            assert c.get(path).status_code == 404, path
        assert c.post("/desk/pick", data={"ids": "1", "csrf": "x"}).status_code == 404


def test_a_wrong_host_header_gets_404_even_from_this_machine(desk):
    nl, server, _ = desk
    with client(server, Host="evil.example") as c:
        assert c.get("/desk").status_code == 404


def test_login_link_get_consumes_nothing_post_gives_a_strict_httponly_session(desk):
    nl, server, _ = desk
    token = auth.create_login(nl.settings)
    with client(server, **REMOTE) as c:
        page = c.get(f"/desk/login/{token}")
        assert page.status_code == 200 and 'id="login"' in page.text
        assert c.get(f"/desk/login/{token}").status_code == 200  # a mail scanner's GET used nothing up
        r = c.post(f"/desk/login/{token}")
        assert r.status_code == 303 and r.headers["location"] == "/desk"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert c.get("/desk").status_code == 200  # the session opens the desk from elsewhere
        # used once: the same link does not log in again
        with client(server, **REMOTE) as other:
            assert other.post(f"/desk/login/{token}").status_code == 404
            assert other.get("/desk").status_code == 404
    mode = stat.S_IMODE(os.stat(nl.settings.root / auth.STORE).st_mode)
    assert mode == 0o600
    assert token not in (nl.settings.root / auth.STORE).read_text()  # only hashes are kept


def test_an_unknown_or_expired_login_link_is_404(desk):
    nl, server, _ = desk
    old = auth.create_login(nl.settings, now=0)  # expired long ago
    with client(server, **REMOTE) as c:
        assert c.get(f"/desk/login/{old}").status_code == 404
        assert c.post(f"/desk/login/{old}").status_code == 404
        assert c.get("/desk/login/" + "A" * 43).status_code == 404


def test_logout_all_ends_every_session(desk, cli):
    nl, server, _ = desk
    result = cli("--dir", str(nl.settings.root), "desk", "login")
    assert result.returncode == 0, result.stderr
    (url,) = re.findall(r"https://news\.example\.org/desk/login/[\w-]+", result.stdout)
    token = url.rsplit("/", 1)[1]
    with client(server, **REMOTE) as c:
        assert c.post(f"/desk/login/{token}").status_code == 303
        assert c.get("/desk").status_code == 200
        out = cli("--dir", str(nl.settings.root), "desk", "logout", "--all")
        assert "Ended 1 session" in out.stdout
        assert c.get("/desk").status_code == 404


def test_a_post_without_the_csrf_token_or_from_another_site_changes_nothing(desk):
    nl, server, _ = desk
    link_id = collect.add_link(nl, "https://example.com/a", title="A", fetch=False, origin="cli")
    collect.unpick(nl, [link_id])  # into the inbox
    with client(server) as c:
        page = c.get("/desk").text
        token = csrf_of(page, "/desk/pick")
        assert c.post("/desk/pick", data={"ids": str(link_id)}).status_code == 403
        assert c.post("/desk/pick", data={"ids": str(link_id), "csrf": csrf_of(page, "/desk/dismiss")}).status_code == 403
    with client(server, Origin="https://evil.example") as c:
        assert c.post("/desk/pick", data={"ids": str(link_id), "csrf": token}).status_code == 403
    assert collect.link_details(nl, link_id).state == "inbox"
    with client(server) as c:
        r = c.post("/desk/pick", data={"ids": str(link_id), "csrf": token, "back": "/desk"})
    assert r.status_code == 303 and r.headers["location"] == "/desk"
    assert collect.link_details(nl, link_id).state == "picked"


def test_a_session_token_does_not_work_for_another_session(desk):
    nl, server, _ = desk
    link_id = collect.add_link(nl, "https://example.com/b", title="B", fetch=False, origin="cli")
    collect.unpick(nl, [link_id])
    with client(server) as local:
        loopback_token = csrf_of(local.get("/desk").text, "/desk/dismiss")
    token = auth.create_login(nl.settings)
    with client(server, **REMOTE) as c:
        c.post(f"/desk/login/{token}")
        assert c.post("/desk/dismiss", data={"ids": str(link_id), "csrf": loopback_token}).status_code == 403
        own = csrf_of(c.get("/desk").text, "/desk/dismiss")
        assert c.post("/desk/dismiss", data={"ids": str(link_id), "csrf": own}).status_code == 303
    assert collect.link_details(nl, link_id).state == "dismissed"


def test_a_refused_action_says_why_and_the_redirect_stays_on_the_desk(desk):
    nl, server, _ = desk
    with client(server) as c:
        token = auth.csrf_token(nl.settings, None, "/desk/undismiss")  # the loopback author's
        r = c.post("/desk/undismiss", data={"ids": "999", "csrf": token, "back": "https://evil.example/"})
    assert r.status_code == 400
    assert "no link with id 999" in r.text
    assert 'href="/desk"' in r.text


def test_the_draft_events_stream_says_changed_when_the_file_is_saved(desk):
    nl, server, _ = desk
    from pipeline.draft.assemble import assemble

    path = assemble(nl).path
    with client(server) as c, c.stream("GET", f"/desk/draft/{path.name}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        assert next(lines).startswith("retry:")
        path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        seen = []
        for line in lines:
            seen.append(line)
            if line.startswith("data:"):
                break
        assert "event: changed" in seen


def test_previews_and_findings_of_a_broken_draft_say_file_and_line(desk):
    nl, server, _ = desk
    from pipeline.draft.assemble import assemble

    path = assemble(nl).path
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("issue:", "issue: [", 1), encoding="utf-8")
    with client(server) as c:
        preview = c.get(f"/desk/draft/{path.name}/page")
        found = c.get(f"/desk/draft/{path.name}/findings")
        assert c.get("/desk/draft/..%2Flinkletter.toml/page").status_code == 404
    assert preview.status_code == 422 and path.name in preview.text
    assert re.search(rf"{re.escape(path.name)}:\d+", found.text)
    assert path.read_text(encoding="utf-8") != original  # the desk left the author's file as it was
