"""A slow, rate-limited send with a short claim lease: a live connection renews its claims, so the
stale-claim sweep never hands a batch still being sent to another connection (no duplicates)."""

from __future__ import annotations

from collections import Counter

from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import SendOptions, send_issue
from tests.smtp_behaviours import Recording, add_subscribers, server_with, write_draft


def test_a_short_lease_with_a_low_rate_sends_each_subscriber_exactly_once(nl_dir):
    draft = write_draft(nl_dir)
    with server_with(Recording()) as smtp:
        # 80 messages at 20/s over 4 connections take ~4 s, four times the 1 s lease: without the
        # renewal, claims go stale mid-batch and another connection sends them again.
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url, "LINKLETTER_SMTP_CONNECTIONS": "4",
                                          "LINKLETTER_SMTP_RATE": "20", "LINKLETTER_SEND_LEASE_SECONDS": "1"})
        add_subscribers(nl.engine, 80)
        report = send_issue(nl, draft, force=True, options=SendOptions(poll=0.05, timeout=10))
        got = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert report.finished and report.sent == 80
    assert got == Counter({f"reader{i}@example.net": 1 for i in range(80)})
