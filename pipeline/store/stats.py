"""Aggregate queries for the numbers (``pipeline.stats``): subscribers per week, per-issue
send figures, where subscribers came from, and the click counters. Every query is one
aggregate over an index; nothing loads subscriber rows into Python, so the desk's pages stay
fast with 100,000 subscribers. Functions take a Connection; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, desc, func, or_, select
from sqlalchemy import text as sql_text

from pipeline.models import ClickCount, Delivery, Issue, MailEvent, Subscriber
from pipeline.store.issues import _insert_for, dialect

S = Subscriber.__table__
D = Delivery.__table__
I = Issue.__table__
E = MailEvent.__table__
C = ClickCount.__table__

LEFT = ("unsubscribed", "bounced", "complained")
LEAVING_EVENTS = ("hard_bounce", "soft_bounce", "complaint")


def _per_week(conn, column, where, bounds: list[datetime], *, nulls_before: bool = False) -> dict[int, int]:
    # Rows per week (-1: before bounds[0], and with ``nulls_before`` those with no time): one
    # statement of one count per week, each an index range (seven times faster in SQLite than
    # computing every row's week and grouping; the same SQL on PostgreSQL).
    counts = [select(func.count()).where(and_(where, column < bounds[0])).scalar_subquery()]
    counts += [select(func.count()).where(and_(where, column >= lo, column < hi)).scalar_subquery()
               for lo, hi in zip(bounds, bounds[1:])]
    if nulls_before:
        counts.append(select(func.count()).where(and_(where, column.is_(None))).scalar_subquery())
    row = list(conn.execute(select(*counts)).one())
    if nulls_before:
        row[0] += row.pop()
    return {i - 1: n for i, n in enumerate(row)}


def confirmations_by_week(conn, bounds: list[datetime]) -> dict[int, int]:
    # Over ix_subscribers_confirmed_at (never-confirmed rows are left out, not "before").
    return _per_week(conn, S.c.confirmed_at, S.c.confirmed_at.is_not(None), bounds)


def unsubscribes_by_week(conn, bounds: list[datetime]) -> dict[int, int]:
    # Confirmed subscribers who unsubscribed, by unsubscribed_at: ranges of the index
    # ix_subscribers_left (status, unsubscribed_at, confirmed_at), read from the index alone.
    return _per_week(conn, S.c.unsubscribed_at, and_(S.c.status == "unsubscribed", S.c.confirmed_at.is_not(None)),
                     bounds, nulls_before=True)


def removals(conn) -> list[tuple[str, datetime | None]]:
    # (status, when) of every confirmed subscriber who bounced or complained: the subscriber
    # row keeps no time for those, their last bounce or complaint event does (joined over the
    # (subscriber_id, kind) index). Few rows: the suppressed are a small share of a list.
    last = (select(func.max(E.c.created_at)).where(and_(E.c.subscriber_id == S.c.id, E.c.kind.in_(LEAVING_EVENTS)))
            .correlate(S).scalar_subquery())
    q = select(S.c.status, last).where(and_(S.c.status.in_(("bounced", "complained")), S.c.confirmed_at.is_not(None)))
    return [(status, at) for status, at in conn.execute(q)]


def sent_issues(conn, number: int | None = None, limit: int = 52) -> list[dict]:
    # Issues whose send began, newest first (over the unique number index).
    q = select(I.c.id, I.c.number, I.c.title, I.c.subject, I.c.status, I.c.send_started_at, I.c.sent_at).where(
        I.c.send_started_at.is_not(None))
    if number is not None:
        q = q.where(I.c.number == number)
    return [dict(r) for r in conn.execute(q.order_by(desc(I.c.number)).limit(limit)).mappings()]


def _counts(conn, key, kind, keys: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {k: {} for k in keys}
    if keys:
        for k, what, n in conn.execute(select(key, kind, func.count()).where(key.in_(keys)).group_by(key, kind)):
            out[k][what] = n
    return out


def delivery_states(conn, issue_ids: list[int]) -> dict[int, dict[str, int]]:
    # Deliveries per (issue, state): a GROUP BY over the (issue_id, state) index, read from
    # the index alone (it covers both columns).
    return _counts(conn, D.c.issue_id, D.c.state, issue_ids)


def event_kinds(conn, numbers: list[int]) -> dict[int, dict[str, int]]:
    # What came back, per (issue, kind), over the issue_number index of mail_events.
    return _counts(conn, E.c.issue_number, E.c.kind, numbers)


def origins(conn) -> list[tuple[str, str, str, int]]:
    # (consent source, detail, status, count). The detail: for the form, the site page it was
    # reached from (consent_page); for imports, which one (an import records "imported from
    # <file>" as the consent text), a second GROUP BY over the partial
    # index of imported rows. Each query reads its partial index (ix_subscribers_origin: not
    # imported, ix_subscribers_import_origin: imported), never the rows with their addresses.
    # The conditions are SQL text, not parameters: SQLite uses a partial index only for a
    # WHERE it can match when the statement is prepared.
    rows = [(src, page or "", status, n) for src, page, status, n in conn.execute(
        select(S.c.consent_source, S.c.consent_page, S.c.status, func.count())
        .where(sql_text("consent_source != 'import'")).group_by(S.c.consent_source, S.c.consent_page, S.c.status))]
    rows += [("import", text or "", status, n) for text, status, n in conn.execute(
        select(S.c.consent_text, S.c.status, func.count()).where(sql_text("consent_source = 'import'"))
        .group_by(S.c.consent_text, S.c.status))]
    return rows


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


__all__ = ["confirmations_by_week", "unsubscribes_by_week", "removals", "sent_issues", "delivery_states", "event_kinds", "origins",
           "count_click", "clicks_of"]
