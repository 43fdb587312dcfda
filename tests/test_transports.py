"""Sending one message (the one transport of system mails and test copies): SMTP URL parsing,
a real SMTP server, the file outbox."""

from __future__ import annotations

import email
import email.policy
import pytest

from pipeline.newsletter import open_newsletter
from pipeline.send import single
from pipeline.send.message import build_single
from pipeline.send.transports import TransportError, parse_smtp_url
from tests.smtp import SmtpServer, free_port


def _msg(text: str = "Hallo Jörg\n"):
    return dict(subject="Bestätigen Sie „Weekly Reads“", text=text, html=f"<p>{text}</p>",
                to_addr="joerg@example.net", to_name="Jörg Müller")


def send_message(settings, parts: dict) -> str:
    return single.send_message(settings, build_single(settings, **parts), parts["to_addr"])


def test_parse_smtp_url_never_shows_the_password():
    t = parse_smtp_url("smtps://user%40x:s3cr%2Ft@mail.example.org")
    assert (t.host, t.port, t.tls, t.username, t.password) == ("mail.example.org", 465, "ssl", "user@x", "s3cr/t")
    assert "s3cr" not in repr(t)
    assert parse_smtp_url("smtp://relay:2525").tls == "auto"
    assert parse_smtp_url("smtp+starttls://relay").port == 587


def test_send_through_a_real_smtp_server(nl_dir):
    with SmtpServer() as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        send_message(nl.settings, _msg())
        (got,) = smtp.wait_for(1)
    assert got.rcpt_tos == ["joerg@example.net"]
    assert got.message["Subject"] == "Bestätigen Sie „Weekly Reads“"


def test_without_smtp_the_outbox_gets_an_eml_file(nl):
    where = send_message(nl.settings, _msg())
    files = list(nl.settings.outbox_dir.glob("*.eml"))
    assert [str(f) for f in files] == [where]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == "Jörg Müller"


def test_unreachable_server_is_a_clear_temporary_error(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": f"smtp://127.0.0.1:{free_port()}"})
    with pytest.raises(TransportError, match="cannot reach the mail server 127.0.0.1") as e:
        send_message(nl.settings, _msg())
    assert not e.value.permanent


def test_a_long_message_goes_through_smtp_with_crlf_line_ends(nl_dir):
    msg = _msg("".join(f"Zeile {i}: Grüße aus dem Archiv.\n" for i in range(200)))
    with SmtpServer() as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        send_message(nl.settings, msg)
        (got,) = smtp.wait_for(1)
    assert got.message.get_body(("plain",)).get_content().count("Grüße aus dem Archiv.") == 200


# ---------------------------------------------------------------- no password in plain text

def _plain_auth_server(logins: list):
    """aiosmtpd offering AUTH but no STARTTLS (like a misconfigured relay); records login attempts."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticator(_server, _session, _envelope, _mechanism, auth_data):
        logins.append(auth_data.login.decode())
        return AuthResult(success=True, handled=False, auth_data=auth_data)

    server = SmtpServer()
    server.controller = Controller(server.controller.handler, hostname="127.0.0.1", port=server.port,
                                   auth_required=True, auth_require_tls=False, authenticator=authenticator)
    return server


def test_plain_login_refusal_decides_by_tls_explicit_opt_in_and_loopback():
    from pipeline.send.transports import plain_login_refusal

    remote = parse_smtp_url("smtp://u:pw@mail.example.org")
    assert "offers no STARTTLS" in plain_login_refusal(remote, encrypted=False)
    assert plain_login_refusal(remote, encrypted=True) is None
    assert plain_login_refusal(parse_smtp_url("smtp://u:pw@mail.example.org?tls=none"), encrypted=False) is None
    assert plain_login_refusal(parse_smtp_url("smtp://mail.example.org"), encrypted=False) is None  # no password
    for host in ("127.0.0.1", "127.3.4.5", "[::1]", "localhost"):
        assert plain_login_refusal(parse_smtp_url(f"smtp://u:pw@{host}"), encrypted=False) is None, host
    assert "pw" not in plain_login_refusal(remote, encrypted=False).replace("password", "")


def test_a_server_without_starttls_never_gets_the_password(nl_dir, monkeypatch):
    import pipeline.send.transports as transports

    monkeypatch.setattr(transports, "PLAIN_LOGIN_ON_LOOPBACK", False)  # play a remote server
    logins: list = []
    with _plain_auth_server(logins) as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": f"smtp://news:s3cr3t-pw@127.0.0.1:{smtp.port}"})
        with pytest.raises(TransportError, match="offers no STARTTLS.*smtps://.*tls=none") as e:
            send_message(nl.settings, _msg())
        assert logins == [] and smtp.messages == []
    assert e.value.permanent and "s3cr3t-pw" not in str(e.value)


def test_a_campaign_to_a_server_without_starttls_stops_before_the_login(nl_dir, monkeypatch):
    import pipeline.send.transports as transports
    from pipeline.errors import LinkletterError
    from pipeline.send.campaign import SendOptions, send_issue
    from tests.smtp_behaviours import add_subscribers, write_draft

    monkeypatch.setattr(transports, "PLAIN_LOGIN_ON_LOOPBACK", False)
    draft = write_draft(nl_dir)
    logins: list = []
    with _plain_auth_server(logins) as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": f"smtp://news:s3cr3t-pw@127.0.0.1:{smtp.port}"})
        add_subscribers(nl.engine, 2)
        with pytest.raises(LinkletterError, match="offers no STARTTLS") as e:
            send_issue(nl, draft, force=True, options=SendOptions(retry_base=0.05, poll=0.05, connect_attempts=2,
                                                                  timeout=10))
        assert logins == [] and smtp.messages == []
    assert "s3cr3t-pw" not in str(e.value)


def test_tls_none_allows_a_plain_login_deliberately(nl_dir, monkeypatch):
    import pipeline.send.transports as transports

    monkeypatch.setattr(transports, "PLAIN_LOGIN_ON_LOOPBACK", False)
    logins: list = []
    with _plain_auth_server(logins) as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": f"smtp://news:pw@127.0.0.1:{smtp.port}?tls=none"})
        send_message(nl.settings, _msg())
        (got,) = smtp.wait_for(1)
    assert logins == ["news"] and got.rcpt_tos == ["joerg@example.net"]
