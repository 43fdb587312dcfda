"""Managing what was collected: un-picking and dismissing links, a link's details, and editing
its quotes and notes before they go into a draft. The CLI (``links show``, ``unpick``,
``dismiss``) and the desk are thin layers over these functions.

A quote can be removed or reordered only while it is not in a draft yet (``Quote.issue_number``
is unset): what is in a draft is the author's text, edited there. Notes can always be changed;
a note already written into a draft stays there as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from pipeline.collect.links import NewQuote, add_quotes, retrying
from pipeline.collect.text import normalize_text, quote_hash
from pipeline.collect.urls import check_url
from pipeline.errors import LinkletterError
from pipeline.models import Link, Quote
from pipeline.states import IssueStatus, LinkState
from pipeline.store import links as link_store
from pipeline.store import manage as store

MAX_NOTE_CHARS = 20_000


@dataclass(frozen=True)
class QuoteDetails:
    id: int
    text: str
    note: str | None
    source_url: str | None  # may carry a text fragment (#:~:text=)
    origin: str
    position: int | None
    issue_number: int | None  # the issue it was written into; None: not drafted yet
    created_at: datetime

    @property
    def drafted(self) -> bool:
        return self.issue_number is not None


@dataclass(frozen=True)
class LinkDetails:
    """What is known about one link: its page, its quotes (in order) with their notes, the
    author's note, where it came from, its state, and where it was placed."""

    link: Link  # every stored column (title, site_name, author, description, fetch_status, ...)
    quotes: tuple[QuoteDetails, ...]
    source_id: int | None
    source_name: str | None
    source_url: str | None
    issue_number: int | None  # the issue it was first placed in
    issue_sent: bool  # that issue was sent
    issues: tuple[int, ...]  # every issue it or one of its quotes went into

    @property
    def id(self) -> int:
        return self.link.id  # type: ignore[return-value]

    @property
    def state(self) -> str:
        return self.link.state

    @property
    def note(self) -> str | None:
        return self.link.note


def _ids(ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise LinkletterError("no link ids given (see 'linkletter links').")
    return ids


def _links(s, ids: list[int]) -> dict[int, Link]:
    found = {link.id: link for link in link_store.links_by_ids(s, ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise LinkletterError(f"no link with id {', '.join(map(str, missing))} (see 'linkletter links').")
    return found  # type: ignore[return-value]


def _not_drafted(s, ids: list[int], verb: str) -> dict[int, Link]:
    """The links of ``ids``; one already placed in a draft is an error naming its issue."""
    links = _links(s, ids)
    placed = [lk for lk in links.values() if lk.issue_number is not None]
    if placed:
        where = ", ".join(f"#{lk.id} (issue {lk.issue_number})" for lk in placed)
        raise LinkletterError(f"cannot {verb} links already in a draft: {where}; delete the block from the "
                              f"draft instead")
    return links


def unpick(nl, ids: Sequence[int]) -> list[int]:
    """Put picked links back into the inbox. A link already placed in a draft, or not picked,
    is an error and nothing changes."""
    ids = _ids(ids)
    with nl.session() as s:
        links = _not_drafted(s, ids, "unpick")
        other = [i for i in ids if links[i].state != LinkState.PICKED]
        if other:
            raise LinkletterError(f"link {', '.join(f'#{i}' for i in other)} is not picked "
                                  f"({', '.join(links[i].state for i in other)}).")
        store.set_state(s, ids, LinkState.INBOX, clear_pick=True)
    return ids


def dismiss(nl, ids: Sequence[int]) -> list[int]:
    """Mark links as never to be picked (they leave the inbox; a feed seeing them again changes
    nothing). Picks not yet in a draft may be dismissed too; a placed link is an error."""
    ids = _ids(ids)
    with nl.session() as s:
        _not_drafted(s, ids, "dismiss")
        store.set_state(s, ids, LinkState.DISMISSED, clear_pick=True)
    return ids


def undismiss(nl, ids: Sequence[int]) -> list[int]:
    """Undo :func:`dismiss`: the links go back into the inbox. A link that is not dismissed
    is an error and nothing changes."""
    ids = _ids(ids)
    with nl.session() as s:
        links = _links(s, ids)
        other = [i for i in ids if links[i].state != LinkState.DISMISSED]
        if other:
            raise LinkletterError(f"link {', '.join(f'#{i}' for i in other)} is not dismissed.")
        store.set_state(s, ids, LinkState.INBOX)
    return ids


def sent_issues(nl) -> set[int]:
    """The numbers of the issues that were sent (for showing where a link went)."""
    with nl.session() as s:
        return store.sent_issue_numbers(s)


def _quote_details(q: Quote) -> QuoteDetails:
    return QuoteDetails(id=q.id, text=q.text, note=q.note, source_url=q.source_url, origin=q.origin,  # type: ignore[arg-type]
                        position=q.position, issue_number=q.issue_number, created_at=q.created_at)


def link_details(nl, link_id: int) -> LinkDetails:
    """Everything about one link (see :class:`LinkDetails`); an unknown id is an error."""
    with nl.session() as s:
        link = _links(s, [int(link_id)])[int(link_id)]
        quotes = link_store.quotes_for_links(s, [link.id])[link.id]
        source = store.source_of(s, link.source_id)
        status = store.issue_status(s, link.issue_number) if link.issue_number is not None else None
        issues = set(store.quote_issues(s, link.id)) | ({link.issue_number} if link.issue_number else set())
    return LinkDetails(link=link, quotes=tuple(_quote_details(q) for q in quotes), source_id=link.source_id,
                       source_name=source.name if source else None, source_url=source.url if source else None,
                       issue_number=link.issue_number, issue_sent=status == IssueStatus.SENT,
                       issues=tuple(sorted(issues)))


def _note(note: str | None) -> str | None:
    note = normalize_text(note or "")
    if len(note) > MAX_NOTE_CHARS:
        raise LinkletterError(f"a note is limited to {MAX_NOTE_CHARS:,} characters; this one has {len(note):,}.")
    return note or None


def add_quote(nl, link_id: int, text: str, *, note: str | None = None, fragment_url: str | None = None,
              origin: str = "desk") -> QuoteDetails:
    """Keep a passage with a link (once: the same words again give the stored quote back).
    ``fragment_url`` is the page with a text fragment (``#:~:text=``) leading to it. A link
    already drafted gets it in the next ``draft`` (see ``pipeline/draft/followups.py``)."""
    from pipeline.collect.links import MAX_QUOTE_CHARS

    text = normalize_text(text or "")
    if not text:
        raise LinkletterError("a quote needs some text.")
    if len(text) > MAX_QUOTE_CHARS:
        raise LinkletterError(f"a quote is limited to {MAX_QUOTE_CHARS:,} characters; this one has {len(text):,}.")
    src = check_url(fragment_url) if fragment_url else None
    note = _note(note)

    def write() -> QuoteDetails:
        with nl.session() as s:
            link = _links(s, [int(link_id)])[int(link_id)]
            position = store.next_position(s, link.id)
            if add_quotes(s, link.id, [NewQuote(text, src, note)], origin):
                quote = next(q for q in link_store.quotes_for_links(s, [link.id])[link.id]
                             if q.text_hash == quote_hash(text))
                if position is not None:
                    quote.position = position
                    s.add(quote)
                    s.flush()
            else:
                quote = next(q for q in link_store.quotes_for_links(s, [link.id])[link.id]
                             if q.text_hash == quote_hash(text))
            return _quote_details(quote)

    return retrying(write)


def _quote(s, quote_id: int) -> Quote:
    quote = store.get_quote(s, int(quote_id))
    if quote is None:
        raise LinkletterError(f"no quote with id {quote_id} (see 'linkletter links show ID').")
    return quote


def remove_quote(nl, quote_id: int) -> None:
    """Remove a quote that is not in a draft yet; a drafted one is an error (edit the draft)."""
    with nl.session() as s:
        quote = _quote(s, quote_id)
        if quote.issue_number is not None:
            raise LinkletterError(f"quote #{quote.id} is already in the draft of issue {quote.issue_number}; "
                                  f"remove it from the draft instead")
        store.delete_quote(s, quote)


def reorder_quotes(nl, link_id: int, quote_ids: Sequence[int]) -> list[QuoteDetails]:
    """Put a link's quotes not yet drafted in this order. ``quote_ids`` must be exactly those
    quotes; a drafted quote among them is an error (its order is the draft's)."""
    order = [int(i) for i in quote_ids]
    with nl.session() as s:
        link = _links(s, [int(link_id)])[int(link_id)]
        quotes = link_store.quotes_for_links(s, [link.id])[link.id]
        drafted = [q.id for q in quotes if q.issue_number is not None and q.id in order]
        if drafted:
            raise LinkletterError(f"quote {', '.join(f'#{i}' for i in drafted)} is already in a draft; "
                                  f"reorder it there")
        movable = {q.id for q in quotes if q.issue_number is None}
        if len(order) != len(set(order)) or set(order) != movable:
            raise LinkletterError(f"give each quote of link #{link.id} not yet drafted once: "
                                  f"{', '.join(f'#{i}' for i in sorted(movable)) or 'none'}")
        store.set_positions(s, order)
        s.expire_all()
        return [_quote_details(q) for q in link_store.quotes_for_links(s, [link.id])[link.id]]


def set_note(nl, link_id: int, note: str | None) -> None:
    """Replace the author's note on a link (None or blank removes it). Notes are for the author:
    a draft shows them as comments that are never published."""
    with nl.session() as s:
        link = _links(s, [int(link_id)])[int(link_id)]
        link.note = _note(note)
        s.add(link)


def set_quote_note(nl, quote_id: int, note: str | None) -> None:
    """Replace the author's note on a quote (None or blank removes it)."""
    with nl.session() as s:
        quote = _quote(s, quote_id)
        quote.note = _note(note)
        s.add(quote)
