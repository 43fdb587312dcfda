"""Wallabag: the annotations of the articles saved on a Wallabag instance.

Format (wallabag's API documentation, docs/en/developer/api.rst, and the instance's
/api/doc): ``POST /oauth/v2/token`` with the password grant (``grant_type=password``,
``client_id``, ``client_secret``, ``username``, ``password``) gives ``{"access_token": ...,
"expires_in": 3600, "token_type": "bearer", ...}`` (a bad login: HTTP 400 ``invalid_grant``).
``GET /api/entries.json?sort=updated&order=asc&page=N&perPage=M&since=UNIX_TIME&detail=metadata``
(metadata: without the article's content) with
``Authorization: Bearer TOKEN`` answers HAL: ``{"page", "limit", "pages", "total", "_links",
"_embedded": {"items": [entry, ...]}}``; an entry has ``id``, ``url``, ``title``,
``published_by`` (a list, may be null), ``updated_at`` (``2016-04-05T09:07:54+0000``) and
``annotations``: annotator.js records with ``quote`` (the passage), ``text`` (the note),
``created_at``, ``ranges``.

Incremental: ``since`` = the latest ``updated_at`` seen. Only entries with annotations become
links. The source's URL is the instance's address, e.g. ``https://app.wallabag.it``.
"""

from __future__ import annotations

from pipeline.collect.feeds import FeedEntry, FeedQuote
from pipeline.collect.fetch import FetchError
from pipeline.collect.highlights.api import (
    MAX_PAGES, ServiceError, ServicePoll, date_of, expect, get_json, later, line_of, parse_json, refused, text_of,
    web_url, with_query,
)

SERVICE = "Wallabag"
PER_PAGE = 30
SETTINGS = ("wallabag_client_id", "wallabag_client_secret", "wallabag_username", "wallabag_password")


def access_token(fetcher, base: str, settings) -> str:
    """A fresh access token by the password grant (one per poll: nothing to keep or refresh)."""
    missing = [k for k in SETTINGS if not getattr(settings, k)]
    if missing:
        raise ServiceError(f"a Wallabag source needs the setting(s) {', '.join(missing)} "
                           f"(or LINKLETTER_{missing[0].upper()}, ...): an API client of your instance's Developer page")
    form = {"grant_type": "password", "client_id": settings.wallabag_client_id,
            "client_secret": settings.wallabag_client_secret, "username": settings.wallabag_username,
            "password": settings.wallabag_password}
    try:
        r = fetcher.post(f"{base}/oauth/v2/token", form=form)
    except FetchError as e:
        if e.status in (400, 401, 403):
            raise refused(SERVICE, e.status, ", ".join(SETTINGS)) from None
        raise ServiceError(f"{SERVICE}: {e}") from None
    data = expect(parse_json(r.body, SERVICE), dict, SERVICE, "the token answer")
    token = data.get("access_token")
    if not isinstance(token, str) or not token.strip() or any(c.isspace() for c in token.strip()):
        raise ServiceError(f"{SERVICE} answered the login without an access_token")
    return token.strip()


def entry_of(item: dict) -> FeedEntry | None:
    if not isinstance(item, dict):
        return None
    page = web_url(item.get("url")) or web_url(item.get("given_url"))
    notes = item.get("annotations") if isinstance(item.get("annotations"), list) else []
    quotes = []
    for a in notes:
        text = text_of(a.get("quote")) if isinstance(a, dict) else ""
        if text:
            quotes.append(FeedQuote(text=text, note=text_of(a.get("text")) or None, origin="highlight",
                                    highlighted_at=date_of(a.get("created_at"))))
    if page is None or not quotes:
        return None
    authors = item.get("published_by") if isinstance(item.get("published_by"), list) else []
    author = ", ".join(a for a in authors if isinstance(a, str) and a.strip())
    return FeedEntry(url=page, entry_id=line_of(str(item.get("id") or "")) or None, title=line_of(item.get("title")),
                     author=line_of(author, 200), quotes=quotes)


def poll(fetcher, url: str, cursor: dict, settings) -> ServicePoll:
    base = url.split("?", 1)[0].rstrip("/")
    headers = {"Authorization": f"Bearer {access_token(fetcher, base, settings)}"}
    newest = cursor.get("newest") if isinstance(cursor.get("newest"), str) else None
    since = date_of(newest)
    page = 1
    entries: list[FeedEntry] = []
    for _ in range(MAX_PAGES):
        params = {"sort": "updated", "order": "asc", "detail": "metadata", "perPage": PER_PAGE, "page": page,
                  "since": int(since.timestamp()) if since else None}
        data = expect(get_json(fetcher, with_query(f"{base}/api/entries.json", params), service=SERVICE,
                               headers=headers, settings_hint=", ".join(SETTINGS)), dict, SERVICE, "the answer")
        embedded = expect(data.get("_embedded"), dict, SERVICE, "'_embedded'")
        for item in expect(embedded.get("items"), list, SERVICE, "'_embedded.items'"):
            entry = entry_of(item)
            if entry is not None:
                entries.append(entry)
            if isinstance(item, dict):
                newest = later(newest, item.get("updated_at"))
        pages = data.get("pages") if isinstance(data.get("pages"), int) else page
        if page >= pages:
            return ServicePoll(entries, {"newest": newest} if newest else {})
        page += 1
    # the page limit: sorted by update time, the next poll goes on after the newest seen
    return ServicePoll(entries, {"newest": newest} if newest else {}, complete=False)
