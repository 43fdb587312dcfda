"""Queries of the check before send: the stored links a draft cites, and which of its URLs an
earlier issue already featured. Read-only: a check never changes the database."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import or_
from sqlmodel import Session, select

from pipeline.models import Issue, Link
from pipeline.states import IssueStatus


def links_by_urls(session: Session, urls: Iterable[str]) -> list[Link]:
    # One query for all of a draft's URLs (as written and canonicalized), matched against both
    # columns: the author may paste the URL a reader shared (links.url) or a normalized one
    # (links.canonical_url, unique and indexed). A draft cites a few dozen URLs, so IN is fine.
    urls = sorted({u for u in urls if u})
    if not urls:
        return []
    return list(session.exec(select(Link).where(or_(Link.url.in_(urls), Link.canonical_url.in_(urls)))))


def links_featured_before(session: Session, urls: Iterable[str], issue_number: int) -> list[Link]:
    # Links placed in a *sent* issue numbered below this one (issue_number is set by the draft
    # assembler and indexed). Only sent issues count: a draft renumbered by hand (issue 1 became
    # 27) leaves its links placed under a number no reader ever got. The same URL placed in
    # this issue is its own, not a repeat.
    urls = sorted({u for u in urls if u})
    if not urls:
        return []
    sent = select(Issue.number).where(Issue.status == IssueStatus.SENT)
    return list(session.exec(
        select(Link)
        .where(Link.issue_number.is_not(None), Link.issue_number < issue_number,
               Link.issue_number.in_(sent))
        .where(or_(Link.url.in_(urls), Link.canonical_url.in_(urls)))
        .order_by(Link.issue_number)
    ))
