"""Random payloads at every webhook, past its authentication (correctly signed or with the right
secret): each is answered with a result or a refusal with a reason, never a server error, and
an event is only ever recorded for one plain address the payload named. Hypothesis makes the
payloads: JSON of any shape, with the keys each provider's parser looks at."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.web import create_app
from pipeline.web.webhooks import ses
from pipeline.web.webhooks.events import Refused, Verified, address
from pipeline.web.webhooks.generic import sign
from tests.webhook_senders import (GENERIC_SECRET, MAILGUN_KEY, POSTMARK_SECRET, SendGridSigner, basic_auth,
                                   mailgun_body)

PROFILE = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SENDGRID = SendGridSigner()
KEYS = ["events", "id", "type", "email", "message_id", "reason", "timestamp", "RecordType", "Type", "Email", "ID",
        "MessageID", "BouncedAt", "Recipient", "SuppressSending", "SuppressionReason", "event", "sg_event_id",
        "severity", "recipient", "delivery-status", "message", "headers", "message-id", "code", "notificationType",
        "eventType", "bounce", "complaint", "mail", "bounceType", "bouncedRecipients", "complainedRecipients",
        "emailAddress", "diagnosticCode", "feedbackId", "complaintFeedbackType", "name", "value", "commonHeaders",
        "messageId"]
VALUES = st.sampled_from(["reader0@example.net", "a@b.c\r\nBcc: x@y.z", "Name <reader0@example.net>", "@", "",
                          "hard_bounce", "complaint", "bounce", "blocked", "spamreport", "dropped", "failed",
                          "permanent", "Bounce", "Complaint", "Permanent", "HardBounce", "SpamComplaint",
                          "SubscriptionChange", "2019-11-05T16:33:54.9070259Z", "9999-99-99T99:99:99Z", "\x00", "é" * 3])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20), VALUES)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
                    max_leaves=25)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from starlette.testclient import TestClient

    root = init_newsletter(tmp_path_factory.mktemp("hooks") / "news", title="Weekly Reads", language="en",
                           sender="Weekly Reads <news@example.org>", base_url="https://news.example.org")
    nl = open_newsletter(root, env={"LINKLETTER_WEBHOOK_POSTMARK_SECRET": POSTMARK_SECRET,
                                    "LINKLETTER_WEBHOOK_SENDGRID_PUBLIC_KEY": SENDGRID.public_key,
                                    "LINKLETTER_WEBHOOK_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
                                    "LINKLETTER_WEBHOOK_GENERIC_SECRET": GENERIC_SECRET,
                                    "LINKLETTER_WEBHOOK_SES_TOPICS": "arn:aws:sns:us-east-1:1:t"})
    with TestClient(create_app(nl)) as c:  # raise_server_exceptions: a handler's exception fails the example
        yield c
    nl.close()


def _answered(r) -> None:
    assert r.status_code < 500, (r.status_code, r.text)
    body = r.json()
    assert body["ok"] is (r.status_code == 200)
    if r.status_code != 200:
        assert body["error"]


@PROFILE
@given(doc=JSON)
def test_random_signed_generic_postmark_and_sendgrid_payloads_never_fail_the_server(client, doc):
    body = json.dumps(doc).encode()
    stamp = int(time.time())
    _answered(client.post("/webhooks/generic", content=body,
                          headers={"X-Linkletter-Signature": sign(GENERIC_SECRET, stamp, body)}))
    _answered(client.post("/webhooks/postmark", content=body, headers=basic_auth("p", POSTMARK_SECRET)))
    _answered(client.post("/webhooks/sendgrid", content=body, headers=SENDGRID.headers(body)))


@PROFILE
@given(event=JSON)
def test_random_signed_mailgun_events_never_fail_the_server(client, event, tmp_path_factory):
    doc = json.loads(mailgun_body("mailgun_failed.json", token=secrets.token_hex(25), EMAIL="reader0@example.net"))
    doc["event-data"] = event
    _answered(client.post("/webhooks/mailgun", content=json.dumps(doc).encode()))


@PROFILE
@given(doc=JSON)
@example(doc={"Type": ["Notification"]})  # an unhashable Type
def test_a_random_sns_message_is_refused_before_any_fetch(client, doc):
    r = client.post("/webhooks/ses", content=json.dumps(doc).encode(), headers={"Content-Type": "text/plain"})
    _answered(r)
    assert r.status_code in (400, 401, 403)  # unsigned: never accepted, and no certificate fetched from it


@PROFILE
@given(note=JSON)
@example(note={"notificationType": "Bounce", "mail": {"headers": 5}, "bounce": {"bouncedRecipients": [{}]}})
def test_a_random_ses_notification_gives_events_only_for_plain_addresses(note):
    out = Verified()
    try:
        ses._notification(json.dumps(note), out)
    except Refused as e:
        assert e.status == 400
        return
    for ev in out.events:
        assert address(ev.address) == ev.address and "\n" not in ev.reason
