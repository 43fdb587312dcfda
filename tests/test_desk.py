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


def test_after_a_send_the_desk_shows_what_came_back_per_issue(nl_dir):
    from pipeline.inbound.record import InboundEvent, record_event
    from pipeline.send.campaign import SendOptions, send_issue
    from pipeline.subscribers.people import unsubscribe
    from tests.smtp import SmtpServer
    from tests.smtp_behaviours import DRAFT, add_subscribers, write_draft

    with SmtpServer() as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        ids = add_subscribers(nl.engine, 5)
        report = send_issue(nl, write_draft(nl_dir, DRAFT), options=SendOptions(poll=0.05, timeout=10), force=True)
        assert report.finished
        record_event(nl, InboundEvent(kind="hard_bounce", source="test", event_key="b1", subscriber_id=ids[0], issue_number=7))
        record_event(nl, InboundEvent(kind="soft_bounce", source="test", event_key="b2", subscriber_id=ids[1], issue_number=7))
        record_event(nl, InboundEvent(kind="complaint", source="test", event_key="c1", subscriber_id=ids[2], issue_number=7))
        unsubscribe(nl, ids[3])
        with LiveServer(create_app(nl)) as server, client(server) as c:
            page = c.get("/desk/send").text
            progress = c.get("/desk/send/progress").json()
        nl.close()
    row = re.search(r"<tbody><tr>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells == ["7", "sent", "5", "1", "1", "1", "1"]
    assert progress["sent"] == progress["total"] == 5 and not progress["running"] and progress["percent"] == 100


def test_bad_input_on_the_reading_view_is_a_clear_error_and_changes_nothing(desk):
    nl, server, site = desk
    link_id = collect.add_link(nl, site.url("/pages/german.html"), fetch=True, origin="cli")
    path = f"/desk/link/{link_id}/quote"
    token = auth.csrf_token(nl.settings, None, path)
    with client(server) as c:
        empty = c.post(path, data={"csrf": token, "text": "   "})
        huge = c.post(f"/desk/link/{link_id}/note", data={"csrf": auth.csrf_token(nl.settings, None, f"/desk/link/{link_id}/note"),
                                                           "note": "x" * 20_001})
        order = c.post(f"/desk/link/{link_id}/order", data={"csrf": auth.csrf_token(nl.settings, None, f"/desk/link/{link_id}/order"),
                                                             "order": "1,drop table"})
        assert c.get("/desk/link/99999").status_code == 404
        assert c.get("/desk/link/abc").status_code == 404
    assert empty.status_code == 400 and "select a passage" in empty.text
    assert huge.status_code == 400 and "20,000 characters" in huge.text
    assert order.status_code == 400 and "quote ids" in order.text
    details = collect.link_details(nl, link_id)
    assert details.quotes == () and details.note is None


def test_assemble_now_and_a_test_mail_are_the_library_calls(nl_dir):
    from tests.smtp import SmtpServer

    with SmtpServer() as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        link_id = collect.add_link(nl, "https://example.com/picked", title="A pick", fetch=False, origin="cli")
        with LiveServer(create_app(nl)) as server, client(server) as c:
            r = c.post("/desk/draft/assemble", data={"csrf": auth.csrf_token(nl.settings, None, "/desk/draft/assemble")})
            assert r.status_code == 303
            name = r.headers["location"].split("draft=", 1)[1]
            assert collect.link_details(nl, link_id).issue_number == 1
            assert "https://example.com/picked" in (nl.settings.drafts_dir / name).read_text(encoding="utf-8")
            test_path = f"/desk/draft/{name}/test"
            sent = c.post(test_path, data={"csrf": auth.csrf_token(nl.settings, None, test_path), "address": "me@example.net"})
            assert sent.status_code == 200 and "Test mail sent" in sent.text
            (mail,) = smtp.wait_for(1)
            assert mail.rcpt_tos == ["me@example.net"]
            bad = c.post(test_path, data={"csrf": auth.csrf_token(nl.settings, None, test_path), "address": ""})
            assert bad.status_code == 400 and "address" in bad.text
        nl.close()


def test_numbers_page_shows_the_stats_or_says_they_are_not_available(desk):
    nl, server, _ = desk
    import importlib.util

    with client(server) as c:
        r = c.get("/desk/numbers")
    assert r.status_code == 200
    if importlib.util.find_spec("pipeline.stats") is None:  # the stats branch not merged (yet)
        assert 'id="no-numbers"' in r.text
    else:
        assert 'id="issue-figures"' in r.text and "data:image/svg+xml;base64," in r.text



def test_desk_login_mail_sends_the_link_to_the_notify_address(nl_dir, cli):
    from tests.conftest import clean_env
    from tests.smtp import SmtpServer

    with SmtpServer() as smtp:
        env = clean_env(LINKLETTER_SMTP_URL=smtp.url, LINKLETTER_NOTIFY="Author <author@example.net>")
        result = cli("--dir", str(nl_dir), "desk", "login", "--mail", env=env)
        assert result.returncode == 0, result.stderr
        (mail,) = smtp.wait_for(1)
    (url,) = re.findall(r"https://news\.example\.org/desk/login/[\w-]+", result.stdout)
    assert mail.rcpt_tos == ["author@example.net"]
    assert url in mail.message.get_body(("plain",)).get_content()
    nl = open_newsletter(nl_dir, env={})
    try:
        assert auth.login_valid(nl.settings, url.rsplit("/", 1)[1])
    finally:
        nl.close()


def test_desk_login_mail_without_a_notify_address_says_so(nl_dir, cli):
    result = cli("--dir", str(nl_dir), "desk", "login", "--mail", check=False)
    assert result.returncode == 1
    assert "no notify address" in result.stderr


def test_the_inbox_pages_newest_first_and_filters_by_source(desk):
    nl, server, site = desk
    ids = []
    for i in range(30):
        ids.append(collect.add_link(nl, f"https://example.com/page-{i}", title=f"Page {i}", fetch=False, origin="cli"))
    collect.unpick(nl, ids)
    with client(server) as c:
        first = c.get("/desk").text
        shown = [int(x) for x in re.findall(r'data-link="(\d+)"', first)]
        assert shown == sorted(ids, reverse=True)[:25]
        (older,) = re.findall(r'href="(/desk\?before=\d+)" id="older"', first)
        rest = [int(x) for x in re.findall(r'data-link="(\d+)"', c.get(older).text)]
        assert rest == sorted(ids, reverse=True)[25:]
        source = collect.add_source(nl, site.url("/feeds/blog.rss"), name="Blog")
        only = c.get(f"/desk?source={source.id}").text
    assert re.findall(r'data-link="(\d+)"', only) == []  # nothing collected from that feed yet
    assert 'selected>Blog</option>' in only


def test_send_now_needs_the_confirmation_and_says_why_a_send_was_refused(desk):
    nl, server, _ = desk
    from tests.smtp_behaviours import write_draft

    draft = write_draft(nl.settings.root, "---\nissue: 3\ntitle: Three\nstatus: sent\n---\nText.\n", name="003-three.md")
    token = auth.csrf_token(nl.settings, None, "/desk/send/start")
    with client(server) as c:
        unconfirmed = c.post("/desk/send/start", data={"csrf": token, "draft": draft.name})
        assert unconfirmed.status_code == 400 and "tick the box" in unconfirmed.text
        unknown = c.post("/desk/send/start", data={"csrf": token, "draft": "../linkletter.toml", "confirm": "yes"})
        assert unknown.status_code == 400 and "no such draft" in unknown.text
        started = c.post("/desk/send/start", data={"csrf": token, "draft": draft.name, "confirm": "yes"})
        assert started.status_code == 303 and started.headers["location"] == "/desk/send"
        state = c.get("/desk/send/progress").json()
        assert "desk_send_running" in state
    from pipeline.web.desk.sending import desk_send

    app = server.server.config.app
    desk_send(app).thread.join(30)
    with client(server) as c:
        page = c.get("/desk/send").text
    assert "Not sent:" in page and "never sent issue 3" in page


@pytest.mark.parametrize("args", [["desk", "login"], ["desk", "logout", "--all"]])
def test_desk_commands_load_no_stage(args, nl_dir):
    from tests.test_cli_startup import STAGES, loaded_after

    loaded = loaded_after(args, nl_dir)
    assert "pipeline.web.desk.auth" in loaded  # the command ran
    assert not loaded & set(STAGES), sorted(loaded & set(STAGES))
