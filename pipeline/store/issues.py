"""Queries about issues: the issue row of a draft, its frozen content, and its send lease.

Each function takes a Session or Connection (``conn``) and leaves committing to the caller.
Conditions that must hold at the moment of writing (who holds the lease, whether the content is
frozen yet) are in the ``WHERE`` of one ``UPDATE``, so two processes can't both win.
"""

from __future__ import annotations

from pathlib import Path

from datetime import datetime

from sqlalchemy import and_, or_, select, update

from pipeline.models import Delivery, Issue, utcnow
from pipeline.states import IssueStatus

I = Issue.__table__
D = Delivery.__table__


def issue_by_number(conn, number: int):
    # The draft's 'issue' number is the stable key (unique): a renamed draft file is the same issue.
    return conn.execute(select(I).where(I.c.number == number)).mappings().first()


def issue_by_id(conn, issue_id: int):
    # By primary key: workers reread status and lease while they run.
    return conn.execute(select(I).where(I.c.id == issue_id)).mappings().first()


def ensure_issue(conn, *, number: int, slug: str, title: str, subject: str, draft_path: str) -> int:
    # Insert-if-missing in one statement (ON CONFLICT on the unique number), so two processes
    # starting the same send at once end up with one row; then read its id.
    dialect_insert = _insert_for(dialect(conn))
    stmt = dialect_insert(I).values(number=number, slug=slug, title=title, subject=subject, draft_path=draft_path,
                                    status=IssueStatus.DRAFT.value, created_at=utcnow())
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["number"]))
    return conn.execute(select(I.c.id).where(I.c.number == number)).scalar_one()


def dialect(conn) -> str:
    """'sqlite' or 'postgresql': the few queries that differ ask this."""
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn.engine
    return bind.dialect.name


def _insert_for(name: str):
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def acquire_lease(conn, issue_id: int, owner: str, now: datetime, until: datetime, *, take_from: str | None = None) -> bool:
    # One conditional UPDATE: the lease is taken only if it is free, expired, already ours,
    # or held by ``take_from`` (an owner we found dead). The row count says who won.
    free = or_(I.c.lease_owner.is_(None), I.c.lease_expires_at.is_(None), I.c.lease_expires_at < now,
               I.c.lease_owner == owner)
    if take_from:
        free = or_(free, I.c.lease_owner == take_from)
    res = conn.execute(update(I).where(and_(I.c.id == issue_id, free))
                       .values(lease_owner=owner, lease_expires_at=until))
    return res.rowcount == 1


def renew_lease(conn, issue_id: int, owner: str, until: datetime) -> bool:
    # Renew only while we still hold it; False means another process took it over.
    res = conn.execute(update(I).where(and_(I.c.id == issue_id, I.c.lease_owner == owner))
                       .values(lease_expires_at=until))
    return res.rowcount == 1


def release_lease(conn, issue_id: int, owner: str) -> None:
    # Only our own lease; someone who took it over keeps theirs.
    conn.execute(update(I).where(and_(I.c.id == issue_id, I.c.lease_owner == owner))
                 .values(lease_owner=None, lease_expires_at=None))


def freeze_issue(conn, issue_id: int, owner: str, *, html: str, text: str, mime: bytes, subject: str,
                 title: str, started_at: datetime, snapshot: str | None = None) -> bool:
    # Freeze once: only while not yet started and only by the lease holder. A resumed send
    # keeps the content of the first run, whatever happened to the draft since.
    res = conn.execute(update(I).where(and_(I.c.id == issue_id, I.c.send_started_at.is_(None),
                                            I.c.lease_owner == owner))
                       .values(frozen_html=html, frozen_text=text, frozen_mime=mime, subject=subject, title=title,
                               snapshot=snapshot, send_started_at=started_at, status=IssueStatus.SENDING.value))
    return res.rowcount == 1


def mark_issue_sent(conn, issue_id: int, sent_at: datetime) -> None:
    # Idempotent: the first finisher sets sent_at; a later one (e.g. after --include-new) keeps it.
    conn.execute(update(I).where(and_(I.c.id == issue_id, I.c.sent_at.is_(None))).values(sent_at=sent_at))
    conn.execute(update(I).where(I.c.id == issue_id).values(status=IssueStatus.SENT.value, lease_owner=None, lease_expires_at=None))


def latest_sending_issue(conn):
    # For 'linkletter status' without a draft: the issue most recently started.
    return conn.execute(select(I).where(I.c.send_started_at.is_not(None))
                        .order_by(I.c.send_started_at.desc(), I.c.id.desc()).limit(1)).mappings().first()


def started_issue_numbers(conn, limit: int = 50) -> list[int]:
    # The desk's send results: the issues whose send began, newest first (a short list).
    return list(conn.execute(select(I.c.number).where(I.c.send_started_at.is_not(None))
                             .order_by(I.c.send_started_at.desc(), I.c.id.desc()).limit(limit)).scalars())


def issue_numbers(conn) -> set[int]:
    # every number an issue row holds (a draft assembled, a send, a sent or imported issue)
    return set(conn.execute(select(I.c.number)).scalars())


def sent_draft_names(conn) -> set[str]:
    # File names, not paths: the draft path is stored as given (relative by the assembler,
    # absolute by a send), and a draft folder may have moved since.
    rows = conn.execute(select(I.c.draft_path).where(I.c.status == IssueStatus.SENT.value)).scalars()
    return {Path(p).name for p in rows if p}


def frozen_issues(conn) -> dict[int, dict]:
    # number -> the frozen body (html, text), title and snapshot of every issue whose send began:
    # what the archive shows for a sent issue.
    rows = conn.execute(select(I.c.id, I.c.number, I.c.title, I.c.frozen_html, I.c.frozen_text, I.c.snapshot)
                        .where(and_(I.c.send_started_at.is_not(None), I.c.frozen_html.is_not(None)))).mappings()
    return {r["number"]: dict(r) for r in rows}


def correct_frozen(conn, issue_id: int, *, html: str, text: str, title: str, snapshot: str) -> bool:
    # A recorded correction of a sent issue's archive: the new body, and the snapshot JSON with
    # the correction appended. Only an issue whose send began has anything to correct.
    res = conn.execute(update(I).where(and_(I.c.id == issue_id, I.c.send_started_at.is_not(None)))
                       .values(frozen_html=html, frozen_text=text, title=title, snapshot=snapshot))
    return res.rowcount == 1
