"""Queries of the draft stage: picked links not yet placed in an issue, where they were placed,
and the issue rows that drafts are numbered after. Every function takes the session. (A link's
quotes: ``store/links.py``; creating an issue row: ``store/issues.py``.)"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, update
from sqlmodel import Session, select

from pipeline.models import Issue, Link

# SQLite allows 999 bound parameters per statement in old builds; stay well below.
_CHUNK = 500


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = list(ids)
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


def unplaced_picks(session: Session) -> list[Link]:
    """Picked links that no issue holds yet, in the order the author picked them.

    Why: state and issue_number are both indexed, so this reads only the few open picks.
    Ordered by the pick time (falling back to when the link was found for rows without one),
    then id, so the blocks land in a stable order on every run and on every database."""
    picked = func.coalesce(Link.picked_at, Link.created_at)
    stmt = (select(Link)
            .where(Link.state == "picked", Link.issue_number.is_(None))  # type: ignore[union-attr]
            .order_by(picked, Link.id))
    return list(session.exec(stmt))


def highest_issue_number(session: Session) -> int:
    """The highest issue number the database knows (0 when none).

    Why: an aggregate over the unique index on number; drafts are numbered after the
    highest of this and the files in drafts/, so a sent issue whose file was removed
    still keeps its number taken."""
    return session.exec(select(func.max(Issue.number))).one() or 0


def issue_statuses(session: Session, numbers: Iterable[int]) -> dict[int, str]:
    """number -> status of the issues with these numbers.

    Why: a draft file that still says 'draft' while its issue is already being sent (or
    sent) must not receive new picks; one query for all drafts in the folder."""
    out: dict[int, str] = {}
    for chunk in _chunks(numbers):
        for number, status in session.exec(select(Issue.number, Issue.status).where(Issue.number.in_(chunk))):  # type: ignore[attr-defined]
            out[number] = status
    return out


def mark_placed(session: Session, link_ids: Iterable[int], issue_number: int) -> int:
    """Record that these links are placed in issue ``issue_number``. Returns rows changed.

    Why: a set-based UPDATE guarded by ``issue_number IS NULL``, so a link placed by a
    concurrent run is never moved to another issue."""
    changed = 0
    for chunk in _chunks(link_ids):
        stmt = (update(Link)
                .where(Link.id.in_(chunk), Link.issue_number.is_(None))  # type: ignore[union-attr,attr-defined]
                .values(issue_number=issue_number))
        changed += session.execute(stmt).rowcount
    return changed
