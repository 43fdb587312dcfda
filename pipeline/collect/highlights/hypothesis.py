"""Hypothesis: the annotations of a user (or group) from the search API.

Format (h's API reference, ``GET /api/search``, https://h.readthedocs.io/en/latest/api-reference/):
``{"total": N, "rows": [annotation, ...]}``; an annotation has ``id``, ``created``, ``updated``,
``uri`` (the annotated page; ``urn:x-pdf:...`` for a PDF without a web address), ``text`` (the
annotator's note, Markdown), ``document.title`` (a list), ``references`` (set on replies), and
``target[0].selector``: a ``TextQuoteSelector`` (``exact`` with some ``prefix`` and ``suffix``
context), a ``TextPositionSelector`` (``start``/``end``: the place in the page's text) and a
``RangeSelector``. A page note has no selector. Authorization: ``Bearer TOKEN``; without one,
only public annotations are seen.

Incremental: ``sort=updated&order=asc&search_after=<updated of the last one seen>``, the way the
API documents paging. The source's URL is the search URL with its filter, e.g.
``https://api.hypothes.is/api/search?user=acct:NAME@hypothes.is``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from pipeline.collect.feeds import FeedEntry, FeedQuote
from pipeline.collect.fragments import text_fragment_url
from pipeline.collect.highlights.api import (
    MAX_PAGES, ServiceError, ServicePoll, date_of, expect, get_json, line_of, number_of, text_of, web_url, with_query,
)

SERVICE = "Hypothesis"
LIMIT = 200  # the API's largest page
FILTERS = ("user", "group", "uri", "url", "wildcard_uri", "tag", "tags", "any", "quote", "text")


def _selectors(row: dict) -> dict[str, dict]:
    targets = row.get("target") if isinstance(row.get("target"), list) else []
    found: dict[str, dict] = {}
    for target in targets:
        for sel in (target.get("selector") or []) if isinstance(target, dict) else []:
            if isinstance(sel, dict) and isinstance(sel.get("type"), str):
                found.setdefault(sel["type"], sel)
    return found


def entry_of(row: dict) -> FeedEntry | None:
    """One annotation as an entry: its quote with a text fragment built from the quote's
    context, its note; a page note becomes the link's note. Replies are someone's conversation,
    not the author's highlight, and are left out, as is an annotation of no web page."""
    if not isinstance(row, dict) or row.get("references"):
        return None
    page = web_url(row.get("uri"))
    if page is None:
        return None
    doc = row.get("document") if isinstance(row.get("document"), dict) else {}
    titles = doc.get("title") if isinstance(doc.get("title"), list) else [doc.get("title")]
    note = text_of(row.get("text")) or None
    selectors = _selectors(row)
    quote = selectors.get("TextQuoteSelector", {})
    exact = text_of(quote.get("exact"))
    entry = FeedEntry(url=page, entry_id=line_of(row.get("id")), title=line_of(next(iter(titles), None)),
                      published_at=None)
    if not exact:
        entry.note = note  # a page note: about the whole page
        return entry
    prefix = quote.get("prefix") if isinstance(quote.get("prefix"), str) else None
    suffix = quote.get("suffix") if isinstance(quote.get("suffix"), str) else None
    entry.quotes.append(FeedQuote(
        text=exact, note=note, origin="highlight", highlighted_at=date_of(row.get("created")),
        source_url=text_fragment_url(page, exact, prefix=prefix, suffix=suffix),
        position=number_of(selectors.get("TextPositionSelector", {}).get("start"))))
    return entry


def poll(fetcher, url: str, cursor: dict, settings) -> ServicePoll:
    query = dict(parse_qsl(urlsplit(url).query))
    if not any(query.get(f) for f in FILTERS):
        raise ServiceError("a Hypothesis source needs a filter in its URL, e.g. "
                           "https://api.hypothes.is/api/search?user=acct:NAME@hypothes.is")
    headers = {"Authorization": f"Bearer {settings.hypothesis_token}"} if settings.hypothesis_token else {}
    after = cursor.get("search_after") if isinstance(cursor.get("search_after"), str) else None
    entries: list[FeedEntry] = []
    for _ in range(MAX_PAGES):
        page_url = with_query(url, {"sort": "updated", "order": "asc", "limit": LIMIT, "search_after": after})
        data = expect(get_json(fetcher, page_url, service=SERVICE, headers=headers, settings_hint="hypothesis_token"),
                      dict, SERVICE, "the answer")
        rows = expect(data.get("rows"), list, SERVICE, "'rows'")
        for row in rows:
            entry = entry_of(row)
            if entry is not None:
                entries.append(entry)
        updated = [r.get("updated") for r in rows if isinstance(r, dict) and isinstance(r.get("updated"), str)]
        if updated:
            after = updated[-1]
        if len(rows) < LIMIT or not updated:
            return ServicePoll(entries, {"search_after": after} if after else {})
    return ServicePoll(entries, {"search_after": after} if after else {}, complete=False)
