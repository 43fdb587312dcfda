"""The figures: subscribers per week, per-issue send figures, where subscribers came from.
Plain frozen dataclasses, for the desk's pages, ``linkletter stats`` and its ``--json``.

What each number means:

- a week runs Monday 00:00 to Monday 00:00 UTC; the last one is the current week, so far;
- ``active``: subscribers confirmed before the week's end who had not left by then (left:
  unsubscribed at ``unsubscribed_at``; bounced or complained at their last bounce or complaint
  event). So ``active`` of a week is the week before's plus ``confirmed`` minus ``unsubscribed``,
  ``bounced`` and ``complained``, and the current week's is the number of active subscribers;
- per issue: ``recipients`` are its deliveries, ``delivered`` those the receiving server
  accepted, ``failed`` those refused or given up; bounces, complaints and unsubscribes are what
  came back naming the issue (mail_events); ``clicks`` the counters of its links (None when
  click counts are off and none were counted).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime, timedelta, timezone

from pipeline.store import stats as store

MAX_WEEKS = 520

# Delivery counts of issues whose send finished: they no longer change, and counting 100,000
# deliveries per issue on every page costs more than the rest of the figures together. Keyed
# by (database, issue id, sent_at), so a database or an issue sent again is counted anew.
_FINISHED: dict[tuple[str, int, str], dict[str, int]] = {}
_FINISHED_MAX = 4096


@dataclass(frozen=True)
class Week:
    start: date  # the Monday (UTC) the week begins on
    active: int  # at the week's end (for the current week: now)
    confirmed: int  # new confirmations in the week
    unsubscribed: int
    bounced: int
    complained: int


@dataclass(frozen=True)
class LinkClicks:
    index: int  # the link's place in the issue's HTML part (1 = first)
    url: str
    clicks: int


@dataclass(frozen=True)
class IssueFigures:
    number: int
    title: str
    status: str  # sending | sent
    started_at: datetime | None
    sent_at: datetime | None
    recipients: int
    delivered: int
    failed: int
    waiting: int  # queued or being sent
    hard_bounces: int
    soft_bounces: int
    complaints: int
    unsubscribes: int  # unsubscribed after this issue
    clicks: tuple[LinkClicks, ...] | None = None

    @property
    def total_clicks(self) -> int | None:
        return None if self.clicks is None else sum(c.clicks for c in self.clicks)


@dataclass(frozen=True)
class Origin:
    source: str  # form | import | cli (the consent record's source)
    detail: str  # form: the site page it was reached from ("" unknown); import: "imported from <file>"
    subscribers: int  # all of them, whatever their status
    active: int


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the week ``moment`` falls in."""
    moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


def subscriber_weeks(nl, weeks: int = 26, *, now: datetime | None = None) -> list[Week]:
    """The last ``weeks`` weeks (oldest first, the current one last). ``now`` stands in for
    the clock in tests."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}, got {weeks}")
    first = week_start(now or datetime.now(timezone.utc)) - timedelta(weeks=weeks - 1)
    bounds = [first + timedelta(weeks=k) for k in range(weeks + 1)]
    with nl.engine.connect() as conn:
        confirmed = store.confirmations_by_week(conn, bounds)
        unsubscribed = store.unsubscribes_by_week(conn, bounds)
        removed = store.removals(conn)
    gone: dict[tuple[int, str], int] = {}
    for status, at in removed:  # a removal without any time counts before the window
        at = _aware(at)
        w = -1 if at is None or at < first else (at - first).days // 7
        gone[(w, status)] = gone.get((w, status), 0) + 1
    for w, n in unsubscribed.items():
        gone[(w, "unsubscribed")] = n
    active = confirmed.get(-1, 0) - sum(n for (w, _s), n in gone.items() if w == -1)
    out = []
    for i in range(weeks):
        left = {s: gone.get((i, s), 0) for s in store.LEFT}
        active += confirmed.get(i, 0) - sum(left.values())
        out.append(Week(start=(first + timedelta(weeks=i)).date(), active=active, confirmed=confirmed.get(i, 0),
                        unsubscribed=left["unsubscribed"], bounced=left["bounced"], complained=left["complained"]))
    return out


def issue_figures(nl, number: int | None = None, *, limit: int = 52) -> list[IssueFigures]:
    """Send figures of every issue whose send began (newest first, at most ``limit``), or of
    issue ``number`` only (an empty list when it was never sent)."""
    with nl.engine.connect() as conn:
        issues = store.sent_issues(conn, number, limit)
        numbers = [r["number"] for r in issues]
        states = _delivery_states(nl, conn, issues)
        events = store.event_kinds(conn, numbers)
        clicks = store.clicks_of(conn, numbers)
    enabled = bool(getattr(nl.settings, "click_counts", False))
    out = []
    for r in issues:
        st, ev, cl = states[r["id"]], events[r["number"]], clicks[r["number"]]
        out.append(IssueFigures(
            number=r["number"], title=r["title"] or r["subject"] or "", status=r["status"],
            started_at=_aware(r["send_started_at"]), sent_at=_aware(r["sent_at"]),
            recipients=sum(st.values()), delivered=st.get("sent", 0), failed=st.get("failed", 0),
            waiting=st.get("queued", 0) + st.get("sending", 0), hard_bounces=ev.get("hard_bounce", 0),
            soft_bounces=ev.get("soft_bounce", 0), complaints=ev.get("complaint", 0),
            unsubscribes=ev.get("unsubscribe", 0),
            clicks=tuple(LinkClicks(i, u, n) for i, u, n in cl) if (enabled or cl) else None))
    return out


def _delivery_states(nl, conn, issues: list[dict]) -> dict[int, dict[str, int]]:
    db = str(nl.engine.url)
    key = {r["id"]: (db, r["id"], str(r["sent_at"])) for r in issues if r["status"] == "sent" and r["sent_at"]}
    out = {i: _FINISHED[k] for i, k in key.items() if k in _FINISHED}
    missing = [r["id"] for r in issues if r["id"] not in out]
    counted = store.delivery_states(conn, missing)
    if len(_FINISHED) > _FINISHED_MAX:
        _FINISHED.clear()
    for i, counts in counted.items():
        if i in key:
            _FINISHED[key[i]] = counts
    return {**out, **counted}


def subscriber_origins(nl) -> list[Origin]:
    """Where subscribers came from: the subscribe form (by the site page that led to it), each
    import (by file), the command line; most subscribers first."""
    with nl.engine.connect() as conn:
        rows = store.origins(conn)
    totals: dict[tuple[str, str], list[int]] = {}
    for source, detail, status, n in rows:
        t = totals.setdefault((source, detail), [0, 0])
        t[0] += n
        if status == "active":
            t[1] += n
    return sorted((Origin(s, d, n, a) for (s, d), (n, a) in totals.items()),
                  key=lambda o: (-o.subscribers, o.source, o.detail))


def as_json(value):
    """Figures as JSON-ready values (dates and times in ISO 8601)."""
    if is_dataclass(value):
        d = asdict(value)
        if isinstance(value, IssueFigures):
            d["total_clicks"] = value.total_clicks
        return {k: as_json(v) for k, v in d.items()}
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
