"""Highlight services' own APIs and the highlight files an author has lying around, each read
into the feed path's entries (``FeedEntry`` with ``FeedQuote``s: text, note, text-fragment
link, place in the document, when it was marked), so they are stored by the one
``store_entries`` and deduplicated with everything else.

- services, polled by ``collect`` as sources of their kind: ``hypothesis``, ``readwise``,
  ``raindrop``, ``wallabag`` (one module each, its documented format in its docstring);
- files, read by ``linkletter import``: Readwise CSV, Instapaper CSV, Kindle's
  ``My Clippings.txt`` (``highlights.files``, ``highlights.kindle``).
"""

from __future__ import annotations

import json

from pipeline.collect.highlights import hypothesis, raindrop, readwise, wallabag
from pipeline.collect.highlights.api import ServiceError, ServicePoll, load_cursor

SERVICES = {
    "hypothesis": hypothesis.poll,
    "readwise": readwise.poll,
    "raindrop": raindrop.poll,
    "wallabag": wallabag.poll,
}


def is_service(kind: str) -> bool:
    return kind in SERVICES


def poll_service(fetcher, settings, kind: str, url: str, cursor: str | None) -> tuple[ServicePoll, str]:
    """One poll of a service source: its new entries and the cursor to store with them (JSON).
    Raises a SourceError (ServiceError, FetchError) that says what failed; nothing is stored then."""
    result = SERVICES[kind](fetcher, url, load_cursor(cursor), settings)
    return result, json.dumps(result.cursor, sort_keys=True)


__all__ = ["SERVICES", "ServiceError", "ServicePoll", "is_service", "poll_service"]
