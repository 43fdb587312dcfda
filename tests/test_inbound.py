"""The intake: an issue sent through a real SMTP server on loopback (aiosmtpd) with a bounce
address, then what comes back through the real `linkletter inbound` command (the MTA pipe):
bounces to the per-delivery VERP address, mailto unsubscribes, complaints, auto-replies and bad
input. Message formats: tests/inbound_mail.py says where each comes from."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pipeline import subscribers as subs
from pipeline.inbound import InboundEvent, read_tag, record_event, verp_address
from pipeline.models import Delivery, MailEvent, Subscriber, utcnow
from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import SendOptions, send_issue
from pipeline.tokens import verify_verp
from tests.conftest import run_cli
from tests.inbound_mail import arf_report, auto_reply, mailto_unsubscribe, postfix_dsn
from tests.smtp import SmtpServer
from tests.smtp_behaviours import RejectSome, add_subscribers, server_with, write_draft

FAST = SendOptions(retry_base=0.05, poll=0.05, connect_attempts=2, timeout=10)
BOUNCES = "bounces@news.example.org"


def _open(nl_dir, **settings):
    with open(nl_dir / "linkletter.toml", "a") as f:
        for k, v in settings.items():
            f.write(f"{k} = {v!r}\n".replace("'", '"'))
    return open_newsletter(nl_dir, env={})


@pytest.fixture
def sent(nl_dir):
    """Issue 7 sent to three readers with bounce_address set: (nl, {subscriber id: message})."""
    draft = write_draft(nl_dir)
    with SmtpServer() as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url, bounce_address=BOUNCES)
        ids = add_subscribers(nl.engine, 3, start=1)
        report = send_issue(nl, draft, options=FAST, force=True)
        assert report.sent == 3
        by_sub = {}
        for m in smtp.messages:
            sid = next(i for i in ids if m.rcpt_tos == [f"reader{ids.index(i) + 1}@example.net"])
            by_sub[sid] = m
    yield nl, by_sub
    nl.close()


def inbound(nl_dir, data: bytes, *args: str):
    return run_cli("--dir", str(nl_dir), "inbound", *args, input=data, check=False)


def events(nl) -> list[MailEvent]:
    with nl.session() as s:
        return list(s.scalars(select(MailEvent).order_by(MailEvent.id)))


def status(nl, sid: int) -> str:
    with nl.session() as s:
        return s.get(Subscriber, sid).status


def test_each_delivery_has_its_own_signed_envelope_sender_and_mailto(sent):
    nl, by_sub = sent
    with nl.session() as s:
        delivery = {d.subscriber_id: d.id for d in s.scalars(select(Delivery))}
    for sid, m in by_sub.items():
        local, _, domain = m.mail_from.partition("@")
        assert domain == "news.example.org" and local.startswith("bounces+")
        assert verify_verp(nl.settings.secret_key, local.split("+", 1)[1]) == delivery[sid]
        mailto = re.search(r"<mailto:([^?>]+)\?subject=unsubscribe>", str(m.message["List-Unsubscribe"])).group(1)
        tag = read_tag(nl.settings, mailto)
        assert (tag.kind, tag.subscriber_id, tag.issue) == ("unsubscribe", sid, 7)
    assert len({m.mail_from for m in by_sub.values()}) == 3


def test_without_a_bounce_address_the_envelope_and_mailto_stay_the_from_address(nl_dir):
    draft = write_draft(nl_dir)
    with SmtpServer() as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        add_subscribers(nl.engine, 1)
        send_issue(nl, draft, options=FAST, force=True)
        (m,) = smtp.messages
    assert m.mail_from == "news@example.org"
    assert "<mailto:news@example.org?subject=unsubscribe>" in str(m.message["List-Unsubscribe"])
    nl.close()


def test_a_dsn_to_the_verp_address_suppresses_its_subscriber_even_naming_a_forwarded_address(sent, nl_dir):
    nl, by_sub = sent
    sid, other = sorted(by_sub)[:2]
    dsn = postfix_dsn(by_sub[sid].mail_from, "forwarded-somewhere@elsewhere.example")
    proc = inbound(nl_dir, dsn)
    assert proc.returncode == 0, proc.stderr
    assert status(nl, sid) == "bounced" and status(nl, other) == "active"
    (ev,) = events(nl)
    assert (ev.kind, ev.subscriber_id, ev.issue_number, ev.source) == ("hard_bounce", sid, 7, "inbound")
    assert ev.address == "forwarded-somewhere@elsewhere.example" and "5.1.1" in ev.reason
    assert inbound(nl_dir, dsn).returncode == 0  # the MTA delivered it twice: one event
    assert len(events(nl)) == 1
    out = run_cli("--dir", str(nl_dir), "status", "7").stdout
    assert "bounced hard: 1  soft: 0" in out
    shown = run_cli("--dir", str(nl_dir), "subscribers", "show", f"reader{sorted(by_sub).index(sid) + 1}@example.net").stdout
    assert "bounced" in shown and "hard_bounce" in shown and "issue 7" in shown


def test_mailto_unsubscribe_with_an_empty_subject_unsubscribes_after_this_issue(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    mailto = re.search(r"<mailto:([^?>]+)\?", str(by_sub[sid].message["List-Unsubscribe"])).group(1)
    assert inbound(nl_dir, mailto_unsubscribe(mailto)).returncode == 0
    assert status(nl, sid) == "unsubscribed"
    (ev,) = events(nl)
    assert (ev.kind, ev.subscriber_id, ev.issue_number) == ("unsubscribe", sid, 7)
    assert "unsubscribed after this issue: 1" in run_cli("--dir", str(nl_dir), "status", "7").stdout


def test_a_revoked_mailto_address_unsubscribes_nobody(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    mailto = re.search(r"<mailto:([^?>]+)\?", str(by_sub[sid].message["List-Unsubscribe"])).group(1)
    subs.revoke_links(nl, "reader1@example.net")
    assert inbound(nl_dir, mailto_unsubscribe(mailto)).returncode == 0
    assert status(nl, sid) == "active" and events(nl)[0].kind == "other"


def test_forged_and_unknown_verp_addresses_suppress_nobody(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    real = by_sub[sid].mail_from
    forged = re.sub(r"\.([a-z2-7]+)@", ".aaaaaaaaaaaaaaaa@", real)
    assert inbound(nl_dir, postfix_dsn(forged, "reader1@example.net")).returncode == 0
    unknown = verp_address(nl.settings, 99999)
    assert inbound(nl_dir, postfix_dsn(unknown, "reader1@example.net", msgid="<2@mx>")).returncode == 0
    # no tag at all: the bounce address is public, an unproven report suppresses nobody
    assert inbound(nl_dir, postfix_dsn(BOUNCES, "reader1@example.net", msgid="<3@mx>")).returncode == 0
    assert all(status(nl, i) == "active" for i in by_sub)
    evs = events(nl)
    assert [e.kind for e in evs] == ["other"] * 3 and all(e.subscriber_id is None for e in evs)
    assert "no bounce address of ours" in evs[0].reason and "no delivery #99999" in evs[1].reason
    assert "no signed bounce address" in evs[2].reason
    assert len(list((nl_dir / "inbound" / "kept").iterdir())) == 3  # kept for the author


def test_a_bounce_of_a_bounce_is_a_loop_and_suppresses_nobody(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    inner = ("From: MAILER-DAEMON@example.org\nTo: someone@example.net\nSubject: Undelivered Mail\n"
             "Content-Type: multipart/report; report-type=delivery-status; boundary=x\n")
    dsn = postfix_dsn(by_sub[sid].mail_from, "reader1@example.net", original_headers=inner)
    assert inbound(nl_dir, dsn).returncode == 0
    assert status(nl, sid) == "active"
    (ev,) = events(nl)
    assert ev.kind == "other" and "bounce of a bounce" in ev.reason


def test_a_delayed_warning_changes_nothing_and_soft_bounces_suppress_after_the_limit(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    env = by_sub[sid].mail_from
    assert inbound(nl_dir, postfix_dsn(env, "reader1@example.net", status="4.4.1", action="delayed")).returncode == 0
    assert status(nl, sid) == "active"
    full = "smtp; 452 4.2.2 <reader1@example.net>: Mailbox full"
    assert inbound(nl_dir, postfix_dsn(env, "reader1@example.net", status="4.2.2", diagnostic=full, msgid="<s1@mx>")).returncode == 0
    assert status(nl, sid) == "active"  # one soft bounce of soft_bounce_limit = 2
    with nl.engine.begin() as conn:  # an old soft bounce, outside soft_bounce_days, doesn't count
        conn.execute(update(MailEvent.__table__).values(created_at=utcnow() - timedelta(days=31)))
    assert inbound(nl_dir, postfix_dsn(env, "reader1@example.net", status="4.2.2", diagnostic=full, msgid="<s2@mx>")).returncode == 0
    assert status(nl, sid) == "active"
    assert inbound(nl_dir, postfix_dsn(env, "reader1@example.net", status="5.2.2", diagnostic=full, msgid="<s3@mx>")).returncode == 0
    assert status(nl, sid) == "bounced"
    assert [e.kind for e in events(nl)] == ["delayed", "soft_bounce", "soft_bounce", "soft_bounce"]


def test_an_auto_reply_to_the_bounce_address_is_never_a_bounce(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    assert inbound(nl_dir, auto_reply(by_sub[sid].mail_from)).returncode == 0
    assert inbound(nl_dir, auto_reply(BOUNCES, subject="Automatische Antwort: Weekly Reads", msgid="<ooo-2@example.net>")).returncode == 0
    assert status(nl, sid) == "active"
    assert [e.kind for e in events(nl)] == ["auto_reply", "auto_reply"]
    assert events(nl)[0].subscriber_id == sid


def test_a_complaint_suppresses_and_nothing_but_the_author_brings_the_address_back(sent, nl_dir, tmp_path):
    nl, by_sub = sent
    sid = sorted(by_sub)[1]
    original = by_sub[sid].raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert inbound(nl_dir, arf_report("abuse-reports@news.example.org", original)).returncode == 0
    assert status(nl, sid) == "complained"
    (ev,) = events(nl)
    assert (ev.kind, ev.subscriber_id, ev.issue_number) == ("complaint", sid, 7)
    # re-import, the form, add: all leave the address suppressed
    csv_file = tmp_path / "again.csv"
    csv_file.write_text("email,name,status\nreader2@example.net,Again,active\n")
    assert subs.import_csv(nl, csv_file).blocked == 1
    assert subs.subscribe(nl, "reader2@example.net", ip=None, user_agent=None, consent_text="x").outcome == "blocked"
    with pytest.raises(subs.SubscriberError):
        subs.add_subscriber(nl, "reader2@example.net")
    assert status(nl, sid) == "complained"
    out = io.StringIO()
    subs.export_csv(nl, out)
    row = next(r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["email"] == "reader2@example.net")
    assert (row["status"], row["complaints"], row["hard_bounces"]) == ("complained", "1", "0")
    run_cli("--dir", str(nl_dir), "subscribers", "reactivate", "reader2@example.net")
    assert status(nl, sid) == "active"


def test_bad_input_is_recorded_or_kept_never_a_crash(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    env = by_sub[sid].mail_from
    huge = postfix_dsn(env, "reader1@example.net") + b"x" * 200_000
    with open(nl_dir / "linkletter.toml", "a") as f:
        f.write("inbound_max_bytes = 100000\n")
    cases = {
        "huge": huge,
        "malformed": b"Content-Type: multipart/report; boundary=\"\r\n\r\n--\x00\xff\xfe\r\n" + b"\x80" * 1000,
        "empty": b"",
        "nested": b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" * 3000,
    }
    for name, data in cases.items():
        proc = inbound(nl_dir, data)
        assert proc.returncode == 0, (name, proc.stderr)
    assert status(nl, sid) == "active"
    assert all(e.kind == "other" for e in events(nl))
    assert "larger than the limit" in events(nl)[0].reason
    assert len(list((nl_dir / "inbound" / "kept").iterdir())) == len(cases)


def test_a_non_utf8_report_is_read_and_its_reason_never_reaches_the_terminal_raw(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    dsn = postfix_dsn(by_sub[sid].mail_from, "reader1@example.net", diagnostic="smtp; 550 5.1.1 Empf\u00e4nger unbekannt \x1b[31m")
    dsn = dsn.replace("Empf\u00e4nger".encode("utf-8"), "Empf\u00e4nger".encode("latin-1"))
    proc = inbound(nl_dir, dsn)
    assert proc.returncode == 0 and "\x1b" not in proc.stdout
    assert status(nl, sid) == "bounced"
    shown = run_cli("--dir", str(nl_dir), "subscribers", "show", "reader1@example.net").stdout
    assert "\x1b" not in shown and "\\x1b" in shown


def test_a_database_that_cannot_be_reached_asks_the_mta_to_retry(nl_dir):
    with open(nl_dir / "linkletter.toml", "a") as f:
        f.write(f'database_url = "sqlite:///{nl_dir}/missing/dir/linkletter.db"\n')
    proc = inbound(nl_dir, auto_reply(BOUNCES))
    assert proc.returncode == 75, (proc.stdout, proc.stderr)


def test_rcpt_refusals_and_web_unsubscribes_are_mail_events_too(nl_dir):
    draft = write_draft(nl_dir)
    with server_with(RejectSome({"reader2@example.net"})) as smtp:
        nl = _open(nl_dir, smtp_url=smtp.url)
        ids = add_subscribers(nl.engine, 3, start=1)
        send_issue(nl, draft, options=FAST, force=True)
    assert subs.unsubscribe(nl, ids[0]) == "unsubscribed"
    evs = {e.kind: e for e in events(nl)}
    assert (evs["hard_bounce"].subscriber_id, evs["hard_bounce"].source, evs["hard_bounce"].issue_number) == (ids[1], "smtp", 7)
    assert "550" in evs["hard_bounce"].reason
    assert (evs["unsubscribe"].subscriber_id, evs["unsubscribe"].issue_number, evs["unsubscribe"].source) == (ids[0], 7, "web")
    nl.close()


def test_record_event_for_webhooks_is_idempotent_and_applies_the_rules(sent):
    nl, by_sub = sent
    sid = sorted(by_sub)[2]
    ev = InboundEvent(kind="complaint", source="webhook:postmark", event_key="postmark:42", address="READER3@example.net",
                      reason="SpamComplaint")
    first, again = record_event(nl, ev), record_event(nl, ev)
    assert (first.recorded, first.subscriber_id, first.new_status) == (True, sid, "complained")
    assert (again.recorded, again.new_status) == (False, None)
    verp = InboundEvent(kind="hard_bounce", source="webhook:ses", event_key="ses:1", verp=by_sub[sorted(by_sub)[0]].mail_from)
    r = record_event(nl, verp)
    assert (r.subscriber_id, r.issue_number, r.new_status) == (sorted(by_sub)[0], 7, "bounced")
    assert record_event(nl, InboundEvent(kind="hard_bounce", source="webhook:x", event_key="x:1",
                                         address="nobody@example.net")).subscriber_id is None


def test_check_says_what_is_lost_without_a_bounce_address(nl_dir):
    write_draft(nl_dir)
    proc = run_cli("--dir", str(nl_dir), "check", "7", "--no-fetch", check=False)
    assert "note: bounce_address is not set" in proc.stderr
    with open(nl_dir / "linkletter.toml", "a") as f:
        f.write(f'bounce_address = "{BOUNCES}"\n')
    assert "bounce_address" not in run_cli("--dir", str(nl_dir), "check", "7", "--no-fetch", check=False).stderr


def test_the_file_outbox_records_each_delivery_s_envelope_sender(nl_dir):
    draft = write_draft(nl_dir)
    nl = _open(nl_dir, bounce_address=BOUNCES)
    (sid,) = add_subscribers(nl.engine, 1)
    send_issue(nl, draft, options=FAST, force=True)
    (eml,) = (nl_dir / "outbox").glob("issue-*.eml")
    first = eml.read_bytes().split(b"\r\n", 1)[0].decode()
    with nl.session() as s:
        did = s.scalars(select(Delivery.id)).one()
    assert first == f"Return-Path: <{verp_address(nl.settings, did)}>"
    nl.close()


def test_a_locked_database_asks_the_mta_to_retry_and_the_retry_records(sent, nl_dir):
    """Another writer holds SQLite's write lock past the busy timeout (30 s): exit 75, nothing
    half-written; once the lock is gone the MTA's retry records the bounce."""
    import sqlite3

    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    dsn = postfix_dsn(by_sub[sid].mail_from, "reader1@example.net")
    other = sqlite3.connect(nl_dir / "linkletter.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        proc = inbound(nl_dir, dsn)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert proc.returncode == 75 and "try again later" in proc.stderr, (proc.stdout, proc.stderr)
    assert events(nl) == [] and status(nl, sid) == "active"
    assert inbound(nl_dir, dsn).returncode == 0
    assert status(nl, sid) == "bounced"


def test_an_unreadable_bounce_to_a_verp_address_still_counts_for_its_delivery(sent, nl_dir):
    nl, by_sub = sent
    sid = sorted(by_sub)[0]
    unreadable = (f"Return-Path: <>\r\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r\n"
                  f"To: {by_sub[sid].mail_from}\r\nSubject: Returned mail\r\nMessage-ID: <odd-1@mx>\r\n\r\n"
                  "Something went wrong with your message. Sorry.\r\n").encode()
    assert inbound(nl_dir, unreadable).returncode == 0
    (ev,) = events(nl)
    assert (ev.kind, ev.subscriber_id, ev.issue_number) == ("soft_bounce", sid, 7)
    assert status(nl, sid) == "active"  # one soft bounce; a second would suppress
    assert inbound(nl_dir, unreadable.replace(b"odd-1", b"odd-2")).returncode == 0
    assert status(nl, sid) == "bounced"
