"""Importing other platforms' exports: each fixture in its platform's real format
(tests/fixtures/subscribers/README.md says where each comes from) through the real command,
recognised by its header, with statuses, consent records and extra columns mapped, and the
rule that who opted out there is never mailed here, through import, re-import and a send."""

from __future__ import annotations

import email
import email.policy
import json
import re
import zipfile
from pathlib import Path

import pytest

from pipeline import subscribers as subs
from pipeline.subscribers import formats
from pipeline.subscribers.formats.common import utc_text
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "subscribers"
MC = {kind: FIXTURES / f"mailchimp_{kind}_members_export_8f2d1c.csv" for kind in ("subscribed", "unsubscribed",
                                                                                   "cleaned")}


def _rows(nl) -> dict[str, dict]:
    return {r["email"]: r for r in subs.list_subscribers(nl)}


def _import(nl_dir, path, *args, check=True):
    return run_cli("--dir", str(nl_dir), "subscribers", "import", str(path), *args, check=check)


def _mailchimp_zip(tmp_path) -> Path:
    z = tmp_path / "audience_export_8f2d1c.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in MC.values():
            zf.write(path, f"audience_export_8f2d1c/{path.name.removeprefix('mailchimp_')}")
    return z


# ------------------------------------------------------------------ each platform

@pytest.mark.parametrize("fixture,recognised,statuses", [
    ("mailchimp_subscribed_members_export_8f2d1c.csv", "Mailchimp subscribed members",
     {"anna.schaefer@example.org": "active", "zoe@example.net": "active", "left.later@example.com": "active"}),
    ("mailchimp_unsubscribed_members_export_8f2d1c.csv", "Mailchimp unsubscribed members",
     {"opted.out@example.org": "unsubscribed", "left.later@example.com": "unsubscribed"}),
    ("mailchimp_cleaned_members_export_8f2d1c.csv", "Mailchimp cleaned members (bounced)",
     {"bounced.hard@example.org": "bounced"}),
    ("substack_email_list.csv", "Substack subscribers",
     {"reader.one@example.org": "active", "paying@example.org": "active", "disabled@example.org": "unsubscribed",
      "mixed.case@example.org": "active"}),
    ("substack_subscribers.csv", "Substack subscribers",
     {"free.reader@example.org": "active", "comp.reader@example.org": "active",
      "gone.reader@example.org": "unsubscribed"}),
    ("buttondown_subscribers.csv", "Buttondown subscribers",
     {"regular@example.org": "active", "premium@example.org": "active", "never.confirmed@example.org": "pending",
      "unsubscribed@example.org": "unsubscribed", "spammy@example.org": "bounced"}),
    ("ghost_members.csv", "Ghost members",
     {"member@example.org": "active", "paid@example.org": "active", "no.emails@example.org": "unsubscribed",
      "deleted@example.org": "unsubscribed"}),
    ("listmonk_subscribers.csv", "listmonk subscribers",
     {"enabled@example.org": "active", "blocked@example.org": "unsubscribed", "disabled@example.org": "unsubscribed"}),
    ("beehiiv_subscribers.csv", "beehiiv subscribers",
     {"active@example.org": "active", "validating@example.org": "pending", "inactive@example.org": "unsubscribed",
      "invalid@example.org": "bounced"}),
    ("keila_contacts.csv", "Keila contacts",
     {"keila.active@example.org": "active", "keila.gone@example.org": "unsubscribed",
      "keila.bounced@example.org": "bounced"}),
    ("curated_subscribers.csv", "Curated email subscribers",
     {"curated.active@example.org": "active", "curated.spam@example.org": "complained",
      "curated.bounced@example.org": "bounced", "curated.pending@example.org": "pending",
      "curated.unsub@example.org": "unsubscribed"}),
])
def test_each_platforms_export_is_recognised_and_every_status_mapped(nl_dir, nl, fixture, recognised, statuses):
    proc = _import(nl_dir, FIXTURES / fixture)
    assert f"{FIXTURES / fixture}: {recognised}." in proc.stdout
    assert {e: r["status"] for e, r in _rows(nl).items()} == statuses
    for st in set(statuses.values()):
        assert f"{st} {list(statuses.values()).count(st)} (+" in proc.stdout


def test_broken_rows_of_an_export_are_reported_by_line_and_the_valid_ones_imported(nl_dir, nl):
    proc = _import(nl_dir, MC["subscribed"])
    f = MC["subscribed"]
    assert f"{f}:5: skipped: not a valid email address" in proc.stderr
    assert f"{f}:6: skipped: 王芳@example.com cannot be mailed" in proc.stderr
    assert f"{f}:7: skipped: OPTIN_TIME is not a time: '2021-02-30 10:00:00'" in proc.stderr
    assert "6 rows: 3 added" in proc.stdout and "3 invalid" in proc.stdout
    proc = _import(nl_dir, FIXTURES / "listmonk_subscribers.csv")
    assert "listmonk_subscribers.csv:5: skipped: status: unknown status 'enabled-ish'" in proc.stderr
    proc = _import(nl_dir, FIXTURES / "buttondown_subscribers.csv")
    assert "buttondown_subscribers.csv:7: skipped: subscriber_type: unknown status 'vip_plus'" in proc.stderr
    assert "weird@example.org" not in _rows(nl)


def test_the_consent_record_travels_with_the_person(nl_dir, nl):
    _import(nl_dir, MC["subscribed"])
    anna = _rows(nl)["anna.schaefer@example.org"]
    assert anna["name"] == "Anna Schäfer" and _rows(nl)["zoe@example.net"]["name"] == "Zoë O'Brien, Jr."
    assert anna["created_at"].isoformat() == "2021-03-01T09:12:44+00:00"      # OPTIN_TIME
    assert anna["confirmed_at"].isoformat() == "2021-03-04T10:00:01+00:00"    # CONFIRM_TIME
    assert anna["consent_ip"] == "203.0.113.5" and anna["consent_source"] == "import"
    assert anna["consent_text"] == ("imported from Mailchimp (mailchimp_subscribed_members_export_8f2d1c.csv), "
                                    "subscribed 2021-03-01 09:12:44 from 198.51.100.7, "
                                    "confirmed 2021-03-04 10:00:01 from 203.0.113.5")
    extra = json.loads(anna["attributes"])
    assert extra["tags"] == '"Fair 2021","Köln"' and extra["notes"] == 'Met at the fair, said "hi"'
    assert extra["phone number"] == "+49 221 555 0100"
    assert "leid" not in extra and "member_rating" not in extra  # Mailchimp's own bookkeeping
    assert json.loads(_rows(nl)["zoe@example.net"]["attributes"] or "{}") == {}


def test_json_attribute_columns_and_unusual_times_are_read(nl_dir, nl):
    _import(nl_dir, FIXTURES / "listmonk_subscribers.csv")
    _import(nl_dir, FIXTURES / "keila_contacts.csv")
    _import(nl_dir, FIXTURES / "buttondown_subscribers.csv")
    _import(nl_dir, FIXTURES / "ghost_members.csv")
    rows = _rows(nl)
    erik = rows["enabled@example.org"]
    assert json.loads(erik["attributes"]) == {"city": "Bengaluru", "projects": 3}
    assert erik["created_at"].isoformat() == "2020-07-14T11:37:41.594587+00:00"  # +0530 IST
    assert rows["disabled@example.org"]["created_at"].isoformat() == "2019-01-01T09:00:00+00:00"  # +0100 CET
    assert json.loads(rows["keila.active@example.org"]["attributes"]) == {"plan": "pro", "tags": ["a", "b"]}
    assert rows["keila.active@example.org"]["name"] == "Kai Müller"
    assert json.loads(rows["regular@example.org"]["attributes"])["city"] == "Zürich"
    assert rows["never.confirmed@example.org"]["confirmed_at"] is None
    member = rows["member@example.org"]  # the Ghost file starts with a BOM
    assert member["name"] == "Mía Fernández" and json.loads(member["attributes"])["labels"] == "VIP,Early reader"
    assert "stripe_customer_id" not in (rows["paid@example.org"]["attributes"] or "")


@pytest.mark.parametrize("value,expected", [
    ("2021-03-04 10:11:12", "2021-03-04 10:11:12.000000"),
    ("2021-03-04T10:11:12.000Z", "2021-03-04 10:11:12.000000"),
    ("2021-03-04T10:11:12.123456+00:00", "2021-03-04 10:11:12.123456"),
    ("2021-03-04T12:11:12+02:00", "2021-03-04 10:11:12.000000"),
    ("2020-07-14 17:07:41.594587123 +0530 IST", "2020-07-14 11:37:41.594587"),
    ("2023-02-03 04:05:06 UTC", "2023-02-03 04:05:06.000000"),
    ("1675397106", "2023-02-03 04:05:06.000000"),
    ("2021-03-04", "2021-03-04 00:00:00.000000"),
])
def test_platform_times_become_utc(value, expected):
    assert utc_text(value) == expected


@pytest.mark.parametrize("value", ["2021-02-30 10:00:00", "2021-03-04 24:00:00", "yesterday", "04/03/2021"])
def test_what_is_not_a_time_is_refused(value):
    with pytest.raises(ValueError):
        utc_text(value)


# ------------------------------------------------------------------ opted out: never mailed

def _send(nl, nl_dir, number: int) -> set[str]:
    """Send issue ``number`` to the file outbox; the addresses it was mailed to."""
    from pipeline.send.campaign import send_issue
    from tests.smtp_behaviours import DRAFT, write_draft

    draft = write_draft(nl_dir, DRAFT.replace("issue: 7", f"issue: {number}"), f"{number:03d}-on-slowness.md")
    send_issue(nl, draft, force=True)
    mailed = set()
    for eml in nl.settings.outbox_dir.glob(f"issue-{number:04d}-*.eml"):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        mailed.add(msg["To"].addresses[0].addr_spec)
    return mailed


def test_an_opted_out_person_is_never_mailed_after_import_and_reimport(nl_dir, nl, tmp_path):
    proc = _import(nl_dir, _mailchimp_zip(tmp_path))
    for kind in ("subscribed", "unsubscribed", "cleaned"):
        assert f"{kind}_members_export_8f2d1c.csv: Mailchimp {kind} members" in proc.stdout
    rows = _rows(nl)
    assert rows["opted.out@example.org"]["status"] == "unsubscribed"
    assert rows["bounced.hard@example.org"]["status"] == "bounced"
    # in the subscribed file of this export and in its unsubscribed file: unsubscribed wins
    assert rows["left.later@example.com"]["status"] == "unsubscribed"
    assert rows["left.later@example.com"]["unsubscribed_at"].isoformat() == "2023-01-15T08:00:00+00:00"
    first = _send(nl, nl_dir, 1)
    assert first == {"anna.schaefer@example.org", "zoe@example.net"}

    # an older export, where they were all still subscribed, imported again: nobody comes back
    older = tmp_path / "older.csv"
    text = MC["subscribed"].read_text(encoding="utf-8")
    older.write_text(text + "opted.out@example.org,Otto,Out,,,,2,\"2019-05-06 07:08:09\",,,,,,,,,,,,,,,\r\n"
                     "bounced.hard@example.org,Bert,Bounce,,,,1,\"2018-02-03 04:05:06\",,,,,,,,,,,,,,,\r\n",
                     encoding="utf-8", newline="")
    proc = _import(nl_dir, older)
    assert "3 left alone" in proc.stdout
    assert {e: r["status"] for e, r in _rows(nl).items() if e != "anna.schaefer@example.org"
            and e != "zoe@example.net"} == {"opted.out@example.org": "unsubscribed",
                                            "bounced.hard@example.org": "bounced",
                                            "left.later@example.com": "unsubscribed"}
    assert _send(nl, nl_dir, 2) == first


def test_a_later_export_where_someone_unsubscribed_stops_their_mail(nl_dir, nl):
    _import(nl_dir, MC["subscribed"])
    assert _rows(nl)["left.later@example.com"]["status"] == "active"
    proc = _import(nl_dir, MC["unsubscribed"])
    assert "1 who were pending or active here left at the platform: no longer mailed" in proc.stdout
    lena = _rows(nl)["left.later@example.com"]
    assert lena["status"] == "unsubscribed" and lena["unsubscribed_at"].isoformat() == "2023-01-15T08:00:00+00:00"
    assert lena["consent_text"].startswith("imported from Mailchimp (mailchimp_subscribed")  # the original consent


def test_a_removed_address_stays_out_of_every_format(nl_dir, nl):
    subs.add_subscriber(nl, "member@example.org")
    subs.remove_subscriber(nl, "member@example.org")
    proc = _import(nl_dir, FIXTURES / "ghost_members.csv")
    assert "1 removed earlier" in proc.stdout and "member@example.org" not in _rows(nl)


# ------------------------------------------------------------------ dry run, --from, bad files

def test_dry_run_shows_the_outcome_per_status_and_writes_nothing(nl_dir, nl, tmp_path):
    subs.add_subscriber(nl, "left.later@example.com")
    proc = _import(nl_dir, _mailchimp_zip(tmp_path), "--dry-run")
    assert "would be: active 2 (+1), unsubscribed 2 (+2), bounced 1 (+1)" in proc.stdout
    assert "1 who were pending or active here left at the platform" in proc.stdout
    assert "subscribed_members_export_8f2d1c.csv:5: skipped: not a valid email address" in proc.stderr
    assert "dry run: nothing was written" in proc.stdout
    assert {e: r["status"] for e, r in _rows(nl).items()} == {"left.later@example.com": "active"}


def test_from_names_the_format_when_the_header_does_not(nl_dir, nl, tmp_path):
    f = tmp_path / "curated-download.csv"
    f.write_text("Email,Status\ncora@example.org,Active\nsam@example.org,Spam\n", encoding="utf-8")
    proc = _import(nl_dir, f, "--dry-run")  # without --from: a plain CSV, whose statuses these are not
    assert f"{f}:3: skipped: Status must be one of pending, active" in proc.stderr and _rows(nl) == {}
    proc = _import(nl_dir, f, "--from", "curated")
    assert "Curated email subscribers" in proc.stdout
    assert {e: r["status"] for e, r in _rows(nl).items()} == {"cora@example.org": "active",
                                                            "sam@example.org": "complained"}
    proc = _import(nl_dir, FIXTURES / "ghost_members.csv", "--from", "mailchimp", check=False)
    assert proc.returncode == 1 and "this Mailchimp export has no 'email address' column" in proc.stderr


def test_an_export_that_cannot_tell_who_left_is_refused(nl_dir, nl):
    proc = _import(nl_dir, FIXTURES / "keila_contacts_old.csv", check=False)
    assert proc.returncode == 1 and "has no Status column" in proc.stderr and "Traceback" not in proc.stderr
    assert _rows(nl) == {}


def test_unknown_columns_are_kept_as_attributes_and_exported(nl_dir, nl, tmp_path):
    f = tmp_path / "sheet.csv"
    f.write_text("email,name,phone,Lieblingsthema\nanna@example.org,Anna,+49 30 1234,Städte\n", encoding="utf-8")
    _import(nl_dir, f)
    assert json.loads(_rows(nl)["anna@example.org"]["attributes"]) == {"phone": "+49 30 1234",
                                                                       "lieblingsthema": "Städte"}
    out = tmp_path / "out.csv"
    run_cli("--dir", str(nl_dir), "subscribers", "export", str(out))
    assert out.stat().st_mode & 0o777 == 0o600
    assert '"{""phone"":""+49 30 1234"",""lieblingsthema"":""Städte""}"' in out.read_text(encoding="utf-8")


def test_two_exports_pasted_into_one_file_are_refused_by_line(nl_dir, nl, tmp_path):
    f = tmp_path / "both.csv"
    text = MC["subscribed"].read_text(encoding="utf-8")
    f.write_text(text + MC["unsubscribed"].read_text(encoding="utf-8"), encoding="utf-8", newline="")
    proc = _import(nl_dir, f, check=False)
    assert proc.returncode == 1 and f"{f}:8: a header line again" in proc.stderr
    assert "Nothing was imported" in proc.stderr
    assert _rows(nl) == {}


def test_a_zip_without_csv_files_is_a_clear_error(nl_dir, nl, tmp_path):
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    proc = _import(nl_dir, z, check=False)
    assert proc.returncode == 1 and "holds no .csv file" in proc.stderr and "Traceback" not in proc.stderr


def test_the_cli_offers_every_format():
    from pipeline.cli.subscribers import IMPORT_FORMATS

    assert set(IMPORT_FORMATS) == set(formats.NAMES)


# ------------------------------------------------------------------ a big file: read in another process

@pytest.mark.parametrize("parallel", [False, True])
def test_reading_in_another_process_gives_the_same_outcome(nl, tmp_path, monkeypatch, parallel):
    """Big files are read and checked by a second process while this one inserts; the outcome,
    the problems by line and the refusal of a broken file are the same either way."""
    from pipeline.subscribers import records

    monkeypatch.setattr(records, "PARALLEL_MIN_BYTES", 0 if parallel else 1 << 60)
    monkeypatch.setattr(records, "PARALLEL_MIN_CPUS", 1)
    r = subs.import_csv(nl, _mailchimp_zip(tmp_path), batch_size=2)
    assert (r.rows, r.added, r.invalid, r.made_left) == (9, 5, 3, 1)
    assert [(p.line, p.file.rsplit(":", 1)[-1]) for p in r.problems] == \
        [(n, "audience_export_8f2d1c/subscribed_members_export_8f2d1c.csv") for n in (5, 6, 7)]
    assert {e: row["status"] for e, row in _rows(nl).items()} == {
        "anna.schaefer@example.org": "active", "zoe@example.net": "active", "left.later@example.com": "unsubscribed",
        "opted.out@example.org": "unsubscribed", "bounced.hard@example.org": "bounced"}

    bad = tmp_path / "bad.csv"
    bad.write_bytes(MC["subscribed"].read_bytes() + "jörg@example.org,Jörg,,,,,2,,,,,,,,,,,,,,,,\r\n".encode("latin-1"))
    with pytest.raises(subs.SubscriberError, match=r"bad.csv:8: the file is not UTF-8"):
        subs.import_csv(nl, bad, batch_size=2)
    short = tmp_path / "short.csv"
    short.write_bytes(MC["subscribed"].read_bytes() + b"x@example.org,X\r\n")
    with pytest.raises(subs.SubscriberError, match=r"short.csv:8: missing columns"):
        subs.import_csv(nl, short, batch_size=2)
    assert len(_rows(nl)) == 5  # nothing of the broken files was written


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.csv") if "keila_contacts_old" not in p.name))
def test_the_generated_row_mapper_agrees_with_the_general_one_on_every_row(fixture):
    import csv

    from pipeline.subscribers.formats import common, fast

    with open(FIXTURES / fixture, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    for _ in range(2):  # the second time the days, clocks and domains are known: the fast path runs
        spec = formats.recognise(rows[0])
        general = common.row_mapper(spec, fixture, "2026-12-01 00:00:00.000000")
        mapper = formats.row_mapper(spec, fixture, "2026-12-01 00:00:00.000000")
        assert mapper.__name__ == ("fast" if fast.suits(spec) else "map_row")
        for row in rows[1:]:
            try:
                expected = general(row)
            except subs.SubscriberError as e:
                with pytest.raises(subs.SubscriberError, match=re.escape(str(e))):
                    mapper(row)
            else:
                assert mapper(row) == expected


def test_what_a_file_says_reaches_the_terminal_escaped(nl_dir, nl, tmp_path):
    f = tmp_path / "hostile.csv"
    f.write_text('email,"\x1b]8;;https://evil.example/\x07name\u202e"\n'
                 'a\x1b[31m@example.org,x\n', encoding="utf-8")
    proc = _import(nl_dir, f)
    out = proc.stdout + proc.stderr
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "\\x1b]8;;https://evil.example/\\x07name\\u202e" in proc.stdout  # the header, as kept attribute
    f.write_text('mail,"x\x1b[2J"\n', encoding="utf-8")
    proc = _import(nl_dir, f, check=False)
    assert proc.returncode == 1 and "\x1b" not in proc.stderr and "x\\x1b[2J" in proc.stderr
