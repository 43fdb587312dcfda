"""The headers mailbox providers look for (List-Id, Precedence, Feedback-ID, Reply-To), the Date
with a numeric zone, a fresh Message-ID per test copy, and DKIM oversigning: a second From,
Subject, Reply-To or List-Unsubscribe put in front of a signed mail breaks the signature."""

from __future__ import annotations

import email
import email.policy
import re

import dkim
import pytest

from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import send_issue, send_test
from pipeline.send.dkim import include_headers, signer_from_settings
from pipeline.send.headers import list_id
from tests.smtp_behaviours import add_subscribers, write_draft
from tests.test_send_message import _keypair


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _signed_nl(nl_dir, tmp_path, **env):
    key, pub = _keypair(tmp_path)
    (nl_dir / "keys").mkdir()
    key.rename(nl_dir / "keys" / "dkim.pem")
    nl = open_newsletter(nl_dir, env={"LINKLETTER_DKIM_DOMAIN": "example.org", "LINKLETTER_DKIM_SELECTOR": "ll",
                                      "LINKLETTER_DKIM_KEY_FILE": "keys/dkim.pem", **env})
    return nl, lambda name, timeout=5: b"v=DKIM1; k=rsa; p=" + pub


def _sent_issue(nl) -> bytes:
    draft = write_draft(nl.settings.root)
    add_subscribers(nl.engine, 1)
    assert send_issue(nl, draft, force=True).sent == 1
    return next(nl.settings.outbox_dir.glob("*.eml")).read_bytes()


def test_an_issue_mail_carries_list_id_precedence_feedback_id_reply_to_and_a_numeric_date(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_REPLY_TO": "Ann Editor <ann@example.org>"})
    msg = _parse(_sent_issue(nl))
    assert msg["List-Id"] == '"Weekly Reads" <weekly-reads.example.org>'
    assert msg["Precedence"] == "bulk"
    assert msg["Feedback-ID"] == "issue7:newsletter:weekly-reads:linkletter"
    assert msg["Reply-To"].addresses[0].addr_spec == "ann@example.org"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", str(msg["Date"])), msg["Date"]
    nl.close()


def test_no_reply_to_without_the_setting_and_a_system_mail_has_a_numeric_date_too(nl):
    from pipeline.render.email import system_mail

    msg = _parse(system_mail(nl, "confirm", to_addr="r@example.net", confirm_url="https://x.example/c"))
    assert msg["Reply-To"] is None
    assert str(msg["Date"]).endswith("+0000") and "GMT" not in str(msg["Date"])
    assert msg["List-Id"] is None  # a confirmation is not a list mail


def test_the_list_id_of_a_title_with_umlauts_and_quotes_stays_one_header():
    value = list_id('Wöchentliche "Lese" Liste\r\nBcc: x@y.z', "example.org")
    assert b"\r\n" not in value.replace(b"\r\n ", b"")
    assert value.endswith(b"<wochentliche-lese-liste-bcc-x-y-z.example.org>")
    assert _parse(b"List-Id: " + value + b"\r\n\r\n")["List-Id"].startswith("Wöchentliche")


def test_a_test_send_gets_a_new_message_id_each_time(nl):
    draft = write_draft(nl.settings.root)
    first = _parse(open(send_test(nl, draft, "me@example.net"), "rb").read())["Message-ID"]
    second = _parse(open(send_test(nl, draft, "me@example.net"), "rb").read())["Message-ID"]
    assert first and second and first != second


def test_the_signature_covers_and_oversigns_the_headers_a_reader_sees(nl_dir, tmp_path):
    nl, dns = _signed_nl(nl_dir, tmp_path, LINKLETTER_REPLY_TO="ann@example.org")
    data = _sent_issue(nl)
    sig = _parse(data)["DKIM-Signature"]
    h = [x.strip() for x in re.search(r"h=([^;]+)", re.sub(r"\s+", "", sig)).group(1).split(":")]
    for name, times in (("from", 2), ("subject", 2), ("reply-to", 2), ("list-unsubscribe", 2), ("date", 1),
                        ("to", 1), ("message-id", 1), ("list-unsubscribe-post", 2), ("mime-version", 1),
                        ("content-type", 1), ("list-id", 1), ("feedback-id", 2)):
        assert h.count(name) == times, (name, h)
    assert dkim.verify(data, dnsfunc=dns)
    nl.close()


EVIL = {
    "List-Unsubscribe": b"List-Unsubscribe: <https://evil.example/unsubscribe>\r\n",
    "From": b"From: Your Bank <security@bank.example>\r\n",
    "Subject": b"Subject: Your account is locked\r\n",
    "Reply-To": b"Reply-To: thief@evil.example\r\n",
}


@pytest.mark.parametrize("header", sorted(EVIL))
def test_a_second_header_put_in_front_of_a_signed_issue_breaks_the_signature(nl_dir, tmp_path, header):
    nl, dns = _signed_nl(nl_dir, tmp_path)
    data = _sent_issue(nl)
    assert dkim.verify(data, dnsfunc=dns)
    # after the DKIM-Signature line(s), where a forwarder or an attacker adds headers
    sig_end = re.search(rb"\r\n(?![ \t])", data).end()
    forged = data[:sig_end] + EVIL[header] + data[sig_end:]
    assert not dkim.verify(forged, dnsfunc=dns)
    forged_top = EVIL[header] + data
    assert not dkim.verify(forged_top, dnsfunc=dns)
    nl.close()


def test_without_oversigning_the_same_forgery_would_have_verified(nl_dir, tmp_path):
    """The control for the test above: signing each header only as often as it occurs (what
    the signer did before) lets a prepended List-Unsubscribe through."""
    nl, dns = _signed_nl(nl_dir, tmp_path)
    signer = signer_from_settings(nl.settings)
    draft = write_draft(nl.settings.root)
    add_subscribers(nl.engine, 1)
    send_issue(nl, draft, force=True)
    unsigned = next(nl.settings.outbox_dir.glob("*.eml")).read_bytes()
    unsigned = unsigned[re.search(rb"\r\n(?![ \t])", unsigned).end():]  # without our signature
    plain = sorted(set(include_headers(unsigned)))
    weak = dkim.sign(unsigned, signer.selector, signer.domain, signer.key, include_headers=plain,
                     canonicalize=(b"relaxed", b"relaxed"), linesep=b"\r\n") + unsigned
    assert dkim.verify(EVIL["List-Unsubscribe"] + weak, dnsfunc=dns)
    assert not dkim.verify(EVIL["List-Unsubscribe"] + signer.sign(unsigned), dnsfunc=dns)
    nl.close()


def test_a_confirmation_mail_without_reply_to_cannot_get_one_added(nl_dir, tmp_path):
    from pipeline.render.email import system_mail

    nl, dns = _signed_nl(nl_dir, tmp_path)
    signed = signer_from_settings(nl.settings).sign(
        system_mail(nl, "confirm", to_addr="r@example.net", confirm_url="https://x.example/c"))
    assert dkim.verify(signed, dnsfunc=dns)
    assert not dkim.verify(EVIL["Reply-To"] + signed, dnsfunc=dns)
    nl.close()
