"""Raindrop.io: the highlights of every bookmark.

Format (https://developer.raindrop.io/v1/highlights, "Get all highlights"):
``GET /rest/v1/highlights?page=N&perpage=M`` (pages count from 0, at most 50 a page) with
``Authorization: Bearer TOKEN`` answers ``{"result": true, "items": [...]}``; an item has
``_id``, ``text``, ``note`` (often ""), ``color``, ``created``, ``tags``, ``raindropRef`` (the
bookmark's id), ``link`` (the highlighted page) and ``title``. An error is ``{"result": false,
"error": ..., "errorMessage": ...}``, with a 401 for a bad token. Newest first.

Incremental: pages are read until one reaches the newest highlight of the last poll (there is
no ``since``; newest first, what follows it was read before). The source's URL is
``https://api.raindrop.io/rest/v1/highlights``.
"""

from __future__ import annotations

from pipeline.collect.feeds import FeedEntry, FeedQuote
from pipeline.collect.highlights.api import (
    MAX_PAGES, ServiceError, ServicePoll, date_of, expect, get_json, later, line_of, text_of, web_url, with_query,
)
from pipeline.collect.text import one_line

SERVICE = "Raindrop.io"
PER_PAGE = 50


def entry_of(item: dict) -> FeedEntry | None:
    if not isinstance(item, dict):
        return None
    page, text = web_url(item.get("link")), text_of(item.get("text"))
    if page is None or not text:
        return None
    quote = FeedQuote(text=text, note=text_of(item.get("note")) or None, origin="highlight",
                      highlighted_at=date_of(item.get("created")))
    return FeedEntry(url=page, entry_id=line_of(item.get("_id")), title=line_of(item.get("title")), quotes=[quote])


def poll(fetcher, url: str, cursor: dict, settings) -> ServicePoll:
    if not settings.raindrop_token:
        raise ServiceError("a Raindrop.io source needs a token in the setting raindrop_token (or "
                           "LINKLETTER_RAINDROP_TOKEN): your app's test token at app.raindrop.io/settings/integrations")
    headers = {"Authorization": f"Bearer {settings.raindrop_token}"}
    seen_until = date_of(cursor.get("newest"))  # highlights created before this were read before
    newest = cursor.get("pending") if isinstance(cursor.get("pending"), str) else cursor.get("newest")
    page = cursor.get("page") if isinstance(cursor.get("page"), int) else 0
    entries: list[FeedEntry] = []
    for _ in range(MAX_PAGES):
        data = expect(get_json(fetcher, with_query(url, {"page": page, "perpage": PER_PAGE}), service=SERVICE,
                               headers=headers, settings_hint="raindrop_token"), dict, SERVICE, "the answer")
        if data.get("result") is False:
            reason = one_line(str(data.get("errorMessage") or data.get("error") or "no reason given"))[:200]
            raise ServiceError(f"{SERVICE} answered with an error: {reason}")
        items = expect(data.get("items"), list, SERVICE, "'items'")
        reached = False  # a highlight read by an earlier poll: the rest (older) was too
        for item in items:
            created = date_of(item.get("created")) if isinstance(item, dict) else None
            if seen_until is not None and created is not None and created <= seen_until:
                reached = True
            entry = entry_of(item)
            if entry is not None:
                entries.append(entry)
                newest = later(newest, item.get("created"))
        if len(items) < PER_PAGE or reached:
            return ServicePoll(entries, {"newest": newest} if newest else {})
        page += 1
    old = cursor.get("newest") if isinstance(cursor.get("newest"), str) else None
    return ServicePoll(entries, {"newest": old, "page": page, "pending": newest}, complete=False)
