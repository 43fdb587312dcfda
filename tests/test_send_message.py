"""The per-issue MIME template: personalized per subscriber without building a message again,
safe headers, the unsubscribe URL in every place, dot-stuffing, and DKIM."""

from __future__ import annotations

import base64
import email
import email.policy
import quopri
import re
import subprocess

import dkim
from email.header import decode_header, make_header
import pytest

from pipeline.errors import LinkletterError
from pipeline.render import UNSUBSCRIBE_PLACEHOLDER as PH
from pipeline.render.email import render_issue
from pipeline.send.campaign import send_issue, template_bytes
from pipeline.send.dkim import signer_from_settings
from pipeline.send.message import (AddressError, MessageTemplate, dot_stuff, format_to, qp_url, smtp_address)
from pipeline.newsletter import open_newsletter
from pipeline.tokens import unsubscribe_url
from tests.smtp_behaviours import add_subscribers, write_draft


def _template(nl, **kw):
    draft = write_draft(nl.settings.root)
    rendered = render_issue(nl, draft)
    assert PH in rendered.html and PH in rendered.text
    return MessageTemplate.from_settings(nl.settings, template_bytes(nl.settings, rendered, **kw), 7), rendered


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_filling_the_template_equals_the_rendered_issue_with_the_subscribers_link(nl):
    template, rendered = _template(nl)
    data = template.fill(42, "reader@example.net", "Jörg Müller")
    msg = _parse(data)
    url = unsubscribe_url(nl.settings, 42)
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == rendered.text.replace(PH, url)
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == rendered.html.replace(PH, url)
    assert msg["To"].addresses[0].display_name == "Jörg Müller"
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    body_lines = data.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76  # quoted-printable lines, URL included


def test_message_id_is_the_same_for_every_attempt_and_differs_between_subscribers(nl):
    template, _ = _template(nl)
    a1 = _parse(template.fill(1, "a@example.net"))["Message-ID"]
    a2 = _parse(template.fill(1, "a@example.net"))["Message-ID"]
    b = _parse(template.fill(2, "b@example.net"))["Message-ID"]
    assert a1 == a2 != b


@pytest.mark.parametrize("name", ["Evil\r\nBcc: victim@example.com", "Evil\nSubject: x", "x\x00y",
                                  '"quoted" \\ back', "Ünïcödé " * 20])
def test_a_display_name_can_never_add_a_header(nl, name):
    template, _ = _template(nl)
    msg = _parse(template.fill(5, "reader@example.net", name))
    assert msg["To"].addresses[0].addr_spec == "reader@example.net"
    assert msg.get_all("Bcc") is None and len(msg.get_all("Subject")) == 1 and len(msg.get_all("To")) == 1
    expected = " ".join(name.replace("\x00", " ").split())
    if name.isascii():
        assert msg["To"].addresses[0].display_name == expected
    else:  # long names span several RFC 2047 words; decode as RFC 2047 says (no space between words)
        raw_to = template.fill(5, "reader@example.net", name).split(b"\r\nSubject:")[0].split(b"To: ", 1)[1]
        assert str(make_header(decode_header(raw_to.decode()))) == f"{expected} <reader@example.net>"


@pytest.mark.parametrize("addr", ["a b@example.net", "a@exa\r\nmple.net", "<a@example.net>", "noat", "ü@example.net"])
def test_addresses_that_cannot_be_mailed_are_refused(addr):
    with pytest.raises(AddressError):
        smtp_address(addr)


def test_internationalized_domains_go_out_in_ascii():
    assert smtp_address("leser@bücher.example") == "leser@xn--bcher-kva.example"
    assert format_to("", "leser@bücher.example") == b"leser@xn--bcher-kva.example"


def test_the_url_is_quoted_printable_in_short_lines_and_never_starts_a_line_with_a_dot():
    url = "https://news.example.org/p?a=1&b=" + "." * 200
    enc = qp_url(url)
    assert quopri.decodestring(enc.replace(b"\r\n", b"\n")).decode() == url
    assert all(len(line) <= 76 and not line.startswith(b".") for line in enc.split(b"\r\n"))


def test_dot_stuffing_done_once_on_the_template_matches_stuffing_the_whole_message(nl):
    template, _ = _template(nl)

    def same_date(b: bytes) -> bytes:
        return re.sub(rb"Date: [^\r]*", b"Date: X", b)

    for sid in (1, 99999):
        plain = template.fill(sid, "reader@example.net", "R")
        stuffed = template.fill_stuffed(sid, "reader@example.net", "R")
        assert b"\r\n.dot at the start" in plain and b"\r\n..dot at the start" in stuffed
        assert same_date(stuffed) == same_date(dot_stuff(plain))


def _keypair(tmp_path):
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return key, base64.b64encode(der)


def test_dkim_signature_verifies_against_the_published_key(nl_dir, tmp_path):
    key, pub = _keypair(tmp_path)
    (nl_dir / "keys").mkdir()
    key.rename(nl_dir / "keys" / "dkim.pem")
    nl = open_newsletter(nl_dir, env={"LINKLETTER_DKIM_DOMAIN": "example.org", "LINKLETTER_DKIM_SELECTOR": "ll2026",
                                      "LINKLETTER_DKIM_KEY_FILE": "keys/dkim.pem"})
    draft = write_draft(nl_dir)
    (sid,) = add_subscribers(nl.engine, 1)
    assert send_issue(nl, draft, force=True).sent == 1
    data = next(nl.settings.outbox_dir.glob("*.eml")).read_bytes()
    asked = []

    def dns(name, timeout=5):
        asked.append(name)
        return b"v=DKIM1; k=rsa; p=" + pub

    assert data.startswith(b"DKIM-Signature:")
    assert dkim.verify(data, dnsfunc=dns)
    assert asked == [b"ll2026._domainkey.example.org."]
    tampered = data.replace(b"reader0@example.net", b"someone@example.net", 1)
    assert not dkim.verify(tampered, dnsfunc=dns)
    assert unsubscribe_url(nl.settings, sid).encode() in quopri.decodestring(data)


def test_dkim_without_a_readable_key_is_a_clear_error(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_DKIM_DOMAIN": "example.org", "LINKLETTER_DKIM_SELECTOR": "s",
                                      "LINKLETTER_DKIM_KEY_FILE": "missing.pem"})
    with pytest.raises(LinkletterError, match="cannot read the DKIM key"):
        signer_from_settings(nl.settings)
