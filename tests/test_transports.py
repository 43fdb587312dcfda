"""Sending one message: SMTP URL parsing, a real SMTP server, the file outbox."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from pipeline.send.transports import TransportError, parse_smtp_url, send_message
from pipeline.newsletter import open_newsletter
from tests.smtp import SmtpServer, free_port


def _msg() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Weekly Reads <news@example.org>"
    m["To"] = "Jörg Müller <joerg@example.net>"
    m["Subject"] = "Bestätigen Sie „Weekly Reads“"
    m.set_content("Hallo Jörg\n")
    return m


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
    msg = _msg()
    msg.set_content("".join(f"Zeile {i}: Grüße aus dem Archiv.\n" for i in range(200)))
    with SmtpServer() as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        send_message(nl.settings, msg)
        (got,) = smtp.wait_for(1)
    assert got.message.get_content().count("Grüße aus dem Archiv.") == 200
