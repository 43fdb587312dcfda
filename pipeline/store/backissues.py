"""Queries of the archive import: an earlier issue recorded as sent, and its links and quotes
registered so the repeat-link check knows them. Every function takes the session."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import update
from sqlmodel import Session, select

from pipeline.models import Issue, Link, Quote
from pipeline.states import IssueStatus, LinkState


def record_sent_issue(s: Session, *, number: int, slug: str, title: str, draft_path: str, sent_at: datetime) -> None:
    # An imported issue is a sent issue without deliveries: a row exists or is made, and it is
    # marked sent at its original date. A row of this number in another state (a draft being
    # written, a send) is refused before this runs (plan.py), so this only creates or repeats.
    issue = s.exec(select(Issue).where(Issue.number == number)).first()
    if issue is None:
        s.add(Issue(number=number, slug=slug, title=title, subject=title, draft_path=draft_path,
                    status=IssueStatus.SENT.value, sent_at=sent_at, send_started_at=sent_at))
    elif issue.status != IssueStatus.SENT:
        s.execute(update(Issue).where(Issue.id == issue.id)
                  .values(status=IssueStatus.SENT.value, sent_at=sent_at, title=title, draft_path=draft_path))


def links_by_canonical_urls(s: Session, canonical_urls: Sequence[str]) -> dict[str, Link]:
    # the links of an issue that the database knows already, in chunks of 500 (bound parameters)
    out: dict[str, Link] = {}
    urls = sorted(set(canonical_urls))
    for i in range(0, len(urls), 500):
        for link in s.exec(select(Link).where(Link.canonical_url.in_(urls[i:i + 500]))):  # type: ignore[attr-defined]
            out[link.canonical_url] = link
    return out


def insert_featured_link(s: Session, *, url: str, canonical_url: str, title: str, number: int, at: datetime) -> Link:
    # A link of an earlier issue: placed in it, never fetched (fetch_status 'skipped': its page
    # is years old and no quote of a new issue depends on it), flushed for its id.
    link = Link(url=url, canonical_url=canonical_url, title=title or None, state=LinkState.PICKED.value,
                issue_number=number, fetch_status="skipped", created_at=at, picked_at=at)
    s.add(link)
    s.flush()
    return link


def add_quote_once(s: Session, *, link_id: int, text: str, text_hash: str, source_url: str | None, at: datetime) -> bool:
    # one quote once per link (the unique (link_id, text_hash)): True when it was new
    if s.exec(select(Quote.id).where(Quote.link_id == link_id, Quote.text_hash == text_hash)).first() is not None:
        return False
    s.add(Quote(link_id=link_id, text=text, text_hash=text_hash, source_url=source_url, origin="import", created_at=at))
    return True
