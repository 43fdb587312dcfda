"""Aggregate queries for the numbers (``pipeline.stats``): subscribers per week, per-issue
send figures, where subscribers came from, and the click counters. Every query is one
aggregate over an index; nothing loads subscriber rows into Python, so the desk's pages stay
fast with 100,000 subscribers. Functions take a Connection; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, desc, func, literal, select

from pipeline.models import ClickCount, Delivery, Issue, MailEvent, Subscriber
from pipeline.store.issues import _insert_for, dialect

S = Subscriber.__table__
D = Delivery.__table__
I = Issue.__table__
E = MailEvent.__table__
C = ClickCount.__table__

LEFT = ("unsubscribed", "bounced", "complained")
LEAVING_EVENTS = ("hard_bounce", "soft_bounce", "complaint")


def _bucket(column, bounds: list[datetime]):
    # The week a time falls in, as 0..len(bounds)-2, -1 before the first bound: a CASE over
    # bound parameters, the same SQL on SQLite and PostgreSQL (no date functions to differ).
    whens = [(column < b, i - 1) for i, b in enumerate(bounds)]
    return case(*whens, else_=len(bounds) - 1)


def confirmations_by_week(conn, bounds: list[datetime]) -> dict[int, int]:
    # Confirmations per week (-1: before the window, which the active line starts from). One
    # pass over confirmed_at (index ix_subscribers_confirmed_at); a later week's bucket
    # (len(bounds)-1) holds confirmations after the window's end, which the caller ignores.
    b = _bucket(S.c.confirmed_at, bounds).label("b")
    rows = conn.execute(select(b, func.count()).where(S.c.confirmed_at.is_not(None)).group_by(b))
    return {k: n for k, n in rows}


def departures_by_week(conn, bounds: list[datetime]) -> dict[tuple[int, str], int]:
    # Confirmed subscribers who left, per (week, status): the unsubscribed by unsubscribed_at,
    # the bounced and complained by their last bounce or complaint event (over the
    # (subscriber_id, kind) index; the subscriber row keeps no time for those). A departure
    # without any time counts before the window. Over the status index: only those who left.
    last_event = (select(func.max(E.c.created_at))
                  .where(and_(E.c.subscriber_id == S.c.id, E.c.kind.in_(LEAVING_EVENTS)))
                  .correlate(S).scalar_subquery())
    left_at = case((S.c.status == "unsubscribed", S.c.unsubscribed_at), else_=last_event)
    inner = (select(S.c.status.label("status"), left_at.label("left_at"))
             .where(and_(S.c.status.in_(LEFT), S.c.confirmed_at.is_not(None))).subquery())
    b = case((inner.c.left_at.is_(None), -1), else_=_bucket(inner.c.left_at, bounds)).label("b")
    rows = conn.execute(select(b, inner.c.status, func.count()).group_by(b, inner.c.status))
    return {(k, status): n for k, status, n in rows}


def sent_issues(conn, number: int | None = None, limit: int = 52) -> list[dict]:
    # Issues whose send began, newest first (over the unique number index).
    q = select(I.c.id, I.c.number, I.c.title, I.c.subject, I.c.status, I.c.send_started_at, I.c.sent_at).where(
        I.c.send_started_at.is_not(None))
    if number is not None:
        q = q.where(I.c.number == number)
    return [dict(r) for r in conn.execute(q.order_by(desc(I.c.number)).limit(limit)).mappings()]


def delivery_states(conn, issue_ids: list[int]) -> dict[int, dict[str, int]]:
    # Deliveries per (issue, state): a GROUP BY over the (issue_id, state) index, read from
    # the index alone (it covers both columns).
    out: dict[int, dict[str, int]] = {i: {} for i in issue_ids}
    if not issue_ids:
        return out
    rows = conn.execute(select(D.c.issue_id, D.c.state, func.count()).where(D.c.issue_id.in_(issue_ids))
                        .group_by(D.c.issue_id, D.c.state))
    for issue_id, state, n in rows:
        out[issue_id][state] = n
    return out


def event_kinds(conn, numbers: list[int]) -> dict[int, dict[str, int]]:
    # What came back, per (issue, kind), over the issue_number index of mail_events.
    out: dict[int, dict[str, int]] = {n: {} for n in numbers}
    if not numbers:
        return out
    rows = conn.execute(select(E.c.issue_number, E.c.kind, func.count()).where(E.c.issue_number.in_(numbers))
                        .group_by(E.c.issue_number, E.c.kind))
    for number, kind, n in rows:
        out[number][kind] = n
    return out


def origins(conn) -> list[tuple[str, str, str, int]]:
    # (consent source, detail, status, count). The detail is what tells imports apart (the
    # import records "imported from <file>" as the consent text); a form's consent text is
    # the same sentence for everybody, so forms and the CLI group by source alone.
    detail = case((S.c.consent_source == "import", func.coalesce(S.c.consent_text, "")), else_=literal(""))
    d = detail.label("detail")
    rows = conn.execute(select(S.c.consent_source, d, S.c.status, func.count())
                        .group_by(S.c.consent_source, d, S.c.status))
    return [(src, det or "", status, n) for src, det, status, n in rows]


# ------------------------------------------------------------------ click counters


def count_click(conn, issue_number: int, url_hash: str, url: str, link_index: int) -> None:
    # One counter per (issue, link), raised in one statement: INSERT ... ON CONFLICT DO UPDATE.
    # No row per click, nothing about who clicked or when.
    ins = _insert_for(dialect(conn))(C).values(issue_number=issue_number, url_hash=url_hash, url=url,
                                               link_index=link_index, clicks=1)
    conn.execute(ins.on_conflict_do_update(index_elements=["issue_number", "url_hash"],
                                           set_={"clicks": C.c.clicks + 1}))


def clicks_of(conn, numbers: list[int]) -> dict[int, list[tuple[int, str, int]]]:
    # Per issue: (link index, url, clicks), in the issue's link order (unique index).
    out: dict[int, list[tuple[int, str, int]]] = {n: [] for n in numbers}
    if not numbers:
        return out
    rows = conn.execute(select(C.c.issue_number, C.c.link_index, C.c.url, C.c.clicks)
                        .where(C.c.issue_number.in_(numbers)).order_by(C.c.issue_number, C.c.link_index, C.c.url))
    for number, index, url, n in rows:
        out[number].append((index, url, n))
    return out


__all__ = ["confirmations_by_week", "departures_by_week", "sent_issues", "delivery_states", "event_kinds", "origins",
           "count_click", "clicks_of"]
