"""Amazon SES via SNS at /webhooks/ses, for real: the app under uvicorn on loopback, the SNS
side played by a loopback HTTP server serving a test certificate and the SubscribeURL; the
messages in SNS's documented format, signed (v1 SHA1, v2 SHA256) with the test key."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlmodel import select

from pipeline.models import MailEvent, Subscriber
from pipeline.newsletter import open_newsletter
from pipeline.send.message import message_id
from pipeline.web import create_app
from pipeline.web.webhooks.ses import sns_url_allowed
from tests.smtp_behaviours import add_subscribers
from tests.test_web import LiveServer
from tests.webhook_senders import TOPIC, SnsSigner, payload, sns_headers

CERT_PATH = "/SimpleNotificationService-0000000000000000000000.pem"


@pytest.fixture
def sns(httpserver):
    signer = SnsSigner()
    httpserver.expect_request(CERT_PATH).respond_with_data(signer.cert_pem, content_type="application/x-x509-ca-cert")
    signer.cert_url = httpserver.url_for(CERT_PATH)
    signer.host = f"{httpserver.host}:{httpserver.port}"
    return signer


@pytest.fixture
def live(nl_dir, sns):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_WEBHOOK_SES_TOPICS": TOPIC,
                                      "LINKLETTER_WEBHOOK_SNS_TEST_CERT_HOST": sns.host})
    with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield nl, client
    nl.close()


def _post(client, msg: dict):
    return client.post("/webhooks/ses", content=json.dumps(msg).encode(), headers=sns_headers(msg))


def _status(nl, sid: int) -> str:
    with nl.session() as s:
        return s.get(Subscriber, sid).status


def _events(nl) -> list[MailEvent]:
    with nl.session() as s:
        return list(s.exec(select(MailEvent).order_by(MailEvent.id)))


def _cert_fetches(httpserver) -> int:
    return sum(1 for req, _ in httpserver.log if req.path == CERT_PATH)


def test_a_subscription_is_confirmed_by_a_get_of_its_subscribe_url(live, sns, httpserver):
    nl, client = live
    httpserver.expect_request("/confirm").respond_with_data("<ConfirmSubscriptionResponse/>", content_type="text/xml")
    msg = sns.message("SubscriptionConfirmation", sns.cert_url, message="You have chosen to subscribe ...",
                      subscribe_url=httpserver.url_for("/confirm") + "?Action=ConfirmSubscription&Token=abc")
    r = _post(client, msg)
    assert r.status_code == 200 and r.json()["note"] == "subscription confirmed"
    assert [req.args.get("Token") for req, _ in httpserver.log if req.path == "/confirm"] == ["abc"]


@pytest.mark.parametrize("version", [1, 2])
def test_a_signed_bounce_suppresses_the_reader_once(live, sns, httpserver, version):
    nl, client = live
    (sid,) = add_subscribers(nl.engine, 1)
    ours = message_id(nl.settings.secret_key, 7, sid, "example.org").decode()
    msg = sns.message("Notification", sns.cert_url, version=version,
                      message=payload("ses_bounce.json", EMAIL="reader0@example.net", MESSAGE_ID=ours))
    first = _post(client, msg)
    assert first.status_code == 200 and first.json()["recorded"] == 1, first.text
    assert _status(nl, sid) == "bounced"
    (event,) = _events(nl)
    assert (event.kind, event.subscriber_id, event.issue_number, event.source) == ("hard_bounce", sid, 7, "webhook:ses")
    assert "550 5.1.1" in event.reason
    again = _post(client, msg)  # SNS delivers at least once: the same MessageId again
    assert again.status_code == 200 and again.json()["recorded"] == 0
    republished = sns.message("Notification", sns.cert_url, message=msg["Message"])  # same SES event, new SNS id
    assert _post(client, republished).json()["duplicates"] == 1
    assert len(_events(nl)) == 1
    assert _cert_fetches(httpserver) == 1  # the certificate is fetched once


def test_a_complaint_marks_the_reader_complained(live, sns):
    nl, client = live
    sids = add_subscribers(nl.engine, 2)
    msg = sns.message("Notification", sns.cert_url, subject="Amazon SES Email Event Notification",
                      message=payload("ses_complaint.json", EMAIL="reader1@example.net"))
    assert _post(client, msg).json()["recorded"] == 1
    assert [_status(nl, s) for s in sids] == ["active", "complained"]


def test_a_forged_signature_a_wrong_topic_or_an_old_message_is_refused_and_changes_nothing(live, sns, httpserver):
    nl, client = live
    (sid,) = add_subscribers(nl.engine, 1)
    body = payload("ses_bounce.json", EMAIL="reader0@example.net", MESSAGE_ID="<x@example.org>")
    forged = sns.message("Notification", sns.cert_url, message=body)
    forged["Message"] = forged["Message"].replace("Permanent", "Permanent ")  # changed after signing
    r = _post(client, forged)
    assert r.status_code == 401 and r.json()["error"] == "bad signature"

    other = SnsSigner()  # signed with a key that is not the certificate's
    r = _post(client, other.message("Notification", sns.cert_url, message=body))
    assert r.status_code == 401

    fetches = _cert_fetches(httpserver)
    wrong = sns.message("Notification", sns.cert_url, message=body, topic="arn:aws:sns:us-east-1:666:evil")
    r = _post(client, wrong)
    assert r.status_code == 403 and "is not in webhook_ses_topics" in r.json()["error"]
    assert _cert_fetches(httpserver) == fetches  # a wrong topic costs no fetch

    old = sns.message("Notification", sns.cert_url, message=body,
                      timestamp=datetime.now(timezone.utc) - timedelta(hours=2))
    r = _post(client, old)
    assert r.status_code == 406 and "replay" in r.json()["error"]

    elsewhere = sns.message("Notification", "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem", message=body)
    r = _post(client, elsewhere)
    assert r.status_code == 401 and "not an Amazon SNS address" in r.json()["error"]
    assert _status(nl, sid) == "active" and _events(nl) == []


def test_only_https_sns_hosts_serve_certificates_in_production(nl):
    settings = nl.settings  # no test host set
    assert sns_url_allowed(settings, "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem")
    assert sns_url_allowed(settings, "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem")
    for url in ("http://sns.eu-west-1.amazonaws.com/x.pem", "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
                "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem", "https://sns.amazonaws.com@evil.example/x.pem",
                "https://user@sns.eu-west-1.amazonaws.com/x.pem", "http://127.0.0.1:8000/x.pem", "not a url"):
        assert not sns_url_allowed(settings, url), url


def test_a_bounce_naming_no_subscriber_or_several_addresses_suppresses_nobody(live, sns):
    nl, client = live
    sids = add_subscribers(nl.engine, 2)
    text = payload("ses_bounce.json", EMAIL="stranger@example.com", MESSAGE_ID="<forged@example.org>")
    r = _post(client, sns.message("Notification", sns.cert_url, message=text))
    assert r.status_code == 200 and r.json()["recorded"] == 1  # recorded, tied to nobody
    listed = payload("ses_bounce.json", EMAIL="reader0@example.net, reader1@example.net", MESSAGE_ID="<f@x.org>")
    r = _post(client, sns.message("Notification", sns.cert_url, message=listed))
    assert r.json()["recorded"] == 0 and r.json()["skipped"] == 1
    assert [_status(nl, s) for s in sids] == ["active", "active"]
    assert [e.subscriber_id for e in _events(nl)] == [None]


def test_a_delivery_notification_is_taken_and_changes_nothing(live, sns):
    nl, client = live
    note = json.dumps({"notificationType": "Delivery", "mail": {"messageId": "x"},
                       "delivery": {"recipients": ["reader0@example.net"]}})
    r = _post(client, sns.message("Notification", sns.cert_url, message=note))
    assert r.status_code == 200 and r.json()["recorded"] == 0 and r.json()["skipped"] == 1


def test_without_the_test_setting_a_loopback_certificate_is_never_fetched(nl_dir, sns, httpserver):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_WEBHOOK_SES_TOPICS": TOPIC})  # production: no test host
    (sid,) = add_subscribers(nl.engine, 1)
    msg = sns.message("Notification", sns.cert_url,
                      message=payload("ses_bounce.json", EMAIL="reader0@example.net", MESSAGE_ID="<x@example.org>"))
    with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        r = _post(client, msg)
    assert r.status_code == 401 and "not an Amazon SNS address" in r.json()["error"]
    assert _cert_fetches(httpserver) == 0 and _status(nl, sid) == "active"
    nl.close()
