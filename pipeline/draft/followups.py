"""Quotes that arrive after their link was drafted (the bookmarklet on an article already in
the open draft, ``add URL --quote`` for a link sent weeks ago). Each such quote is written
exactly once, by the next ``draft``:

- the link's block is in the open draft: the quote is added there, as a block naming the link
  (``followup_block``), to be moved next to the link by the author;
- the link was featured in a sent issue: the quote starts a new pick, a full block in the open
  (or next) draft, which says where the link was featured before;
- the link is in a draft that is not open (``status: ready``, not sent yet): nothing is written;
  ``draft`` reports the quote, which waits until that draft is open again or sent.

Where a link is counts by the draft files (the URL in the text), so a draft renumbered by hand
still holds its links; the database's ``Link.issue_number`` is the fallback for a link whose
block the author deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Sequence

from pipeline.draft.blocks import followup_block, render_block
from pipeline.draft.format import Draft
from pipeline.models import Link
from pipeline.states import DraftStatus, IssueStatus
from pipeline.store import links as link_store
from pipeline.store import manage as store

OPEN, REPEAT, WAITING = "open", "repeat", "waiting"


@dataclass(frozen=True)
class NewQuotes:
    link_id: int
    quote_ids: tuple[int, ...]
    kind: str  # OPEN | REPEAT | WAITING
    issue: int | None  # OPEN/WAITING: the draft holding the link; REPEAT: None until placed
    featured_in: tuple[int, ...]  # REPEAT: the sent issues that featured it
    block: str  # the Markdown to write (empty for WAITING)


def plan(session, index, drafts: Sequence[Draft], statuses: dict[int, str], open_number: int | None,
         language: str) -> list[NewQuotes]:
    """What to do with every quote not yet drafted whose link was (see the module docstring)."""
    pending = store.pending_quotes_of_placed_links(session)
    if not pending:
        return []
    links = {lk.id: lk for lk in link_store.links_by_ids(session, sorted({q.link_id for q in pending}))}
    file_status = {d.issue: d.status for d in drafts}
    sent_db = store.sent_issue_numbers(session)

    def sent(n: int) -> bool:
        return n in sent_db or statuses.get(n) == IssueStatus.SENT or file_status.get(n) == DraftStatus.SENT

    out = []
    for link_id, group in groupby(pending, key=lambda q: q.link_id):
        quotes, link = list(group), links[link_id]
        ids = tuple(q.id for q in quotes)
        holders = index.issues_of(link) or {link.issue_number}
        unsent = sorted(h for h in holders if h in file_status and not sent(h))
        if open_number is not None and open_number in holders:
            out.append(NewQuotes(link_id, ids, OPEN, open_number, (), followup_block(link, quotes, language)))
        elif unsent:
            out.append(NewQuotes(link_id, ids, WAITING, unsent[0], (), ""))
        else:
            featured = tuple(sorted(n for n in holders | {link.issue_number} if n is not None and sent(n)))
            out.append(NewQuotes(link_id, ids, REPEAT, None, featured,
                                 render_block(_as_link(link), quotes, language, featured_in=featured)))
    return out


def renumbered(session, index, drafts: Sequence[Draft]) -> list[tuple[int, int, int]]:
    """(link id, old, new) for links placed in an issue that has no draft file and was not sent,
    whose URL is now in exactly one unsent draft: the author renumbered that draft (``issue: 1``
    became ``issue: 27``), so its links move with it (and are not "featured in issue 1")."""
    numbers = {d.issue for d in drafts}
    out = []
    for link in store.placed_in_unsent(session):
        if link.issue_number in numbers:
            continue
        holders = index.issues_of(link) & numbers
        if len(holders) == 1:
            out.append((link.id, link.issue_number, next(iter(holders))))
    return out


def _as_link(link: Link) -> Link:
    """The link without its note: the note went into the draft with its first block."""
    return link.model_copy(update={"note": None})
