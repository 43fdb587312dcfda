"""Queries on ``mail_events``: what came back for a mail (bounces, complaints, unsubscribes,
auto-replies). Functions take a Session or a Connection; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, desc, func, or_, select

from pipeline.models import Delivery, Issue, MailEvent
from pipeline.store.issues import _insert_for, dialect

E = MailEvent.__table__
D = Delivery.__table__
I = Issue.__table__


def insert_event(conn, values: dict) -> int | None:
    # INSERT ... ON CONFLICT (event_key) DO NOTHING RETURNING id: the same DSN read twice (an IMAP
    # connection dropped after the fetch, an MTA retrying the pipe, a webhook redelivered) is one
    # row, decided by the unique index in one statement, so two readers at once can't both count it.
    stmt = (_insert_for(dialect(conn))(E).values(**values)
            .on_conflict_do_nothing(index_elements=["event_key"]).returning(E.c.id))
    return conn.execute(stmt).scalar()


def count_kind_since(conn, subscriber_id: int, kind: str, since: datetime) -> int:
    # The soft-bounce rule: over the (subscriber_id, kind) index, then the few rows by time.
    return conn.execute(select(func.count()).select_from(E).where(
        and_(E.c.subscriber_id == subscriber_id, E.c.kind == kind, E.c.created_at >= since))).scalar_one()


def last_event_at(conn, subscriber_id: int, kind: str, source: str) -> datetime | None:
    # When the author last reactivated this subscriber (bounces before it no longer count).
    return conn.execute(select(func.max(E.c.created_at)).where(
        and_(E.c.subscriber_id == subscriber_id, E.c.kind == kind, E.c.source == source))).scalar_one()


def events_of_subscriber(conn, subscriber_id: int, email: str, limit: int = 200) -> list[dict]:
    # `subscribers show`: newest first; events that named the address but no subscriber too.
    q = (select(E).where(or_(E.c.subscriber_id == subscriber_id, and_(E.c.subscriber_id.is_(None), E.c.address == email)))
         .order_by(desc(E.c.created_at), desc(E.c.id)).limit(limit))
    return [dict(r) for r in conn.execute(q).mappings()]


def counts_for_issue(conn, issue_number: int) -> dict[str, int]:
    # `status N`: one GROUP BY over the issue_number index.
    rows = conn.execute(select(E.c.kind, func.count()).where(E.c.issue_number == issue_number).group_by(E.c.kind))
    return {k: n for k, n in rows}


def kinds_by_subscriber(conn, kinds: tuple[str, ...]) -> dict[int, dict[str, int]]:
    # `subscribers export`: per subscriber, how many events of each kind (one GROUP BY, not one
    # query per exported row).
    rows = conn.execute(select(E.c.subscriber_id, E.c.kind, func.count())
                        .where(and_(E.c.subscriber_id.is_not(None), E.c.kind.in_(kinds)))
                        .group_by(E.c.subscriber_id, E.c.kind))
    out: dict[int, dict[str, int]] = {}
    for sid, kind, n in rows:
        out.setdefault(sid, {})[kind] = n
    return out


def delivery_target(conn, delivery_id: int) -> tuple[int, int] | None:
    # A VERP tag names a delivery: whose it was and of which issue (by primary key).
    row = conn.execute(select(D.c.subscriber_id, I.c.number).select_from(D.join(I, I.c.id == D.c.issue_id))
                       .where(D.c.id == delivery_id)).first()
    return (row[0], row[1]) if row else None


def delivery_of(conn, issue_number: int, subscriber_id: int) -> int | None:
    # A complaint or webhook naming our Message-ID (issue, subscriber): which delivery it was.
    return conn.execute(select(D.c.id).select_from(D.join(I, I.c.id == D.c.issue_id))
                        .where(and_(I.c.number == issue_number, D.c.subscriber_id == subscriber_id))).scalar()


def latest_issue_sent_to(conn, subscriber_id: int) -> int | None:
    # "Unsubscribed after this issue": the last issue this person was sent (a web link carries
    # no issue). Over the deliveries' subscriber_id index.
    return conn.execute(select(I.c.number).select_from(D.join(I, I.c.id == D.c.issue_id))
                        .where(and_(D.c.subscriber_id == subscriber_id, D.c.state == "sent"))
                        .order_by(desc(D.c.sent_at), desc(D.c.id)).limit(1)).scalar()


def delete_events_of(conn, subscriber_id: int, email: str) -> None:
    # Erasure: the events name the person (their address, their raw reasons).
    conn.execute(delete(E).where(or_(E.c.subscriber_id == subscriber_id, E.c.address == email)))
