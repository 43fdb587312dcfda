"""Subscribers on PostgreSQL: the bulk import (Core insert ... ON CONFLICT DO NOTHING with
psycopg's named parameters), the export round trip and the state changes.

Runs when LINKLETTER_TEST_POSTGRES_URL points to a database on a server where this user may
create databases (`.ci/run` starts a throwaway cluster); skipped with that reason otherwise.
"""

from __future__ import annotations

import io

import pytest

from pipeline import subscribers as subs
from pipeline.newsletter import open_newsletter
from tests.conftest import requires_postgres

pytestmark = requires_postgres


@pytest.fixture
def pg_nl(nl_dir, pg_database):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_DATABASE_URL": pg_database})
    yield nl
    nl.close()


def test_import_merges_reports_and_round_trips_on_postgresql(pg_nl, tmp_path):
    nl = pg_nl
    subs.add_subscriber(nl, "left@example.org")
    subs.unsubscribe(nl, subs.find_subscriber(nl, "left@example.org").id)
    subs.add_subscriber(nl, "gone@example.org")
    subs.remove_subscriber(nl, "gone@example.org")
    lines = ["email,name"] + [f"p{i}@example.org,Person {i} Größe" for i in range(12_000)]
    lines += ["P5@example.org,dupe", "left@example.org,Left", "gone@example.org,Gone", "broken,x"]
    f = tmp_path / "pg.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = subs.import_csv(nl, f)
    assert (report.rows, report.added, report.skipped, report.blocked, report.suppressed, report.invalid) == \
        (12_004, 12_000, 1, 1, 1, 1)
    assert report.problems[0][0] == 12_005
    assert subs.count_subscribers(nl) == {"pending": 0, "active": 12_000, "unsubscribed": 1, "bounced": 0,
                                          "complained": 0}
    first = next(subs.list_subscribers(nl, "active"))
    assert (first["email"], first["name"], first["consent_source"]) == ("p0@example.org", "Person 0 Größe", "import")
    assert first["created_at"].tzinfo is not None

    buf = io.StringIO()
    assert subs.export_csv(nl, buf) == 12_001
    out = tmp_path / "export.csv"
    out.write_text(buf.getvalue(), encoding="utf-8")
    with nl.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM subscribers")
    again = subs.import_csv(nl, out)  # every column, the full-row path
    assert again.added == 12_001
    buf2 = io.StringIO()
    subs.export_csv(nl, buf2)
    assert buf2.getvalue() == buf.getvalue()


def test_the_form_state_changes_on_postgresql(pg_nl):
    nl = pg_nl
    r = subs.subscribe(nl, "Form@Example.org", "Form", ip="192.0.2.1", user_agent="UA", consent_text="yes")
    assert r.send_confirmation and subs.confirm(nl, r.subscriber_id) == "confirmed"
    assert subs.unsubscribe(nl, r.subscriber_id) == "unsubscribed"
    assert subs.unsubscribe(nl, r.subscriber_id) == "already"
    assert subs.subscribe(nl, "form@example.org", ip="192.0.2.1", user_agent="UA", consent_text="y").outcome == \
        "resubscribed"


def test_platform_exports_and_people_who_left_on_postgresql(pg_nl, tmp_path):
    """The Mailchimp zip (times as text → timestamptz, attributes, the upsert that gives a
    pending or active person the status of having left) and a re-import on PostgreSQL."""
    import json
    import zipfile
    from pathlib import Path

    nl = pg_nl
    fixtures = Path(__file__).parent / "fixtures" / "subscribers"
    subs.add_subscriber(nl, "opted.out@example.org")  # active here, unsubscribed at Mailchimp
    z = tmp_path / "audience.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for kind in ("subscribed", "unsubscribed", "cleaned"):
            zf.write(fixtures / f"mailchimp_{kind}_members_export_8f2d1c.csv", f"{kind}_members_export_8f2d1c.csv")
    report = subs.import_csv(nl, z, batch_size=2)
    assert (report.rows, report.added, report.invalid, report.made_left) == (9, 4, 3, 2)
    rows = {r["email"]: r for r in subs.list_subscribers(nl)}
    assert {e: r["status"] for e, r in rows.items()} == {
        "opted.out@example.org": "unsubscribed", "anna.schaefer@example.org": "active", "zoe@example.net": "active",
        "left.later@example.com": "unsubscribed", "bounced.hard@example.org": "bounced"}
    anna = rows["anna.schaefer@example.org"]
    assert anna["confirmed_at"].isoformat() == "2021-03-04T10:00:01+00:00"
    assert json.loads(anna["attributes"])["phone number"] == "+49 221 555 0100"
    again = subs.import_csv(nl, fixtures / "mailchimp_subscribed_members_export_8f2d1c.csv")
    assert again.added == 0 and again.blocked == 1  # left.later stays unsubscribed
    assert subs.count_subscribers(nl)["active"] == 2
