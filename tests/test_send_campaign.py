"""The send engine as a library: a real SMTP server on loopback (aiosmtpd, or the counting sink),
a real SQLite file, the real render stage."""

from __future__ import annotations

import threading
from collections import Counter
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select, update

from pipeline.draft.format import read_draft
from pipeline.errors import LinkletterError
from pipeline.models import Delivery, Subscriber, utcnow
from pipeline.newsletter import open_newsletter
from pipeline.render import UNSUBSCRIBE_PLACEHOLDER
from pipeline.send.campaign import (SendError, SendOptions, count_would_send, outbox_name, send_issue, send_status,
                                    send_test)
from pipeline.tokens import unsubscribe_url, verify_unsubscribe
from tests.smtp import SmtpServer, free_port
from tests.smtp_behaviours import (DRAFT, CountingSink, DropOnce, RejectSender, RejectSome, Slow, TempFailFirst,
                                   add_subscribers, server_with, write_draft)

FAST = SendOptions(retry_base=0.05, poll=0.05, connect_attempts=2, timeout=10)


def _open(nl_dir, **env):
    return open_newsletter(nl_dir, env={f"LINKLETTER_{k.upper()}": str(v) for k, v in env.items()})


def _deliveries(nl):
    with nl.engine.connect() as conn:
        return {r.subscriber_id: r for r in conn.execute(select(Delivery.__table__)).all()}


def _status_of(nl, sid):
    with nl.engine.connect() as conn:
        return conn.execute(select(Subscriber.__table__.c.status).where(Subscriber.__table__.c.id == sid)).scalar_one()


def test_every_active_subscriber_gets_one_message_with_every_header(nl_dir):
    draft = write_draft(nl_dir)
    with server_with(Slow(0)) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        ids = add_subscribers(nl.engine, 12)
        tricky = add_subscribers(nl.engine, 1, start=100, name='Jörg "J" Müller\r\nBcc: evil@example.com')[0]
        add_subscribers(nl.engine, 2, start=200, status="unsubscribed")
        add_subscribers(nl.engine, 1, start=300, status="pending")
        report = send_issue(nl, draft, options=FAST, force=True)
        got = list(smtp.messages)
    assert (report.sent, report.failed, report.pending, report.finished) == (13, 0, 0, True)
    assert len(got) == 13
    rcpts = Counter(r for m in got for r in m.rcpt_tos)
    expected = {f"reader{i}@example.net" for i in list(range(12)) + [100]}
    assert set(rcpts) == expected and set(rcpts.values()) == {1}
    ids_by_email = {f"reader{i}@example.net": sid for i, sid in zip(list(range(12)) + [100], ids + [tricky])}
    message_ids = set()
    for m in got:
        msg, rcpt = m.message, m.rcpt_tos[0]
        sid = ids_by_email[rcpt]
        (to,) = msg["To"].addresses
        assert to.addr_spec == rcpt
        assert len(msg.get_all("Bcc") or []) == 0 and len(msg.get_all("To")) == 1
        if sid == tricky:
            assert to.display_name == 'Jörg "J" Müller Bcc: evil@example.com'
        else:
            assert to.display_name == f"Reader {rcpt[6:-12]}"
        assert msg["From"].addresses[0].addr_spec == "news@example.org"
        assert msg["Subject"] == "On slowness – Über Langsamkeit"
        assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
        assert msg["Message-ID"].startswith(f"<issue-7.sub-{sid}.") and msg["Message-ID"].endswith("@example.org>")
        message_ids.add(msg["Message-ID"])
        url = unsubscribe_url(nl.settings, sid)
        assert verify_unsubscribe(nl.settings.secret_key, url.rsplit("/", 1)[1]) == sid
        assert msg["List-Unsubscribe"] == f"<{url}>, <mailto:news@example.org?subject=unsubscribe>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert url in text and f'href="{url}"' in html
        assert UNSUBSCRIBE_PLACEHOLDER not in text + html
        assert "\n.dot at the start of a line" in text.replace("\r\n", "\n")  # dot-stuffing undone by the server
    assert len(message_ids) == 13
    after = read_draft(draft)
    assert after.status == "sent" and after.date is not None
    with server_with(Slow(0)) as smtp:
        again = send_issue(_open(nl_dir, smtp_url=smtp.url), draft, options=FAST, force=True)
        assert smtp.messages == []
    assert again.already_sent and again.sent == 13


def test_frozen_content_is_what_a_resumed_send_mails(nl_dir):
    draft = write_draft(nl_dir)
    stop = threading.Event()

    def progress(counts, total):
        if counts.get("sent", 0) >= 5:
            stop.set()

    with server_with(Slow(0.01)) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url, smtp_connections=2)
        add_subscribers(nl.engine, 40)
        first = send_issue(nl, draft, progress=progress, stop_event=stop, options=FAST, force=True)
        assert first.stopped and not first.finished and 0 < first.sent < 40
        assert read_draft(draft).status == "ready"
        draft.write_text(draft.read_text().replace("On slowness – Über", "EDITED").replace("Take your time", "EDITED"))
        second = send_issue(nl, draft, options=FAST, force=True)
        got = list(smtp.messages)
    assert second.finished and second.sent == 40
    assert Counter(r for m in got for r in m.rcpt_tos) == Counter({f"reader{i}@example.net": 1 for i in range(40)})
    assert {m.message["Subject"] for m in got} == {"On slowness – Über Langsamkeit"}
    assert all("EDITED" not in m.message.get_body(("plain",)).get_content() for m in got)


def test_subscribers_confirmed_after_the_start_only_with_include_new(nl_dir):
    draft = write_draft(nl_dir)
    stopped = threading.Event()
    stopped.set()
    with server_with(Slow(0)) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        add_subscribers(nl.engine, 3)
        send_issue(nl, draft, stop_event=stopped, options=FAST, force=True)  # freezes and enqueues, then stops at once
        late = add_subscribers(nl.engine, 1, start=50)[0]
        report = send_issue(nl, draft, options=FAST, force=True)
        assert report.finished and report.sent == 3
        assert "reader50@example.net" not in {r for m in smtp.messages for r in m.rcpt_tos}
        assert count_would_send(nl, draft, include_new=True) == 1
        extra = send_issue(nl, draft, include_new=True, options=FAST, force=True)
        rcpts = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert extra.sent_now == 1 and rcpts["reader50@example.net"] == 1 and len(rcpts) == 4
    assert _deliveries(nl)[late].state == "sent"


def test_a_subscriber_who_unsubscribes_during_the_send_is_skipped(nl_dir):
    draft = write_draft(nl_dir)
    stopped = threading.Event()
    stopped.set()
    with server_with(Slow(0)) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        ids = add_subscribers(nl.engine, 3)
        send_issue(nl, draft, stop_event=stopped, options=FAST, force=True)
        with nl.engine.begin() as conn:
            conn.execute(update(Subscriber.__table__).where(Subscriber.__table__.c.id == ids[0])
                         .values(status="unsubscribed"))
        report = send_issue(nl, draft, options=FAST, force=True)
        rcpts = {r for m in smtp.messages for r in m.rcpt_tos}
    assert rcpts == {"reader1@example.net", "reader2@example.net"}
    assert report.finished and _deliveries(nl)[ids[0]].state == "failed"


def test_451_is_retried_with_backoff_then_sent(nl_dir):
    draft = write_draft(nl_dir)
    with server_with(TempFailFirst()) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url, smtp_connections=2)
        ids = add_subscribers(nl.engine, 4)
        report = send_issue(nl, draft, options=FAST, force=True)
        rcpts = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert report.finished and report.sent == 4 and report.failed == 0
    assert rcpts == Counter({f"reader{i}@example.net": 1 for i in range(4)})
    rows = _deliveries(nl)
    assert {rows[i].attempts for i in ids} == {2} and {rows[i].state for i in ids} == {"sent"}


def test_550_fails_the_delivery_and_bounces_the_subscriber_for_later_issues(nl_dir):
    draft = write_draft(nl_dir)
    with server_with(RejectSome({"reader1@example.net", "reader3@example.net"})) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        ids = add_subscribers(nl.engine, 5)
        report = send_issue(nl, draft, options=FAST, force=True)
        assert (report.sent, report.failed, report.bounced, report.finished) == (3, 2, 2, True)
        rows = _deliveries(nl)
        assert rows[ids[1]].state == "failed" and "550" in rows[ids[1]].last_error
        assert _status_of(nl, ids[1]) == "bounced" and _status_of(nl, ids[0]) == "active"
        nxt = write_draft(nl_dir, read_draft(draft).path.read_text().replace("issue: 7", "issue: 8")
                          .replace("status: sent", "status: ready"), "008-next.md")
        send_issue(nl, nxt, options=FAST, force=True)
        second = [m for m in smtp.messages if m.message["Message-ID"].startswith("<issue-8.")]
    assert sorted(r for m in second for r in m.rcpt_tos) == ["reader0@example.net", "reader2@example.net",
                                                            "reader4@example.net"]


def test_a_connection_dropped_mid_message_is_retried_on_a_new_one(nl_dir):
    draft = write_draft(nl_dir)
    handler = DropOnce(nth=3)
    with server_with(handler) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url, smtp_connections=1)
        add_subscribers(nl.engine, 6)
        report = send_issue(nl, draft, options=FAST, force=True)
        rcpts = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert handler.dropped == 1
    assert report.finished and report.sent == 6
    assert rcpts == Counter({f"reader{i}@example.net": 1 for i in range(6)})
    assert sorted(d.attempts for d in _deliveries(nl).values()) == [1, 1, 1, 1, 1, 2]


def test_a_refused_sender_stops_the_send_and_keeps_everyone_queued(nl_dir):
    draft = write_draft(nl_dir)
    with server_with(RejectSender()) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        ids = add_subscribers(nl.engine, 3)
        with pytest.raises(SendError, match="refused the sender <news@example.org>: 553"):
            send_issue(nl, draft, options=FAST, force=True)
    assert {d.state for d in _deliveries(nl).values()} == {"queued"}
    assert {_status_of(nl, i) for i in ids} == {"active"}
    assert read_draft(draft).status == "ready"


def test_an_unreachable_server_is_one_clear_error_before_anything_is_frozen(nl_dir):
    draft = write_draft(nl_dir)
    nl = _open(nl_dir, smtp_url=f"smtp://127.0.0.1:{free_port()}?tls=none")
    add_subscribers(nl.engine, 2)
    with pytest.raises(LinkletterError, match="cannot reach the mail server 127.0.0.1"):
        send_issue(nl, draft, options=FAST, force=True)
    assert _deliveries(nl) == {}


def test_the_outbox_gets_one_file_per_delivery_and_a_resume_rewrites_not_adds(nl):
    draft = write_draft(nl.settings.root)
    ids = add_subscribers(nl.engine, 5)
    stopped = threading.Event()
    stopped.set()
    send_issue(nl, draft, stop_event=stopped, options=FAST, force=True)
    # a run killed after the file was written but before it was marked sent
    send_issue(nl, draft, options=FAST, force=True)
    with nl.engine.begin() as conn:
        conn.execute(update(Delivery.__table__).where(Delivery.__table__.c.subscriber_id == ids[2])
                     .values(state="queued"))
    with nl.engine.begin() as conn:  # and the issue not yet marked sent
        conn.execute(update(__import__("pipeline.models", fromlist=["Issue"]).Issue.__table__).values(status="sending"))
    report = send_issue(nl, draft, options=FAST, force=True)
    files = sorted(p.name for p in nl.settings.outbox_dir.glob("*.eml"))
    assert report.finished and report.sent == 5
    assert files == sorted(outbox_name(7, i) for i in ids)
    import email
    import email.policy

    msg = email.message_from_bytes((nl.settings.outbox_dir / outbox_name(7, ids[0])).read_bytes(),
                                   policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == "reader0@example.net"
    assert unsubscribe_url(nl.settings, ids[0]) in msg.get_body(("plain",)).get_content()


def test_two_senders_at_once_split_the_work_on_sqlite(nl_dir):
    draft = write_draft(nl_dir)
    with CountingSink(delay=0.002) as sink:  # slow enough that the second sender arrives mid-send
        a, b = _open(nl_dir, smtp_url=sink.url), _open(nl_dir, smtp_url=sink.url)
        add_subscribers(a.engine, 600)
        reports = []
        threads = [threading.Thread(target=lambda n=n: reports.append(send_issue(n, draft, options=FAST, force=True)))
                   for n in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        got = Counter(r for r, _mid in sink.received)
    assert len(got) == 600 and set(got.values()) == {1}
    assert sum(r.sent_now for r in reports) == 600 and min(r.sent_now for r in reports) > 0
    assert sorted(r.role for r in reports) == ["coordinator", "helper"]
    assert send_status(a, draft).status == "sent"


def test_a_test_mail_creates_no_deliveries(nl_dir):
    draft = write_draft(nl_dir)
    with SmtpServer() as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        add_subscribers(nl.engine, 2)
        send_test(nl, draft, "author@example.org")
        (got,) = smtp.wait_for(1)
    assert got.rcpt_tos == ["author@example.org"]
    assert got.message["Subject"] == "[Test] On slowness – Über Langsamkeit"
    assert _deliveries(nl) == {}
    assert count_would_send(nl, draft) == 2
    with nl.engine.connect() as conn:
        from pipeline.store.issues import issue_by_number

        assert issue_by_number(conn, 7) is None


def test_dry_run_count_leaves_out_who_is_not_active(nl):
    draft = write_draft(nl.settings.root)
    add_subscribers(nl.engine, 3)
    add_subscribers(nl.engine, 2, start=10, status="pending")
    assert count_would_send(nl, draft) == 3
    assert _deliveries(nl) == {}


def test_pipelined_sessions_retry_451_bounce_550_and_survive_a_drop(nl_dir):
    """The counting sink offers PIPELINING, so envelopes go out ahead of time; every failure
    path must still end with each good address mailed once."""
    draft = write_draft(nl_dir)
    rejected = {"reader1@example.net", "reader3@example.net"}
    with CountingSink(reject=rejected, tempfail_first=True, drop_at=5) as sink:
        nl = _open(nl_dir, smtp_url=sink.url, smtp_connections=2)
        ids = add_subscribers(nl.engine, 12)
        report = send_issue(nl, draft, options=FAST, force=True)
        got = Counter(r for r, _m in sink.received)
    assert sink.dropped == 1
    assert got == Counter({f"reader{i}@example.net": 1 for i in range(12) if f"reader{i}@example.net" not in rejected})
    assert (report.sent, report.failed, report.bounced, report.finished) == (10, 2, 2, True)
    assert _status_of(nl, ids[1]) == "bounced" and _status_of(nl, ids[0]) == "active"


def test_stopping_with_an_envelope_sent_ahead_delivers_nothing_extra(nl_dir):
    draft = write_draft(nl_dir)
    stop = threading.Event()

    def progress(counts, total):
        if counts.get("sent", 0) >= 20:
            stop.set()

    with CountingSink() as sink:
        nl = _open(nl_dir, smtp_url=sink.url, smtp_connections=2)
        add_subscribers(nl.engine, 3000)
        first = send_issue(nl, draft, progress=progress, stop_event=stop, options=FAST, force=True)
        at_stop = list(sink.received)
        assert first.stopped and first.sent < 3000
        assert len(at_stop) == first.sent and all(mid for _r, mid in at_stop)  # no empty or extra message
        second = send_issue(nl, draft, options=FAST, force=True)
        got = Counter(r for r, _m in sink.received)
    assert second.finished and len(got) == 3000 and set(got.values()) == {1}


def test_the_rate_limit_spaces_messages_one_interval_apart():
    from pipeline.send.campaign import SendPacer

    class Clock:
        """A fake clock that advances only when someone sleeps: no wall-clock in the test."""

        def __init__(self):
            self.now, self.sent_at = 100.0, []

        def __call__(self):
            return self.now

        def wait(self, seconds):
            self.now += seconds

        def is_set(self):
            return False

    clock = Clock()
    limiter = SendPacer(4.0, clock=clock)
    for _ in range(5):
        limiter.wait(clock)
        clock.sent_at.append(clock.now)
    assert clock.sent_at == [100.0, 100.25, 100.5, 100.75, 101.0]
    unlimited = SendPacer(0, clock=clock)
    unlimited.wait(clock)
    assert clock.now == 101.0


def test_a_draft_marked_sent_that_this_newsletter_never_sent_is_refused(nl):
    draft = write_draft(nl.settings.root, DRAFT.replace("status: ready", "status: sent"))
    add_subscribers(nl.engine, 2)
    with pytest.raises(LinkletterError, match="says 'status: sent' but this newsletter never sent issue 7"):
        send_issue(nl, draft, options=FAST, force=True)
    assert _deliveries(nl) == {} and not list(nl.settings.outbox_dir.glob("*.eml"))
