"""Queries about what came back and what the author was told: webhook receipts (one row per
provider event key, so a repeated event counts once) and the author's notices (one per issue
and reason).

Each function takes a Connection (``conn``) and leaves committing to the caller. "Record once"
is one ``INSERT ... ON CONFLICT DO NOTHING`` on the unique key: two processes receiving the
same event at once can't both count it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, select

from pipeline.models import AuthorNotice, Issue, WebhookReceipt, utcnow
from pipeline.store.issues import _insert_for, dialect

R = WebhookReceipt.__table__
N = AuthorNotice.__table__
I = Issue.__table__


def record_receipt(conn, provider: str, key: str) -> bool:
    # True only for the first delivery of this key: the caller acts on the event only then.
    # (RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here)
    stmt = _insert_for(dialect(conn))(R).values(provider=provider, key=key[:500], received_at=utcnow())
    return conn.execute(stmt.on_conflict_do_nothing(index_elements=["provider", "key"]).returning(R.c.id)).first() is not None


def forget_receipts_before(conn, before: datetime) -> int:
    # Replay keys older than the accepted age are refused by their timestamp anyway: the table
    # stays as small as a day's or an hour's traffic.
    return conn.execute(delete(R).where(R.c.received_at < before)).rowcount


def forget_receipt(conn, provider: str, key: str) -> None:
    # A call whose events could not be stored: its retry must not look like a replay.
    conn.execute(delete(R).where(R.c.provider == provider, R.c.key == key[:500]))


def record_notice(conn, issue_number: int, reason: str) -> bool:
    # True only the first time: the author hears about each reason once per issue.
    stmt = _insert_for(dialect(conn))(N).values(issue_number=issue_number, reason=reason, sent_at=utcnow())
    return conn.execute(stmt.on_conflict_do_nothing(index_elements=["issue_number", "reason"]).returning(N.c.id)).first() is not None


def forget_notice(conn, issue_number: int, reason: str) -> None:
    # A notice whose mail could not be sent is tried again at the next run.
    conn.execute(delete(N).where(N.c.issue_number == issue_number, N.c.reason == reason))


def issues_sent_since(conn, since: datetime) -> list[tuple[int, int]]:
    # (id, number) of the issues whose send started since then: complaints and bounces for them
    # may still be coming in (a handful of rows; send_started_at is set once per issue).
    rows = conn.execute(select(I.c.id, I.c.number).where(and_(I.c.send_started_at.is_not(None),
                                                               I.c.send_started_at >= since)))
    return [(r[0], r[1]) for r in rows]
