"""Queries on the ``links`` and ``quotes`` tables. Each function takes the session it works in."""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import func, insert, update
from sqlmodel import Session, select

from pipeline.models import Link, Quote


def get_link(s: Session, link_id: int) -> Link | None:
    # by primary key, through the identity map
    return s.get(Link, link_id)


def link_by_canonical(s: Session, canonical_url: str) -> Link | None:
    # canonical_url is unique and indexed: the dedup lookup
    return s.exec(select(Link).where(Link.canonical_url == canonical_url)).first()


def links_by_canonical(s: Session, canonical_urls: Iterable[str]) -> dict[str, Link]:
    # One IN query per feed instead of one lookup per entry; chunked below SQLite's
    # parameter limit.
    urls = list(dict.fromkeys(canonical_urls))
    found: dict[str, Link] = {}
    for i in range(0, len(urls), 500):
        for link in s.exec(select(Link).where(Link.canonical_url.in_(urls[i:i + 500]))):  # type: ignore[union-attr]
            found[link.canonical_url] = link
    return found


def links_by_ids(s: Session, ids: Sequence[int]) -> list[Link]:
    # the ids a person typed, in one query
    return list(s.exec(select(Link).where(Link.id.in_(list(ids)))))  # type: ignore[union-attr]


def list_links(s: Session, state: str | None = None) -> list[Link]:
    # newest last, like a log; the state column is indexed
    q = select(Link).order_by(Link.id)
    if state is not None:
        q = q.where(Link.state == state)
    return list(s.exec(q))


def insert_link(s: Session, link: Link) -> Link:
    # flushed at once so quotes can point to its id
    s.add(link)
    s.flush()
    return link


def insert_links_bulk(s: Session, rows: list[dict]) -> dict[str, int]:
    # One multi-row INSERT ... RETURNING per feed instead of an ORM flush per link: a feed of
    # 20 new entries costs one statement, not 20 (the collect benchmark's main cost). Rows must
    # carry every value (ORM-side defaults such as created_at are not applied here).
    if not rows:
        return {}
    result = s.execute(insert(Link).returning(Link.id, Link.canonical_url), rows)
    return {canonical: link_id for link_id, canonical in result}


def insert_quotes_bulk(s: Session, rows: list[dict]) -> None:
    # executemany of one INSERT for all new quotes of a feed; callers have removed duplicates
    # against quote_hashes_for first, so the unique (link_id, text_hash) never fires
    if rows:
        s.execute(insert(Quote), rows)


def quote_hashes_for(s: Session, link_ids: Sequence[int]) -> dict[int, set[str]]:
    # the known quote hashes of several links in one query (the links a feed entry matched)
    out: dict[int, set[str]] = {i: set() for i in link_ids}
    ids = list(link_ids)
    for i in range(0, len(ids), 500):
        q = select(Quote.link_id, Quote.text_hash).where(Quote.link_id.in_(ids[i:i + 500]))  # type: ignore[union-attr]
        for link_id, h in s.exec(q):
            out[link_id].add(h)
    return out


def links_to_fetch(s: Session, max_attempts: int) -> list[tuple[int, str]]:
    # Pages of picks not fetched yet or failed before, oldest first. Only picks: the inbox may
    # hold thousands of entries whose feed already says what they are, and a page is needed
    # only once it goes into an issue. A page that failed max_attempts times is left alone.
    # Only (id, url) is read: the worker threads never touch ORM objects.
    q = (select(Link.id, Link.url)
         .where(Link.fetch_status.in_(("pending", "failed")), Link.state == "picked",  # type: ignore[attr-defined]
                Link.fetch_attempts < max_attempts)
         .order_by(Link.id))
    return [(i, u) for i, u in s.exec(q)]


def set_picked(s: Session, ids: Sequence[int], at) -> None:
    # One UPDATE; picked_at is kept for links picked before (the first pick is the one that counts)
    s.execute(update(Link).where(Link.id.in_(list(ids))).values(  # type: ignore[union-attr]
        state="picked", picked_at=func.coalesce(Link.picked_at, at)))


def quote_hashes(s: Session, link_id: int) -> set[str]:
    # the unique (link_id, text_hash) pair is the dedup key of quotes; reading the hashes first
    # avoids provoking IntegrityErrors inside the transaction
    return set(s.exec(select(Quote.text_hash).where(Quote.link_id == link_id)))


def insert_quote(s: Session, quote: Quote) -> Quote:
    s.add(quote)
    s.flush()
    return quote


def quotes_for_links(s: Session, link_ids: Sequence[int]) -> dict[int, list[Quote]]:
    """The quotes of many links at once, each link's in the author's order, which starts as
    reading order (their place in the page's text; see ``Quote.position``), then those without
    a place in the order they were taken (every id is a key, with an empty list when it has none).

    Why: one query per chunk of 500 ids instead of one per link (no N+1)."""
    out: dict[int, list[Quote]] = {i: [] for i in link_ids}
    ids = list(link_ids)
    for i in range(0, len(ids), 500):
        q = (select(Quote).where(Quote.link_id.in_(ids[i:i + 500]))  # type: ignore[union-attr]
             .order_by(Quote.position.is_(None), Quote.position, Quote.id))  # type: ignore[union-attr]
        for quote in s.exec(q):
            out[quote.link_id].append(quote)
    return out


def count_quotes(s: Session, link_id: int) -> int:
    # for listings
    return s.exec(select(func.count()).select_from(Quote).where(Quote.link_id == link_id)).one()


def canonical_urls_after(s: Session, after_id: int, limit: int) -> list[tuple[int, str]]:
    # (id, canonical_url) from an id cursor, in id order: a pass over every link reads the
    # table in batches instead of loading all rows as ORM objects; the older link comes first,
    # so it is the one that keeps a contested URL
    q = select(Link.id, Link.canonical_url).where(Link.id > after_id).order_by(Link.id).limit(limit)
    return [(i, c) for i, c in s.exec(q)]


def link_id_by_canonical(s: Session, canonical_url: str) -> int | None:
    # only the id, through the unique index: no ORM object to keep in step with the UPDATEs below
    return s.exec(select(Link.id).where(Link.canonical_url == canonical_url)).first()


def set_canonical_url(s: Session, link_id: int, canonical_url: str) -> None:
    # one UPDATE by primary key; the caller has checked that the new value is free (unique column)
    s.execute(update(Link).where(Link.id == link_id).values(canonical_url=canonical_url))


def quotes_after(s: Session, after_id: int, limit: int) -> list[tuple[int, int, str, str]]:
    # (id, link_id, text, text_hash) from an id cursor: a pass over every quote in batches,
    # oldest first, so the older of two same passages keeps the plain hash
    q = (select(Quote.id, Quote.link_id, Quote.text, Quote.text_hash)
         .where(Quote.id > after_id).order_by(Quote.id).limit(limit))
    return [(i, lk, t, h) for i, lk, t, h in s.exec(q)]


def set_quote_hash(s: Session, quote_id: int, text_hash: str) -> None:
    # one UPDATE by primary key; the caller keeps (link_id, text_hash) unique
    s.execute(update(Quote).where(Quote.id == quote_id).values(text_hash=text_hash))


def update_quote(s: Session, quote_id: int, **values) -> None:
    # one UPDATE by primary key: a note, citation or position learned later
    s.execute(update(Quote).where(Quote.id == quote_id).values(**values))


def quotes_of_links(s: Session, link_ids: Sequence[int]) -> dict[int, dict[str, tuple[int, str | None]]]:
    # hash -> (id, note) of the quotes of several links in one query: dedup, and a note that
    # comes with a passage already stored is added to it
    out: dict[int, dict[str, tuple[int, str | None]]] = {i: {} for i in link_ids}
    ids = list(link_ids)
    for i in range(0, len(ids), 500):
        q = select(Quote.link_id, Quote.text_hash, Quote.id, Quote.note).where(
            Quote.link_id.in_(ids[i:i + 500]))  # type: ignore[union-attr]
        for link_id, h, quote_id, note in s.exec(q):
            out[link_id][h] = (quote_id, note)
    return out


def quote_texts(s: Session, link_id: int) -> list[tuple[int, str]]:
    # (id, text) of one link's quotes: their places in the page once its text is known
    return [(i, t) for i, t in s.exec(select(Quote.id, Quote.text).where(Quote.link_id == link_id))]
