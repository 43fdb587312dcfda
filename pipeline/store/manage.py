"""Queries of managing what was collected: listing links page by page, changing their state,
and editing a link's quotes and notes (``pipeline/collect/manage.py``). Every function takes
the session it works in."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from pipeline.models import Issue, Link, Quote, Source
from pipeline.states import IssueStatus


def sent_issue_numbers(s: Session) -> set[int]:
    # the numbers of sent issues: few rows, through the index on status
    return set(s.exec(select(Issue.number).where(Issue.status == IssueStatus.SENT)))


def issue_status(s: Session, number: int) -> str | None:
    # one row through the unique index on number
    return s.exec(select(Issue.status).where(Issue.number == number)).first()


def page_of_links(s: Session, *, state: str | None = None, source_id: int | None = None,
                  hide_sent: bool = False, limit: int | None = None, offset: int = 0,
                  before_id: int | None = None, newest_first: bool = False) -> list[Link]:
    # A page of links for a listing: filters on indexed columns (state, source_id, issue_number);
    # ``before_id`` is an id cursor (a desk scrolling back in time does not re-read skipped rows
    # the way OFFSET does). Sent issues are excluded with a subquery on the few sent numbers.
    q = select(Link)
    if state is not None:
        q = q.where(Link.state == state)
    if source_id is not None:
        q = q.where(Link.source_id == source_id)
    if before_id is not None:
        q = q.where(Link.id < before_id)
    if hide_sent:
        sent = select(Issue.number).where(Issue.status == IssueStatus.SENT)
        q = q.where(or_(Link.issue_number.is_(None), Link.issue_number.not_in(sent)))  # type: ignore[union-attr]
    q = q.order_by(Link.id.desc() if newest_first or before_id is not None else Link.id)  # type: ignore[union-attr]
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(s.exec(q))


def set_state(s: Session, ids: Sequence[int], state: str, *, clear_pick: bool = False) -> int:
    # one UPDATE for all ids; un-picking forgets when the link was picked, so a later pick
    # puts it at the end of the next draft again
    values: dict = {"state": state}
    if clear_pick:
        values["picked_at"] = None
    return s.execute(update(Link).where(Link.id.in_(list(ids))).values(**values)).rowcount  # type: ignore[union-attr]


def get_quote(s: Session, quote_id: int) -> Quote | None:
    # by primary key
    return s.get(Quote, quote_id)


def delete_quote(s: Session, quote: Quote) -> None:
    s.delete(quote)
    s.flush()


def set_positions(s: Session, order: Sequence[int]) -> None:
    # one UPDATE per quote of one link: a link has a handful of quotes
    for position, quote_id in enumerate(order):
        s.execute(update(Quote).where(Quote.id == quote_id).values(position=position))


def next_position(s: Session, link_id: int) -> int | None:
    # a quote added after the author ordered the others goes last; NULL while none is ordered
    top = s.exec(select(func.max(Quote.position)).where(Quote.link_id == link_id)).one()
    return None if top is None else top + 1


def source_of(s: Session, source_id: int | None) -> Source | None:
    return s.get(Source, source_id) if source_id is not None else None


def quote_issues(s: Session, link_id: int) -> list[int]:
    # every issue one of the link's quotes went into, in order
    q = select(Quote.issue_number).where(Quote.link_id == link_id, Quote.issue_number.is_not(None)).distinct()  # type: ignore[union-attr]
    return sorted(n for n in s.exec(q) if n is not None)


def pending_quotes_of_placed_links(s: Session) -> list[Quote]:
    # Quotes not yet written into a draft whose link already was (a quote taken after the
    # draft was assembled); issue_number is indexed on both tables, so this reads only those.
    q = (select(Quote).join(Link, Link.id == Quote.link_id)
         .where(Quote.issue_number.is_(None), Link.issue_number.is_not(None))  # type: ignore[union-attr]
         .order_by(Quote.link_id, Quote.position.is_(None), Quote.position, Quote.id))  # type: ignore[union-attr]
    return list(s.exec(q))


def placed_in_unsent(s: Session) -> list[Link]:
    # Links placed in an issue not sent: a few dozen (the open and ready drafts), through the
    # index on issue_number; a renumbered draft's links are among them
    sent = select(Issue.number).where(Issue.status == IssueStatus.SENT)
    return list(s.exec(select(Link).where(Link.issue_number.is_not(None),  # type: ignore[union-attr]
                                          Link.issue_number.not_in(sent))))  # type: ignore[union-attr]


def move_placement(s: Session, link_id: int, old: int, new: int) -> None:
    # the link and its quotes placed in ``old`` now count as placed in ``new`` (the draft was
    # renumbered); guarded by the old number, so a concurrent change is not overwritten
    s.execute(update(Link).where(Link.id == link_id, Link.issue_number == old).values(issue_number=new))
    s.execute(update(Quote).where(Quote.link_id == link_id, Quote.issue_number == old).values(issue_number=new))


def mark_quotes_placed(s: Session, quote_ids: Sequence[int], issue_number: int) -> int:
    # guarded by issue_number IS NULL: a quote placed by a concurrent run keeps its issue
    changed = 0
    ids = list(quote_ids)
    for i in range(0, len(ids), 500):
        changed += s.execute(update(Quote).where(Quote.id.in_(ids[i:i + 500]), Quote.issue_number.is_(None))  # type: ignore[union-attr]
                             .values(issue_number=issue_number)).rowcount
    return changed
