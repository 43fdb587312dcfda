"""Links and their quotes: added by hand (CLI, bookmarklet), found in feeds, picked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from pipeline.collect.text import normalize_text, one_line, passage_position, quote_hash
from pipeline.collect.urls import canonicalize, check_url, strip_tracking
from pipeline.errors import LinkletterError
from pipeline.models import Link, Quote, Source, utcnow
from pipeline.states import LINK_STATES
from pipeline.store import links as store
from pipeline.typography import normalize

if TYPE_CHECKING:  # the fetcher, feedparser and trafilatura load only where a page is read
    from pipeline.collect.feeds import FeedEntry, FeedQuote
    from pipeline.collect.fetch import Fetcher
    from pipeline.collect.pages import PageResult

STATES = LINK_STATES
ORIGINS = ("feed", "annotation", "cli", "bookmarklet", "desk", "highlight")  # highlight: a service's API or a file import
MAX_PAGE = 1000  # links in one page of a listing
QuoteIn = str | tuple[str, str | None]
MAX_QUOTE_CHARS = 20_000
T = TypeVar("T")


@dataclass
class StoredEntries:
    new_links: list[int]
    new_quotes: int
    to_fetch: list[tuple[int, str]]  # (id, url) of links picked now whose page is not fetched yet


def _quote_parts(q: QuoteIn) -> tuple[str, str | None]:
    if isinstance(q, tuple):
        text, src = q
    else:
        text, src = q, None
    text = normalize_text(text or "")
    if len(text) > MAX_QUOTE_CHARS:
        raise LinkletterError(f"a quote is limited to {MAX_QUOTE_CHARS:,} characters; this one has {len(text):,}.")
    src = check_url(src) if src else None
    return text, src


def retrying(write: Callable[[], T]) -> T:
    """Run a write transaction, again if it collided with another writer (a collect, the
    scheduler's, a bookmarklet request) that stored the same link meanwhile: a unique
    canonical_url fired, or SQLite refused a write from an outdated snapshot. The failed
    transaction was rolled back; the next try sees the other's rows."""
    for attempt in range(3):
        try:
            return write()
        except (IntegrityError, OperationalError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class NewQuote:
    """A passage to keep with a link: its words, the page they are from, the author's note."""

    text: str
    source_url: str | None = None
    note: str | None = None


def add_quotes(s: Session, link_id: int, quotes: Sequence[NewQuote], origin: str, page_text: str | None = None) -> int:
    """Attach quotes to a link, each passage once (however typeset); a note that comes with a
    passage already kept is added to it. Returns how many were new."""
    known = store.quotes_of_links(s, [link_id])[link_id]
    page = normalize(page_text or "")
    new = 0
    for quote in quotes:
        text, src, note = normalize_text(quote.text), quote.source_url, quote.note
        if not text:
            continue
        h = quote_hash(text)
        if h in known:
            quote_id, old = known[h]
            if _merge_note(old, note) != old:
                store.update_quote(s, quote_id, note=_merge_note(old, note))
            continue
        q = store.insert_quote(s, Quote(link_id=link_id, text=text, text_hash=h, source_url=src, note=note,
                                        origin=origin, position=passage_position(text, page)))
        known[h] = (q.id, note)
        new += 1
    return new


def _pick(link: Link) -> None:
    if link.state != "picked":
        link.state = "picked"
    if link.picked_at is None:
        link.picked_at = utcnow()


def store_page(s: Session, link: Link, page: PageResult) -> None:
    """Write a fetch result to ``link``; the page's own canonical URL replaces the link's when it
    is on the same site and no other link has it (two links are never merged behind the
    author's back)."""
    from pipeline.collect.pages import apply_page

    apply_page(link, page)
    if page.ok and page.canonical_url and page.canonical_url != link.canonical_url:
        if store.link_by_canonical(s, page.canonical_url) is None:
            link.canonical_url = page.canonical_url
    s.add(link)
    s.flush()
    if link.main_text and link.id is not None:  # the quotes' places in the page: reading order
        text = normalize(link.main_text)
        for quote_id, quote in store.quote_texts(s, link.id):
            store.update_quote(s, quote_id, position=passage_position(quote, text))


def add_link(nl, url: str, *, quotes: Sequence[QuoteIn] = (), note: str | None = None, title: str | None = None,
             origin: str = "cli", fetch: bool = True, fetcher: Fetcher | None = None) -> int:
    """Add one page as a pick, with its quotes (text, or (text, source_url) such as a
    text-fragment link). A link already known (same canonical URL, also the one the page
    declares) is picked and gets the new quotes and note. With ``fetch=False`` the page is
    fetched by the next collect. Returns the link's id."""
    url = check_url(url)
    if origin not in ORIGINS:
        raise LinkletterError(f"origin must be one of {', '.join(ORIGINS)}, got {origin!r}")
    parts = [_quote_parts(q) for q in quotes]
    canonical = canonicalize(url)
    page = None
    if fetch:
        with nl.session() as s:
            known = store.link_by_canonical(s, canonical)
            fetch = known is None or known.fetch_status != "ok"  # a page read before is not fetched again
    if fetch:
        own = fetcher is None
        from pipeline.collect.destinations import policy_for
        from pipeline.collect.fetch import Fetcher
        from pipeline.collect.pages import read_page

        fetcher = fetcher or Fetcher(timeout=nl.settings.fetch_timeout, max_bytes=nl.settings.fetch_max_bytes,
                                     policy=policy_for(nl))
        try:
            page = read_page(fetcher, url)
        finally:
            if own:
                fetcher.close()
    note = normalize_text(note) if note else None
    return retrying(lambda: _merge_pick(nl, url, canonical, page, parts, note, title, origin))


def _merge_pick(nl, url: str, canonical: str, page: PageResult | None, parts: list[tuple[str, str | None]],
                note: str | None, title: str | None, origin: str) -> int:
    with nl.session() as s:
        link = store.link_by_canonical(s, canonical)
        if link is None and page is not None and page.ok and page.canonical_url:
            link = store.link_by_canonical(s, page.canonical_url)
        if link is None:
            link = store.insert_link(s, Link(url=strip_tracking(url), canonical_url=canonical, state="picked",
                                             picked_at=utcnow(), title=one_line(title)[:500] or None, note=note))
            note = None
        else:
            _pick(link)
            if title and not link.title:
                link.title = one_line(title)[:500]
        if page is not None and link.fetch_status != "ok":
            store_page(s, link, page)
        # A link already drafted has had its note written: a new note goes with the new quotes,
        # which the next draft adds (pipeline/draft/followups.py), so it does not vanish.
        quote_note = note if link.issue_number is not None and parts else None
        added = add_quotes(s, link.id, [NewQuote(t, src, quote_note if i == 0 else None)
                                        for i, (t, src) in enumerate(parts)], origin, link.main_text)
        if note and not (quote_note and added):
            link.note = _merge_note(link.note, note)
        s.add(link)
        return link.id


def pick(nl, ids: Sequence[int], *, fetch: bool = True, fetcher: Fetcher | None = None) -> list[int]:
    """Mark links as picks for the next issue and fetch the pages not read yet at once (a draft
    made next has their titles and sites; ``fetch=False``: the caller fetches them, e.g. in the
    background, or the next collect does). Unknown ids are an error and nothing changes."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise LinkletterError("no link ids given (see 'linkletter links --inbox').")
    with nl.session() as s:
        found = {link.id for link in store.links_by_ids(s, ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise LinkletterError(f"no link with id {', '.join(map(str, missing))} (see 'linkletter links').")
        store.set_picked(s, ids, utcnow())
    if fetch:
        fetch_pages(nl, ids, fetcher=fetcher)
    return ids


def fetch_pages(nl, ids: Sequence[int], *, fetcher: Fetcher | None = None) -> int:
    """Fetch the pages of these links that were not read yet (a few at a time, each bounded by
    the fetch timeout and size limit) and store what they say. Returns how many were fetched
    now; a failure is stored on the link (``fetch_status``) and retried by the next collect."""
    with nl.session() as s:
        todo = [(lk.id, lk.url) for lk in store.links_by_ids(s, list(ids)) if lk.fetch_status != "ok"]
    if not todo:
        return 0
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.collect.destinations import policy_for
    from pipeline.collect.fetch import Fetcher
    from pipeline.collect.pages import read_page

    own = fetcher is None
    fetcher = fetcher or Fetcher(timeout=nl.settings.fetch_timeout, max_bytes=nl.settings.fetch_max_bytes,
                                 policy=policy_for(nl))
    try:
        with ThreadPoolExecutor(max_workers=min(4, len(todo)), thread_name_prefix="pick-fetch") as pool:
            pages = list(pool.map(lambda item: read_page(fetcher, item[1]), todo))
    finally:
        if own:
            fetcher.close()

    def write(link_id: int, page: PageResult) -> None:
        with nl.session() as s:
            link = store.get_link(s, link_id)
            if link is not None and link.fetch_status != "ok":
                store_page(s, link, page)

    for (link_id, _url), page in zip(todo, pages):
        retrying(lambda: write(link_id, page))
    return sum(1 for p in pages if p.ok)


def list_links(nl, state: str | None = None, *, source_id: int | None = None, hide_sent: bool = False,
               limit: int | None = None, offset: int = 0, before_id: int | None = None) -> list[Link]:
    """Links in the order they were found; ``state`` ('inbox', 'picked', 'dismissed') and
    ``source_id`` filter, ``hide_sent`` leaves out links placed in a sent issue. Paging:
    ``limit`` with ``offset``, or ``before_id`` (the links older than that id, newest first:
    the next page of a listing that shows the newest on top)."""
    if state is not None and state not in STATES:
        raise LinkletterError(f"state must be one of {', '.join(STATES)}, got {state!r}")
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise LinkletterError(f"limit must be from 1 to {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise LinkletterError(f"offset must not be negative, got {offset}")
    from pipeline.store import manage

    with nl.session() as s:
        return manage.page_of_links(s, state=state, source_id=source_id, hide_sent=hide_sent, limit=limit,
                                    offset=offset, before_id=before_id)


def get_link(nl, link_id: int) -> Link:
    """One link by id; an unknown id is an error."""
    with nl.session() as s:
        link = store.get_link(s, link_id)
    if link is None:
        raise LinkletterError(f"no link with id {link_id} (see 'linkletter links').")
    return link


def link_quotes(nl, link_ids: Sequence[int]) -> dict[int, list[Quote]]:
    """The quotes of the given links, by link id."""
    with nl.session() as s:
        return store.quotes_for_links(s, link_ids)


def _merge_note(old: str | None, new: str | None) -> str | None:
    """A note added to the one kept: nothing said twice, nothing lost."""
    if not new or new == old or (old and new in old):
        return old
    return f"{old}\n\n{new}" if old else new


def _entry_parts(e: FeedEntry, curated: bool) -> tuple[str | None, str | None]:
    """(author, via) of an entry: in a feed about other people's pages (a curated flavour,
    an 'auto' source) the entry's author is the curator, and the page names its own author."""
    if curated:
        return None, e.via or e.author
    return e.author, e.via


def _in_reading_order(group: Sequence[FeedEntry], flavour: str) -> list[FeedQuote]:
    """The quotes of one link's entries in the page's order: by the place a service gave them
    (a location, an offset), else as a highlight feed lists them, oldest first (it lists the
    newest first), else as they came."""
    entries = list(reversed(group)) if flavour == "annotations" else list(group)
    quotes = [q for e in entries for q in e.quotes]
    return sorted(quotes, key=lambda q: (q.position is None, q.position or 0))


def _quote_rows(s: Session, link_id: int, quotes: Sequence[FeedQuote], hashes: dict, page: str,
                pending: dict[tuple[int, str], dict], now) -> list[dict]:
    """The new quote rows of one link; a passage kept already (in the database or earlier in
    this feed) gets the new note added instead."""
    rows = []
    for q in quotes:
        text = normalize_text(q.text)
        h = quote_hash(text)
        if not text:
            continue
        if h in hashes:
            quote_id, note = hashes[h]
            merged = _merge_note(note, q.note)
            if merged != note:
                if quote_id is None:
                    pending[(link_id, h)]["note"] = merged
                else:
                    store.update_quote(s, quote_id, note=merged)
                hashes[h] = (quote_id, merged)
            continue
        hashes[h] = (None, q.note)
        position = int(q.position) if q.position is not None else passage_position(text, page)
        pending[(link_id, h)] = dict(link_id=link_id, text=text, text_hash=h, source_url=q.source_url, note=q.note,
                                     cite_text=q.cite_text, origin=q.origin, highlighted_at=q.highlighted_at,
                                     created_at=now, position=position)
        rows.append(pending[(link_id, h)])
    return rows


def store_entries(s: Session, source: Source | None, entries: Sequence[FeedEntry], flavour: str = "feed", *,
                  auto: bool | None = None) -> StoredEntries:
    """Write a feed's entries: new pages become links (picks for an 'auto' source, else in the
    inbox; only picks have their page fetched), quotes are attached once each (the same passage
    however typeset; a note coming with a passage already kept is added to it), in the order of
    the page. An entry seen before changes nothing else, except that an 'auto' source picks a
    link still waiting in the inbox. Written in bulk: one INSERT for the new links and one for
    the new quotes. Without a ``source`` (a file import), ``auto`` says whether new links are picks."""
    # Longer than 60 lines on purpose: links and quotes of one feed are written in two bulk
    # statements, and both loops share the per-link state (known hashes, page text).
    from pipeline.collect.flavours import CURATED

    auto = (source is not None and source.mode == "auto") if auto is None else auto
    curated = auto or flavour in CURATED
    now = utcnow()
    canon: dict[str, list[FeedEntry]] = {}
    for e in entries:
        try:
            canon.setdefault(canonicalize(e.url), []).append(e)
        except LinkletterError:
            continue
    existing = store.links_by_canonical(s, canon)
    to_fetch: list[tuple[int, str]] = []
    rows = []
    for c, group in canon.items():
        link = existing.get(c)
        notes = None
        for e in group:
            notes = _merge_note(notes, e.note)
        if link is None:
            e = group[0]
            author, via = _entry_parts(e, curated)
            rows.append(dict(url=strip_tracking(e.url), canonical_url=c, source_id=source.id if source else None,
                             entry_id=e.entry_id, state="picked" if auto else "inbox", picked_at=now if auto else None,
                             title=e.title, author=author, via=via, note=notes, published_at=e.published_at,
                             description=e.description, fetch_status="pending", fetch_attempts=0, created_at=now))
            continue
        if auto and link.state == "inbox":
            _pick(link)
            if link.fetch_status != "ok":
                to_fetch.append((link.id, link.url))
        link.note = _merge_note(link.note, notes)
        if link.via is None and curated:
            link.via = _entry_parts(group[0], curated)[1]
        s.add(link)
    new_ids = store.insert_links_bulk(s, rows)
    if auto:
        to_fetch += [(new_ids[r["canonical_url"]], r["url"]) for r in rows]
    known = store.quotes_of_links(s, [lk.id for lk in existing.values()])
    quote_rows: list[dict] = []
    pending: dict[tuple[int, str], dict] = {}
    for c, group in canon.items():
        link_id = new_ids.get(c) or existing[c].id
        page = normalize(existing[c].main_text or "") if c in existing else ""
        quote_rows += _quote_rows(s, link_id, _in_reading_order(group, flavour), known.setdefault(link_id, {}),
                                  page, pending, now)
    store.insert_quotes_bulk(s, quote_rows)
    return StoredEntries(new_links=[new_ids[r["canonical_url"]] for r in rows], new_quotes=len(quote_rows),
                         to_fetch=to_fetch)

