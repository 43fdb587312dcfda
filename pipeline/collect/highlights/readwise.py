"""Readwise: every book and article with its highlights, from the export API.

Format (https://readwise.io/api_deets, "Highlight EXPORT"): ``GET /api/v2/export/`` with
``Authorization: Token TOKEN`` answers ``{"count": N, "nextPageCursor": C|null, "results":
[book, ...]}``; a book has ``user_book_id``, ``title``, ``readable_title``, ``author``,
``category`` (books, articles, tweets, podcasts, supplementals), ``source_url`` (the article's
address; null for a book), ``unique_url``, ``document_note``, ``asin`` and ``highlights``:
each with ``id``, ``text``, ``note`` (often ""), ``location`` and ``location_type`` (its place:
an offset, a page, a Kindle location), ``highlighted_at`` (may be null), ``updated_at``,
``url`` (the highlight's own link, may be null), ``is_deleted``.

Incremental: ``updatedAfter=<the latest updated_at seen>``, and ``pageCursor`` through the
pages of one export. The source's URL is ``https://readwise.io/api/v2/export/``.
A book without an address of its own gets a book link (``api.book_url``).
"""

from __future__ import annotations

from pipeline.collect.feeds import FeedEntry, FeedQuote
from pipeline.collect.highlights.api import (
    MAX_PAGES, ServiceError, ServicePoll, book_url, date_of, expect, get_json, later, line_of, number_of, text_of,
    web_url, with_query,
)

SERVICE = "Readwise"


def _page_url(book: dict) -> str | None:
    for key in ("source_url", "unique_url"):
        url = web_url(book.get(key))
        if url and "readwise.io" not in url:  # a Readwise page is not the article
            return url
    return book_url(line_of(book.get("title")), line_of(book.get("author")))


def entry_of(book: dict) -> tuple[FeedEntry | None, str | None]:
    """A book as an entry with its highlights as quotes, and the latest ``updated_at`` in it."""
    if not isinstance(book, dict):
        return None, None
    newest = None
    page = _page_url(book)
    quotes = []
    highlights = book.get("highlights") if isinstance(book.get("highlights"), list) else []
    for h in highlights:
        if not isinstance(h, dict):
            continue
        newest = later(newest, h.get("updated_at") or h.get("updated"))
        text = text_of(h.get("text"))
        if not text or h.get("is_deleted") or h.get("is_discard"):
            continue
        own = web_url(h.get("url"))
        quotes.append(FeedQuote(text=text, note=text_of(h.get("note")) or None, origin="highlight",
                                source_url=own if own and own != page and "readwise.io" not in own else None,
                                highlighted_at=date_of(h.get("highlighted_at")) or date_of(h.get("created_at")),
                                position=number_of(h.get("location"))))
    if page is None:
        return None, newest
    entry = FeedEntry(url=page, entry_id=line_of(str(book.get("user_book_id") or "")) or None,
                      title=line_of(book.get("readable_title")) or line_of(book.get("title")),
                      author=line_of(book.get("author"), 200), quotes=quotes,
                      note=text_of(book.get("document_note")) or None)
    return entry, newest


def poll(fetcher, url: str, cursor: dict, settings) -> ServicePoll:
    if not settings.readwise_token:
        raise ServiceError("a Readwise source needs your access token in the setting readwise_token "
                           "(or LINKLETTER_READWISE_TOKEN); get it at readwise.io/access_token")
    headers = {"Authorization": f"Token {settings.readwise_token}"}
    since = cursor.get("updated_after") if isinstance(cursor.get("updated_after"), str) else None
    page_cursor = cursor.get("page_cursor")
    newest = cursor.get("newest") if isinstance(cursor.get("newest"), str) else since
    entries: list[FeedEntry] = []
    for _ in range(MAX_PAGES):
        data = expect(get_json(fetcher, with_query(url, {"updatedAfter": since, "pageCursor": page_cursor}),
                               service=SERVICE, headers=headers, settings_hint="readwise_token"),
                      dict, SERVICE, "the answer")
        for book in expect(data.get("results"), list, SERVICE, "'results'"):
            entry, seen = entry_of(book)
            newest = later(newest, seen)
            if entry is not None:
                entries.append(entry)
        page_cursor = data.get("nextPageCursor")
        if page_cursor in (None, ""):
            return ServicePoll(entries, {"updated_after": newest} if newest else {})
    # the page limit: the next poll goes on with this export's next page
    return ServicePoll(entries, {"updated_after": since, "page_cursor": page_cursor, "newest": newest}, complete=False)
