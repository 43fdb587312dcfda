"""Subscribers: normalizing, add/list/count/import/export/remove through the real CLI and the
library, and the status rules (people who left are never made active again)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from pipeline import subscribers as subs
from pipeline.models import Delivery, Issue, Subscriber, Suppression, utcnow
from tests.conftest import run_cli


def _status(nl, email: str) -> str | None:
    with nl.session() as s:
        sub = s.scalars(select(Subscriber).where(Subscriber.email == email)).first()
        return sub.status if sub else None


def _set_status(nl, email: str, status: str) -> None:
    with nl.session() as s:
        sub = s.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        sub.status = status


def _age_consent(nl, email: str, *, minutes: int) -> None:
    """Move the last consent (when a confirmation was asked for) back in time."""
    with nl.session() as s:
        sub = s.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        sub.consent_at = utcnow() - timedelta(minutes=minutes)


def _emails(nl) -> list[str]:
    return [r["email"] for r in subs.list_subscribers(nl)]


# ------------------------------------------------------------------ normalizing

def test_addresses_are_normalized_as_a_whole_and_validated():
    assert subs.normalize_email("  Jane.Doe@Example.ORG ") == "jane.doe@example.org"
    assert subs.normalize_email("JOERG@Müller.de") == "joerg@müller.de"  # the send stage writes it as IDNA
    for unmailable in ("jörg@example.de", "JÖRG@Müller.de", "josé@example.org"):  # would need SMTPUTF8
        with pytest.raises(subs.SubscriberError, match="cannot be mailed: the part before the @ holds non-ASCII"):
            subs.normalize_email(unmailable)
    for bad, reason in [("no-at-sign", "valid"), ("a@b@c.org", "valid"), ("", "empty"),
                        ("x@example.org\r\nBcc: victim@example.net", "line break"), ("a" * 250 + "@x.org", "longer")]:
        with pytest.raises(subs.SubscriberError, match=reason):
            subs.normalize_email(bad)


TRICKY = ["a@b.co", "x@localhost", "x@example.test", "x@example.invalid", "x@foo.onion", "user@sub-domain.example.org",
          "user@-bad.org", "user@bad-.org", "user@xn--mller-kva.de", "user@ab--cd.org", "a..b@x.org", ".a@x.org",
          "a.@x.org", "a+tag@x.org", "o'neil@x.org", "a" * 64 + "@x.org", "a" * 65 + "@x.org",
          "user@" + "d" * 63 + ".org", "user@" + "d" * 64 + ".org", "user@123.456", "user@x.c0m", "user@x.museum",
          "us{er}@x.org", "user@x_y.org", "user@[127.0.0.1]", "user@x.org.", "user@.x.org", "üser@x.org", "user@x.arpa",
          "jörg@example.de", "joerg@müller.de"]


@pytest.mark.parametrize("addr", TRICKY)
def test_the_fast_path_accepts_only_what_email_validator_accepts(addr):
    """The import's regex shortcut must be a strict subset of email-validator, with the same result."""
    if subs._fast_valid(addr):
        assert validate_email(addr, check_deliverability=False, allow_smtputf8=False).normalized.lower() == addr
    try:
        expected = validate_email(addr, check_deliverability=False, allow_smtputf8=False).normalized.lower()
    except EmailNotValidError:
        with pytest.raises(subs.SubscriberError):
            subs.normalize_email(addr)
    else:
        assert subs.normalize_email(addr) == expected


def test_names_are_one_line_and_capped():
    assert subs.clean_name("  Jörg Müller ") == "Jörg Müller"
    with pytest.raises(subs.SubscriberError, match="line break"):
        subs.clean_name("Eve\r\nBcc: x@example.org")
    with pytest.raises(subs.SubscriberError, match="longer than 200"):
        subs.clean_name("x" * 201)
    with pytest.raises(subs.SubscriberError, match="control"):
        subs.clean_name("a\x00b")


# ------------------------------------------------------------------ the CLI

def test_add_list_count_and_remove_through_the_cli(nl_dir, nl):
    d = ["--dir", str(nl_dir), "subscribers"]
    assert "Added jane@example.org (active)" in run_cli(*d, "add", "Jane@Example.org", "--name", "Jane").stdout
    assert "Already there" in run_cli(*d, "add", "JANE@example.org").stdout
    run_cli(*d, "add", "pete@example.org", "--status", "pending")
    assert "Activated" in run_cli(*d, "add", "pete@example.org").stdout
    run_cli(*d, "add", "ann@example.org", "--status", "pending")
    listing = run_cli(*d, "list").stdout.splitlines()
    assert listing == ["jane@example.org\tactive\tJane", "pete@example.org\tactive\t", "ann@example.org\tpending\t"]
    assert run_cli(*d, "list", "--status", "pending").stdout == "ann@example.org\tpending\t\n"
    count = run_cli(*d, "count").stdout
    assert "active               2" in count and "pending              1" in count and "total                3" in count

    assert "Removed jane@example.org" in run_cli(*d, "remove", "jane@example.org").stdout
    assert _emails(nl) == ["pete@example.org", "ann@example.org"]
    again = run_cli(*d, "add", "jane@example.org", check=False)
    assert again.returncode == 1 and "removed at the person's request" in again.stderr
    assert "Traceback" not in again.stderr


def test_bad_names_and_addresses_are_clear_errors_without_traces(nl_dir, nl):
    d = ["--dir", str(nl_dir), "subscribers", "add"]
    for args, message in [(["eve@example.org", "--name", "Eve\r\nBcc: all@example.org"], "line break"),
                          (["eve@example.org", "--name", "E" * 300], "longer than 200"),
                          (["eve@example.org\r\nBcc: all@example.org"], "line break"),
                          (["not-an-address"], "not a valid email address"),
                          (["jörg@example.de"], "jörg@example.de cannot be mailed: the part before the @ holds "
                                                "non-ASCII characters")]:
        proc = run_cli(*d, *args, check=False)
        assert proc.returncode == 1, args
        assert message in proc.stderr and "Traceback" not in proc.stderr
    assert _emails(nl) == []


@pytest.mark.parametrize("left", ["unsubscribed", "bounced", "complained"])
def test_people_who_left_are_never_made_active_by_add(nl, left):
    subs.add_subscriber(nl, "gone@example.org")
    _set_status(nl, "gone@example.org", left)
    with pytest.raises(subs.SubscriberError, match=f"is {left}"):
        subs.add_subscriber(nl, "Gone@example.org")
    assert _status(nl, "gone@example.org") == left


# ------------------------------------------------------------------ import

def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_import_reports_invalid_rows_by_line_merges_duplicates_and_keeps_the_rest(nl_dir, nl, tmp_path):
    subs.add_subscriber(nl, "left@example.org")
    _set_status(nl, "left@example.org", "unsubscribed")
    subs.add_subscriber(nl, "bounced@example.org")
    _set_status(nl, "bounced@example.org", "bounced")
    subs.add_subscriber(nl, "erased@example.org")
    subs.remove_subscriber(nl, "erased@example.org")
    f = _write(tmp_path / "list.csv", "email,name\n"
               "anna@example.org,Anna Schäfer\n"      # 2
               "not an address,Nobody\n"              # 3
               "ANNA@example.org,Anna again\n"        # 4 duplicate (case)
               "bob@example.org,\"Bob \r\nBcc: x@example.org\"\n"  # 5-6 header injection in the name
               "left@example.org,Left\n"              # 7
               "bounced@example.org,B\n"              # 8
               "Erased@Example.org,E\n"               # 9
               "carl@example.org," + "C" * 201 + "\n"  # 10
               "dora@example.org,Dora\n")             # 11
    proc = run_cli("--dir", str(nl_dir), "subscribers", "import", str(f))
    assert f"{f}:3: skipped: not a valid email address" in proc.stderr
    assert f"{f}:6: skipped: the name contains a line break" in proc.stderr
    assert f"{f}:10: skipped: the name is longer than 200 characters" in proc.stderr
    assert "left@example.org (unsubscribed)" in proc.stderr and "bounced@example.org (bounced)" in proc.stderr
    assert "9 rows: 2 added, 1 already present, 2 left alone" in proc.stdout
    assert "1 removed earlier, 3 invalid" in proc.stdout
    rows = {r["email"]: r for r in subs.list_subscribers(nl)}
    assert set(rows) == {"anna@example.org", "dora@example.org", "left@example.org", "bounced@example.org"}
    assert rows["anna@example.org"]["name"] == "Anna Schäfer"  # the first one stays
    assert rows["anna@example.org"]["status"] == "active" and rows["anna@example.org"]["consent_source"] == "import"
    assert rows["left@example.org"]["status"] == "unsubscribed" and rows["bounced@example.org"]["status"] == "bounced"


def test_import_in_small_batches_reports_blocked_rows_across_batches(nl, tmp_path):
    subs.add_subscriber(nl, "u5@example.org")
    _set_status(nl, "u5@example.org", "complained")
    lines = ["email,name"] + [f"u{i}@example.org,U{i}" for i in range(20)] + ["u3@example.org,dupe"]
    f = _write(tmp_path / "l.csv", "\n".join(lines) + "\n")
    report = subs.import_csv(nl, f, status="pending", batch_size=3)
    assert (report.rows, report.added, report.skipped, report.blocked) == (21, 19, 1, 1)
    assert subs.count_subscribers(nl) == {"pending": 19, "active": 0, "unsubscribed": 0, "bounced": 0, "complained": 1}


@pytest.mark.parametrize("content,message", [
    ("name,email\nx,a@example.org\nonly-one-field\n", ":3: missing columns"),
    ("email,name\na@example.org,A\nb@example.org,B,extra\n", ":3: extra columns"),
    ("email,name\na@example.org,A\nEmail,Name\nb@example.org,B\n", ":3: a header line again"),  # two files joined
    ("mail,name\na@example.org,A\n", ":1: the header has no 'email' column"),
    ("", "empty file"),
])
def test_a_broken_csv_is_an_error_and_nothing_is_written(nl_dir, nl, tmp_path, content, message):
    f = _write(tmp_path / "broken.csv", content)
    proc = run_cli("--dir", str(nl_dir), "subscribers", "import", str(f), check=False)
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert _emails(nl) == []


def test_a_non_utf8_csv_is_an_error_naming_the_line_and_nothing_is_written(nl_dir, nl, tmp_path):
    rows = "".join(f"r{i}@example.org,Reader {i}\n" for i in range(12000))  # more than two batches
    f = _write(tmp_path / "latin1.csv", "email,name\n" + rows + "joerg@example.org,Jörg Müller\n", "latin-1")
    proc = run_cli("--dir", str(nl_dir), "subscribers", "import", str(f), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{f}:12002: the file is not UTF-8" in proc.stderr and "Nothing was imported" in proc.stderr
    assert _emails(nl) == []


def test_a_byte_order_mark_from_a_spreadsheet_is_fine(nl, tmp_path):
    f = _write(tmp_path / "bom.csv", "\ufeffEmail,Name\r\nx@example.org,X\r\n")
    assert subs.import_csv(nl, f).added == 1


def test_export_has_every_field_and_imports_back_unchanged(nl, nl_dir, tmp_path):
    subs.add_subscriber(nl, "a@example.org", name='Anna "the reader", Köln')
    subs.subscribe(nl, "b@example.org", "Bea", ip="203.0.113.9", user_agent="Firefox/130", consent_text="Yes, mail me.")
    subs.add_subscriber(nl, "c@example.org")
    subs.unsubscribe(nl, subs.find_subscriber(nl, "c@example.org").id)
    out = tmp_path / "export.csv"
    run_cli("--dir", str(nl_dir), "subscribers", "export", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(subs.FIELDS + subs.EVENT_FIELDS)
    assert [r["email"] for r in rows] == ["a@example.org", "b@example.org", "c@example.org"]
    b = rows[1]
    assert (b["status"], b["consent_source"], b["consent_ip"], b["consent_user_agent"], b["consent_text"]) == \
        ("pending", "form", "203.0.113.9", "Firefox/130", "Yes, mail me.")
    assert rows[2]["status"] == "unsubscribed" and rows[2]["unsubscribed_at"]

    other = tmp_path / "other"
    run_cli("init", str(other))
    run_cli("--dir", str(other), "subscribers", "import", str(out))
    again = run_cli("--dir", str(other), "subscribers", "export").stdout
    assert again == out.read_text(encoding="utf-8")


# ------------------------------------------------------------------ removal and the form's rules

def test_remove_erases_the_person_and_their_deliveries_and_keeps_only_a_hash(nl):
    sub = subs.add_subscriber(nl, "Erase.Me@example.org", name="Erika").subscriber
    with nl.session() as s:
        issue = Issue(number=1)
        s.add(issue)
        s.flush()
        s.add(Delivery(issue_id=issue.id, subscriber_id=sub.id, state="sent"))
    assert subs.remove_subscriber(nl, "erase.me@EXAMPLE.org") is True
    with nl.session() as s:
        assert s.scalars(select(Subscriber)).all() == []
        assert s.scalars(select(Delivery)).all() == []
        (sup,) = s.scalars(select(Suppression)).all()
        assert sup.email_hash == subs.email_hash("erase.me@example.org") and "erase" not in sup.email_hash
    assert subs.remove_subscriber(nl, "erase.me@example.org") is False  # twice is fine
    assert subs.subscribe(nl, "erase.me@example.org", ip="198.51.100.1", user_agent="x",
                          consent_text="c").outcome == "blocked"
    assert _emails(nl) == []


def test_a_pending_address_gets_at_most_one_confirmation_per_ten_minutes(nl):
    kw = dict(ip="198.51.100.7", user_agent="Mozilla/5.0", consent_text="I want the newsletter.")
    first = subs.subscribe(nl, "pat@example.org", **kw)
    assert first.send_confirmation is True
    for _ in range(5):  # someone posting the form over and over
        assert subs.subscribe(nl, "pat@example.org", name="Other", **kw).send_confirmation is False
    _age_consent(nl, "pat@example.org", minutes=9)
    assert subs.subscribe(nl, "pat@example.org", **kw).send_confirmation is False
    _age_consent(nl, "pat@example.org", minutes=10)
    assert subs.subscribe(nl, "pat@example.org", **kw).send_confirmation is True
    assert subs.subscribe(nl, "pat@example.org", **kw).send_confirmation is False  # the window starts again


def test_the_form_rules_for_each_status(nl):
    kw = dict(ip="198.51.100.7", user_agent="Mozilla/5.0", consent_text="I want the newsletter.")
    new = subs.subscribe(nl, "New@example.org", "New", **kw)
    assert (new.outcome, new.send_confirmation) == ("new", True)
    soon = subs.subscribe(nl, "new@example.org", **kw)  # the confirmation went out just now
    assert (soon.outcome, soon.send_confirmation) == ("recently-mailed", False)
    _age_consent(nl, "new@example.org", minutes=11)
    again = subs.subscribe(nl, "new@example.org", **kw)
    assert (again.outcome, again.send_confirmation) == ("pending-again", True)
    assert subs.confirm(nl, new.subscriber_id) == "confirmed"
    assert subs.confirm(nl, new.subscriber_id) == "already-active"
    active = subs.subscribe(nl, "new@example.org", **kw)
    assert (active.outcome, active.send_confirmation) == ("already-active", False)
    assert subs.unsubscribe(nl, new.subscriber_id) == "unsubscribed"
    assert subs.unsubscribe(nl, new.subscriber_id) == "already"
    assert subs.confirm(nl, new.subscriber_id) == "not-pending"  # an old confirm link does not undo it
    back = subs.subscribe(nl, "new@example.org", **kw)  # the person's own new consent
    assert (back.outcome, back.send_confirmation) == ("resubscribed", True)
    assert _status(nl, "new@example.org") == "pending"
    subs.add_subscriber(nl, "b@example.org")
    _set_status(nl, "b@example.org", "bounced")
    assert subs.subscribe(nl, "b@example.org", **kw).send_confirmation is False
    assert _status(nl, "b@example.org") == "bounced"
    with nl.session() as s:
        sub = s.get(Subscriber, new.subscriber_id)
        assert (sub.consent_source, sub.consent_ip, sub.consent_user_agent, sub.consent_text) == \
            ("form", "198.51.100.7", "Mozilla/5.0", "I want the newsletter.")


def test_files_that_cannot_be_read_or_written_are_clear_errors(nl_dir, tmp_path):
    d = ["--dir", str(nl_dir), "subscribers"]
    for args, message in [(["export", str(tmp_path / "missing" / "out.csv")], "cannot write"),
                          (["import", str(tmp_path / "nope.csv")], "no such file")]:
        proc = run_cli(*d, *args, check=False)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_remove_also_deletes_the_copies_of_their_mails_in_the_outbox(nl_dir, nl):
    from pipeline.send.campaign import send_issue
    from tests.smtp_behaviours import write_draft

    subs.add_subscriber(nl, "gone@example.org", name="Gone")
    subs.add_subscriber(nl, "stays@example.org", name="Stays")
    send_issue(nl, write_draft(nl_dir), force=True)
    outbox = nl.settings.outbox_dir
    assert len(list(outbox.glob("*.eml"))) == 2
    assert subs.remove_subscriber(nl, "gone@example.org")
    left = list(outbox.glob("*.eml"))
    assert len(left) == 1 and b"stays@example.org" in left[0].read_bytes()
