"""Postmark, SendGrid, Mailgun and the generic signed form at /webhooks/<provider>, for real (the
app under uvicorn on loopback, httpx as the provider): each provider's documented payloads,
signed with test keys; forged, replayed, huge, malformed and non-UTF-8 calls refused with a
reason and recording nothing; nobody suppressed who was not named."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlmodel import select

from pipeline.models import MailEvent, Subscriber
from pipeline.newsletter import open_newsletter
from pipeline.web import create_app
from pipeline.web.webhooks.generic import sign
from tests.smtp_behaviours import add_subscribers
from tests.test_web import LiveServer
from tests.webhook_senders import (GENERIC_SECRET, MAILGUN_KEY, POSTMARK_SECRET, SendGridSigner, basic_auth,
                                   mailgun_body, payload)

SENDGRID = SendGridSigner()


@pytest.fixture
def live(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_WEBHOOK_POSTMARK_SECRET": POSTMARK_SECRET,
                                      "LINKLETTER_WEBHOOK_SENDGRID_PUBLIC_KEY": SENDGRID.public_key,
                                      "LINKLETTER_WEBHOOK_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
                                      "LINKLETTER_WEBHOOK_GENERIC_SECRET": GENERIC_SECRET})
    sids = add_subscribers(nl.engine, 3)
    with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield nl, client, sids
    nl.close()


def _statuses(nl, sids) -> list[str]:
    with nl.session() as s:
        return [s.get(Subscriber, sid).status for sid in sids]


def _events(nl) -> list[MailEvent]:
    with nl.session() as s:
        return list(s.exec(select(MailEvent).order_by(MailEvent.id)))


# ---------------------------------------------------------------- Postmark


def test_postmark_bounce_and_complaint_with_basic_auth_are_recorded_once(live):
    nl, client, sids = live
    bounce = payload("postmark_bounce.json", EMAIL="reader0@example.net").encode()
    r = client.post("/webhooks/postmark", content=bounce, headers=basic_auth("postmark", POSTMARK_SECRET))
    assert r.status_code == 200 and r.json()["recorded"] == 1, r.text
    assert client.post("/webhooks/postmark", content=bounce,
                       headers=basic_auth("postmark", POSTMARK_SECRET)).json()["duplicates"] == 1
    complaint = payload("postmark_spam_complaint.json", EMAIL="reader1@example.net").encode()
    r = client.post("/webhooks/postmark", content=complaint,
                    headers={"X-Linkletter-Token": POSTMARK_SECRET, "Content-Type": "application/json"})
    assert r.json()["recorded"] == 1
    change = payload("postmark_subscription_change.json", EMAIL="reader2@example.net").encode()
    assert client.post("/webhooks/postmark", content=change,
                       headers=basic_auth("x", POSTMARK_SECRET)).json()["recorded"] == 1
    assert _statuses(nl, sids) == ["bounced", "complained", "complained"]
    assert [e.kind for e in _events(nl)] == ["hard_bounce", "complaint", "complaint"]


def test_postmark_without_the_right_secret_is_refused(live):
    nl, client, sids = live
    bounce = payload("postmark_bounce.json", EMAIL="reader0@example.net").encode()
    for headers in ({}, basic_auth("postmark", "wrong-secret-0123456789"), {"Authorization": "Basic %%%"},
                    {"X-Linkletter-Token": POSTMARK_SECRET + "x"}, {"Authorization": "Bearer " + POSTMARK_SECRET}):
        r = client.post("/webhooks/postmark", content=bounce, headers=headers)
        assert r.status_code == 401 and "credentials" in r.json()["error"], headers
    assert _statuses(nl, sids) == ["active"] * 3 and _events(nl) == []


# ---------------------------------------------------------------- SendGrid


def test_a_signed_sendgrid_batch_records_bounces_and_complaints_and_skips_the_rest(live):
    nl, client, sids = live
    body = payload("sendgrid_events.json", EMAIL="reader0@example.net", EMAIL2="reader1@example.net",
                   EMAIL3="reader2@example.net").encode()
    r = client.post("/webhooks/sendgrid", content=body, headers=SENDGRID.headers(body))
    assert r.status_code == 200, r.text
    assert (r.json()["recorded"], r.json()["skipped"]) == (4, 1)  # bounce, blocked, spamreport, deferred; open skipped
    assert _statuses(nl, sids) == ["bounced", "active", "complained"]  # one blocked (soft) bounce suppresses nobody
    assert sorted(e.kind for e in _events(nl)) == ["complaint", "delayed", "hard_bounce", "soft_bounce"]
    again = client.post("/webhooks/sendgrid", content=body, headers=SENDGRID.headers(body))
    assert again.json()["duplicates"] == 4 and len(_events(nl)) == 4


def test_sendgrid_refuses_a_forged_tampered_or_old_call(live):
    nl, client, sids = live
    body = payload("sendgrid_events.json", EMAIL="reader0@example.net", EMAIL2="reader1@example.net",
                   EMAIL3="reader2@example.net").encode()
    headers = SENDGRID.headers(body)
    tampered = body.replace(b"reader0@", b"reader1@")
    assert client.post("/webhooks/sendgrid", content=tampered, headers=headers).status_code == 401
    assert client.post("/webhooks/sendgrid", content=body, headers=SendGridSigner().headers(body)).status_code == 401
    assert client.post("/webhooks/sendgrid", content=body, headers={"Content-Type": "application/json"}).status_code == 401
    old = SENDGRID.headers(body, timestamp=int(time.time()) - 7200)
    r = client.post("/webhooks/sendgrid", content=body, headers=old)
    assert r.status_code == 406 and "replay" in r.json()["error"]
    assert _events(nl) == [] and _statuses(nl, sids) == ["active"] * 3


# ---------------------------------------------------------------- Mailgun


def test_a_signed_mailgun_failure_and_complaint_are_recorded(live):
    nl, client, sids = live
    r = client.post("/webhooks/mailgun", content=mailgun_body("mailgun_failed.json", EMAIL="reader0@example.net"),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["recorded"] == 1, r.text
    r = client.post("/webhooks/mailgun", content=mailgun_body("mailgun_complained.json", EMAIL="reader1@example.net"))
    assert r.json()["recorded"] == 1
    assert _statuses(nl, sids) == ["bounced", "complained", "active"]
    assert "550" in _events(nl)[0].reason and "No Such User Here" in _events(nl)[0].reason


def test_a_mailgun_token_is_taken_once_even_with_another_event(live):
    """Mailgun's signature covers timestamp and token, not the event: a captured signature
    with another recipient must not suppress that recipient."""
    nl, client, sids = live
    first = mailgun_body("mailgun_failed.json", token="t" * 50, EMAIL="reader0@example.net")
    assert client.post("/webhooks/mailgun", content=first).status_code == 200
    doc = json.loads(first)
    doc["event-data"]["recipient"] = "reader2@example.net"
    doc["event-data"]["id"] = "another-event"
    r = client.post("/webhooks/mailgun", content=json.dumps(doc).encode())
    assert r.status_code == 406 and "used before" in r.json()["error"]
    assert _statuses(nl, sids) == ["bounced", "active", "active"]


def test_mailgun_refuses_a_bad_signature_or_an_old_timestamp(live):
    nl, client, sids = live
    bad = mailgun_body("mailgun_failed.json", key="not-the-key", EMAIL="reader0@example.net")
    assert client.post("/webhooks/mailgun", content=bad).status_code == 401
    old = mailgun_body("mailgun_failed.json", timestamp=int(time.time()) - 7200, EMAIL="reader0@example.net")
    assert client.post("/webhooks/mailgun", content=old).status_code == 406
    unsigned = payload("mailgun_failed.json", EMAIL="reader0@example.net").encode()
    assert client.post("/webhooks/mailgun", content=unsigned).status_code == 401
    assert _events(nl) == []


# ---------------------------------------------------------------- generic


def _generic(client, body: bytes, *, secret: str = GENERIC_SECRET, stamp: int | None = None):
    header = sign(secret, int(time.time()) if stamp is None else stamp, body)
    return client.post("/webhooks/generic", content=body,
                       headers={"X-Linkletter-Signature": header, "Content-Type": "application/json"})


def test_the_generic_signed_form_records_its_events_once(live):
    nl, client, sids = live
    body = json.dumps({"events": [
        {"id": "e1", "type": "hard_bounce", "email": "reader0@example.net", "reason": "550 5.1.1 no such user"},
        {"id": "e2", "type": "unsubscribe", "email": "reader1@example.net"},
        {"id": "e3", "type": "teleport", "email": "reader2@example.net"},
        {"id": "e4", "type": "complaint", "email": "Reader Two <reader2@example.net>"},
    ]}).encode()
    r = _generic(client, body)
    assert (r.status_code, r.json()["recorded"], r.json()["skipped"]) == (200, 2, 2)
    assert _generic(client, body).json()["duplicates"] == 2
    assert _statuses(nl, sids) == ["bounced", "unsubscribed", "active"]


def test_the_generic_form_refuses_a_wrong_key_a_tampered_body_and_an_old_time(live):
    nl, client, sids = live
    body = json.dumps({"events": [{"id": "e1", "type": "hard_bounce", "email": "reader0@example.net"}]}).encode()
    assert _generic(client, body, secret="another-secret-0123456789").status_code == 401
    header = sign(GENERIC_SECRET, int(time.time()), body)
    r = client.post("/webhooks/generic", content=body.replace(b"reader0", b"reader1"),
                    headers={"X-Linkletter-Signature": header})
    assert r.status_code == 401 and r.json()["error"] == "bad signature"
    assert _generic(client, body, stamp=int(time.time()) - 7200).status_code == 406
    assert client.post("/webhooks/generic", content=body).status_code == 401
    assert _statuses(nl, sids) == ["active"] * 3


# ---------------------------------------------------------------- every endpoint


def test_unknown_disabled_and_non_post_webhooks(live, nl_dir):
    nl, client, _ = live
    assert client.post("/webhooks/nosuch", content=b"{}").status_code == 404
    assert client.get("/webhooks/generic").status_code == 405
    assert client.post("/webhooks/ses", content=b"{}").status_code == 404  # no webhook_ses_topics: off
    plain = open_newsletter(nl_dir, env={})
    with LiveServer(create_app(plain)) as server:
        for provider in ("postmark", "sendgrid", "mailgun", "generic"):
            assert httpx.post(f"{server.url}/webhooks/{provider}", content=b"{}").status_code == 404
    plain.close()


def test_huge_malformed_deep_and_non_utf8_bodies_are_refused_with_a_reason(live):
    nl, client, sids = live
    huge = b'{"events": [' + b'{"id": "x", "type": "hard_bounce", "email": "a@b.c"},' * 40000 + b"{}]}"
    r = _generic(client, huge)
    assert r.status_code == 413
    cases = {b"\xff\xfe not utf-8": "not UTF-8", b'{"events": [': "not valid JSON",
             b"[" * 100 + b"]" * 100: "nested too deeply", b'"a string"': 'no "events" list'}
    for body, reason in cases.items():
        r = _generic(client, body)  # correctly signed: only the body is wrong
        assert r.status_code == 400 and reason in r.json()["error"], (body[:20], r.text)
    r = client.post("/webhooks/postmark", content=b"\x80\x81", headers=basic_auth("p", POSTMARK_SECRET))
    assert r.status_code == 400
    r = client.post("/webhooks/mailgun", content=b"<xml/>")
    assert r.status_code == 400
    assert _events(nl) == [] and _statuses(nl, sids) == ["active"] * 3


def test_a_refusal_is_logged_on_one_line_without_the_payloads_control_characters(live, caplog):
    nl, client, _ = live
    body = json.dumps({"signature": {"timestamp": "1\n2", "token": "x", "signature": "y"}}).encode()
    with caplog.at_level("WARNING", logger="linkletter.web"):
        r = client.post("/webhooks/mailgun", content=body)
    assert r.status_code == 401
    lines = [rec.getMessage() for rec in caplog.records if "webhook mailgun refused" in rec.getMessage()]
    assert lines and all("\n" not in line for line in lines)
