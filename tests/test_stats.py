"""The numbers of issue 17 over a fixture history in a real SQLite file: subscribers confirmed
over four weeks, unsubscribes, bounces and a complaint (with their mail events), two sent
issues with deliveries; the charts drawn from them parsed as XML; ``linkletter stats``."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, insert, select

from pipeline.models import Delivery, Issue, MailEvent, Subscriber
from pipeline.stats import issue_figures, subscriber_origins, subscriber_weeks
from pipeline.stats import svg
from pipeline.stats.figures import LinkClicks, Origin, Week
from pipeline.store import stats as store
from pipeline.newsletter import open_newsletter
from tests.conftest import clean_env, requires_postgres, run_cli

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # a Wednesday; its week began Monday 23 November
SVG = "{http://www.w3.org/2000/svg}"


def at(day: int, month: int = 11, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.utc)


def _sub(conn, n: int, *, confirmed=None, status="active", unsubscribed=None, source="cli", text=None) -> int:
    return conn.execute(insert(Subscriber.__table__).values(
        email=f"reader{n}@example.net", name="", status=status, created_at=confirmed or at(1, 10),
        confirmed_at=confirmed, unsubscribed_at=unsubscribed, consent_source=source, consent_text=text,
        link_generation=0)).inserted_primary_key[0]


def _event(conn, kind: str, sid: int | None, when: datetime, issue: int | None = None) -> None:
    conn.execute(insert(MailEvent.__table__).values(kind=kind, subscriber_id=sid, issue_number=issue, source="inbound",
                                                   event_key=f"{kind}:{sid}:{when.isoformat()}:{issue}", created_at=when))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=requires_postgres)])
def stats_nl(request, nl_dir):
    """The newsletter on SQLite, and on PostgreSQL (the aggregate queries and partial indexes run on both)."""
    env = {"LINKLETTER_DATABASE_URL": request.getfixturevalue("pg_database")} if request.param == "postgresql" else {}
    nl = open_newsletter(nl_dir, env=env)
    yield nl
    nl.close()


@pytest.fixture
def history(stats_nl):
    """Who joined and left when (see the expected weeks in the first test)."""
    nl = stats_nl
    with nl.engine.begin() as conn:
        before = [_sub(conn, i, confirmed=at(20, 10), source="import", text="imported from old.csv") for i in range(3)]
        _sub(conn, 3, confirmed=at(19, 10), status="unsubscribed", unsubscribed=at(25, 10), source="import",
             text="imported from old.csv")
        w0 = [_sub(conn, 4, confirmed=at(3), source="form", text="I agree"),
              _sub(conn, 5, confirmed=at(5), status="unsubscribed", unsubscribed=at(18), source="form", text="I agree")]
        bounced = _sub(conn, 6, confirmed=at(10), status="bounced")
        _event(conn, "soft_bounce", bounced, at(11), issue=7)
        _event(conn, "hard_bounce", bounced, at(12), issue=7)
        w2 = [_sub(conn, 7, confirmed=at(17), source="form", text="I agree"),
              _sub(conn, 8, confirmed=at(17, hour=23), status="complained", source="form", text="I agree")]
        _event(conn, "complaint", w2[1], at(24), issue=8)
        edge = _sub(conn, 9, confirmed=datetime(2026, 11, 23, tzinfo=timezone.utc))  # the first instant of week 3
        _sub(conn, 10, status="pending", source="form", text="I agree")
        _sub(conn, 11, status="unsubscribed", unsubscribed=at(20), source="form", text="I agree")  # never confirmed
        _sub(conn, 12, confirmed=at(2, 11), source="import", text="imported from new.csv")
        issue7 = conn.execute(insert(Issue.__table__).values(number=7, title="Seven", status="sent", slug="7",
                                                             send_started_at=at(6), sent_at=at(6, hour=11))).inserted_primary_key[0]
        issue8 = conn.execute(insert(Issue.__table__).values(number=8, title="Eight", status="sending", slug="8",
                                                             send_started_at=at(20))).inserted_primary_key[0]
        conn.execute(insert(Issue.__table__).values(number=9, title="Nine", status="draft", slug="9"))
        for sid, state in zip(before + [w0[0], w0[1], bounced], ["sent", "sent", "sent", "sent", "sent", "failed"]):
            conn.execute(insert(Delivery.__table__).values(issue_id=issue7, subscriber_id=sid, state=state))
        for sid, state in zip(before + w2 + [w0[0]], ["sent", "sent", "sent", "sent", "queued", "failed"]):
            conn.execute(insert(Delivery.__table__).values(issue_id=issue8, subscriber_id=sid, state=state))
        _event(conn, "soft_bounce", before[0], at(7), issue=7)
        _event(conn, "unsubscribe", w0[1], at(18), issue=8)
        _event(conn, "unsubscribe", None, at(19), issue=8)
        _event(conn, "delayed", before[1], at(21), issue=8)
        store.count_click(conn, 8, "a" * 64, "https://example.com/a", 1)
        store.count_click(conn, 8, "a" * 64, "https://example.com/a", 1)
        store.count_click(conn, 8, "b" * 64, "https://example.com/b?x=1&y=2", 2)
    return nl


def test_weeks_count_confirmations_and_departures_and_the_active_line_adds_up(history):
    weeks = subscriber_weeks(history, 4, now=NOW)
    assert weeks == [
        Week(date(2026, 11, 2), active=6, confirmed=3, unsubscribed=0, bounced=0, complained=0),
        Week(date(2026, 11, 9), active=6, confirmed=1, unsubscribed=0, bounced=1, complained=0),
        Week(date(2026, 11, 16), active=7, confirmed=2, unsubscribed=1, bounced=0, complained=0),
        Week(date(2026, 11, 23), active=7, confirmed=1, unsubscribed=0, bounced=0, complained=1),
    ]
    with history.engine.connect() as conn:
        active_now = conn.execute(select(func.count()).where(Subscriber.__table__.c.status == "active")).scalar_one()
    assert weeks[-1].active == active_now == 7
    for prev, week in zip(weeks, weeks[1:]):
        assert week.active == prev.active + week.confirmed - week.unsubscribed - week.bounced - week.complained


def test_a_longer_window_starts_before_anyone_confirmed_and_a_bad_window_is_refused(history):
    weeks = subscriber_weeks(history, 10, now=NOW)
    assert len(weeks) == 10 and weeks[0].start == date(2026, 9, 21) and weeks[0].active == 0
    assert [w.confirmed for w in weeks[3:6]] == [0, 4, 0]  # 19 and 20 October
    assert weeks[4].unsubscribed == 1 and weeks[4].active == 3 and weeks[5].active == 3
    with pytest.raises(ValueError, match="weeks must be between"):
        subscriber_weeks(history, 0, now=NOW)


def test_issue_figures_per_issue_from_deliveries_events_and_click_counters(history):
    eight, seven = issue_figures(history)
    assert (seven.number, seven.title, seven.status) == (7, "Seven", "sent")
    assert (seven.recipients, seven.delivered, seven.failed, seven.waiting) == (6, 5, 1, 0)
    assert (seven.hard_bounces, seven.soft_bounces, seven.complaints, seven.unsubscribes) == (1, 2, 0, 0)
    assert seven.clicks is None and seven.total_clicks is None  # click counts are off, none counted
    assert (eight.recipients, eight.delivered, eight.failed, eight.waiting) == (6, 4, 1, 1)
    assert (eight.hard_bounces, eight.soft_bounces, eight.complaints, eight.unsubscribes) == (0, 0, 1, 2)
    assert eight.clicks == (LinkClicks(1, "https://example.com/a", 2), LinkClicks(2, "https://example.com/b?x=1&y=2", 1))
    assert eight.total_clicks == 3
    assert [f.number for f in issue_figures(history, 7)] == [7]
    assert issue_figures(history, 9) == [] and issue_figures(history, 99) == []


def test_origins_group_by_consent_source_and_import_file(history):
    assert subscriber_origins(history) == [
        Origin("form", "", 6, 2),
        Origin("import", "imported from old.csv", 4, 3),
        Origin("cli", "", 2, 1),
        Origin("import", "imported from new.csv", 1, 1),
    ]


# ------------------------------------------------------------------ charts


def _contrast(a: str, b: str) -> float:
    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_active_chart_has_one_point_per_week_with_labels_and_accessible_names(history):
    weeks = subscriber_weeks(history, 4, now=NOW)
    root = ET.fromstring(svg.active_chart(weeks))
    assert root.get("role") == "img"
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Active subscribers per week" and "7 active now" in desc.text
    (line,) = root.iter(SVG + "polyline")
    points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert len(points) == 4
    ys = [y for _x, y in points]
    assert ys[0] == ys[1] > ys[2] == ys[3]  # 6, 6, 7, 7 (higher value, smaller y)
    tips = [c.find(SVG + "title").text for c in root.iter(SVG + "circle")]
    assert tips == ["2026-11-02: Active subscribers 6", "2026-11-09: Active subscribers 6",
                    "2026-11-16: Active subscribers 7", "2026-11-23: Active subscribers 7"]
    texts = {t.get("class"): [] for t in root.iter(SVG + "text")}
    for t in root.iter(SVG + "text"):
        texts[t.get("class")].append(t.text)
    assert texts["tx x-label"] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert texts["tx y-label"] == ["0", "2.5", "5", "7.5", "10"]  # up to the round top above 7
    assert texts["tx legend-label"] == ["Active subscribers"]


def test_the_changes_chart_has_a_bar_per_week_and_series_with_heights_in_proportion(history):
    weeks = subscriber_weeks(history, 4, now=NOW)
    root = ET.fromstring(svg.changes_chart(weeks))
    bars = [r for r in root.iter(SVG + "rect") if "bar" in (r.get("class") or "").split()]
    assert len(bars) == 16
    tips = {b.find(SVG + "title").text: float(b.get("height")) for b in bars}
    assert tips["2026-11-02: New confirmations 3"] == pytest.approx(3 * tips["2026-11-09: New confirmations 1"])
    assert tips["2026-11-09: Bounces 1"] > 0 and tips["2026-11-02: Bounces 0"] == 0
    assert tips["2026-11-23: Complaints 1"] == tips["2026-11-09: Bounces 1"]
    legend = [t.text for t in root.iter(SVG + "text") if t.get("class") == "tx legend-label"]
    assert legend == ["New confirmations", "Unsubscribes", "Bounces", "Complaints"]


def test_the_clicks_chart_has_a_bar_per_counted_link(history):
    eight, seven = issue_figures(history)
    root = ET.fromstring(svg.clicks_chart(eight))
    bars = [r.find(SVG + "title").text for r in root.iter(SVG + "rect") if "bar" in (r.get("class") or "").split()]
    assert bars == ["1: Clicks 2", "2: Clicks 1"]
    assert "most: link 1 (https://example.com/a), 2" in root.find(SVG + "desc").text
    with pytest.raises(ValueError, match="issue 7 has no counted clicks"):
        svg.clicks_chart(seven)


def test_chart_text_is_escaped_and_bad_series_are_refused():
    out = svg.bar_chart(["<b>&"], [svg.Series('"a" <script>', (1,))], title="T <x>", desc="d & e")
    root = ET.fromstring(out)  # well-formed despite the markup in every text
    assert root.find(SVG + "title").text == "T <x>"
    assert "<script>" not in out and "&lt;script&gt;" in out
    with pytest.raises(ValueError, match="2 values for 1 labels"):
        svg.line_chart(["a"], [svg.Series("s", (1, 2))], title="t", desc="d")
    with pytest.raises(ValueError, match="negative"):
        svg.bar_chart(["a"], [svg.Series("s", (-1,))], title="t", desc="d")


def test_every_colour_has_4_5_to_1_contrast_on_its_background_light_and_dark():
    style = re.search(r"<style>(.*)</style>", svg.line_chart(["a"], [svg.Series("s", (1,))], title="t", desc="d")).group(1)
    light, _, dark = style.partition("@media (prefers-color-scheme: dark)")
    for block, bg in ((light, svg.BACKGROUND[0]), (dark, svg.BACKGROUND[1])):
        assert f".bg{{fill:{bg}}}" in block
        colours = set(re.findall(r"\.(?:tx|c\d)\{fill:(#[0-9a-f]{6})", block))
        assert len(colours) == len(svg.PALETTE) + 1
        for colour in colours:
            assert _contrast(colour, bg) >= 4.5, (colour, bg)


def test_nice_max_rounds_up_to_1_2_5():
    assert [svg.nice_max(v) for v in (0, 3, 7, 11, 20, 21, 499, 501)] == [5, 5, 10, 20, 20, 50, 500, 1000]


# ------------------------------------------------------------------ the command


def test_stats_command_prints_tables_and_the_same_figures_as_json(history, nl_dir):
    env = clean_env(LINKLETTER_DATABASE_URL=history.settings.database_url)

    def stats(*args: str, check: bool = True):
        return run_cli("--dir", str(nl_dir), "stats", *args, env=env, check=check)

    data = json.loads(stats("--json", "--weeks", "3").stdout)
    assert len(data["weeks"]) == 3 and data["weeks"][-1]["active"] == 7
    assert [i["number"] for i in data["issues"]] == [8, 7]
    assert data["issues"][0]["total_clicks"] == 3 and data["issues"][1]["clicks"] is None
    assert data["origins"][0] == {"source": "form", "detail": "", "subscribers": 6, "active": 2}
    text = stats().stdout
    assert "Subscribers per week" in text and "imported from old.csv" in text
    assert re.search(r"#7\s+6\s+5\s+1\s+1\s+2\s+0\s+0\s+-", text)
    one = stats("8").stdout
    assert "Clicks per link" in one and "https://example.com/b?x=1&y=2" in one
    missing = stats("9", check=False)
    assert missing.returncode == 1 and "issue 9 has not been sent" in missing.stderr
