"""Webhooks and the author's notices on PostgreSQL: the same event twice is one, a Mailgun token
is taken once, and a notice reason is mailed once per issue, with the ON CONFLICT statements of
pipeline/store/notices.py on PostgreSQL's dialect.

Runs when LINKLETTER_TEST_POSTGRES_URL is set (`.ci/run` starts a throwaway cluster); skipped
with that reason otherwise."""

from __future__ import annotations

import json
import time

import httpx

from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import SendReport
from pipeline.send.notify import notify_after_send
from pipeline.store import notices
from pipeline.web import create_app
from pipeline.web.webhooks.generic import sign
from tests.conftest import requires_postgres
from tests.smtp_behaviours import add_subscribers
from tests.test_web import LiveServer
from tests.webhook_senders import GENERIC_SECRET, MAILGUN_KEY, mailgun_body

pytestmark = requires_postgres


def test_webhook_events_replays_and_notices_are_taken_once_on_postgres(nl_dir, pg_database):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_DATABASE_URL": pg_database, "LINKLETTER_NOTIFY": "a@example.org",
                                      "LINKLETTER_WEBHOOK_GENERIC_SECRET": GENERIC_SECRET,
                                      "LINKLETTER_WEBHOOK_MAILGUN_SIGNING_KEY": MAILGUN_KEY})
    add_subscribers(nl.engine, 2)
    body = json.dumps({"events": [{"id": "e1", "type": "complaint", "email": "reader0@example.net"}]}).encode()
    with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        def post():
            return client.post("/webhooks/generic", content=body,
                               headers={"X-Linkletter-Signature": sign(GENERIC_SECRET, int(time.time()), body)})
        assert post().json()["recorded"] == 1 and post().json()["duplicates"] == 1
        signed = mailgun_body("mailgun_failed.json", token="p" * 50, EMAIL="reader1@example.net")
        first = client.post("/webhooks/mailgun", content=signed)
        assert first.status_code == 200, first.text
        assert client.post("/webhooks/mailgun", content=signed).status_code == 406
    report = SendReport(issue=5, total=2, bounced=2, finished=True)
    assert notify_after_send(nl, report) == ["bounces"] and notify_after_send(nl, report) == []
    with nl.engine.begin() as conn:
        assert notices.record_receipt(conn, "x", "k") and not notices.record_receipt(conn, "x", "k")
    nl.close()
