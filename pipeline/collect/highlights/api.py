"""What every highlight service's reader shares: JSON over the bounded fetcher, its errors in
words a person can act on (never with a token in them), and the small field readers that turn
a service's loosely typed JSON (nulls, numbers as strings, odd time zones) into entries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pipeline.collect.extract import parse_date
from pipeline.collect.feeds import FeedEntry
from pipeline.collect.fetch import Fetcher, FetchError
from pipeline.collect.text import normalize_text, one_line
from pipeline.collect.urls import InvalidURL, check_url
from pipeline.errors import SourceError

MAX_PAGES = 20  # pages read in one poll; a longer backlog goes on from the cursor next time
ACCEPT = "application/json"


class ServiceError(SourceError):
    """A highlight service's answer could not be used: refused credentials, an HTTP error,
    malformed JSON, a body over the size limit, no answer in time."""


@dataclass
class ServicePoll:
    entries: list[FeedEntry]
    cursor: dict = field(default_factory=dict)  # where the next poll starts (stored as JSON)
    complete: bool = True  # False: the page limit was reached; the cursor resumes the backlog


def load_cursor(text: str | None) -> dict:
    """A stored cursor; an unreadable one starts afresh (dedup makes that harmless)."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def with_query(url: str, params: Mapping[str, Any]) -> str:
    """``url`` with ``params`` set (replacing the same names; None values are left out)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def refused(service: str, status: int | None, settings_hint: str) -> ServiceError:
    return ServiceError(f"{service} refused the credentials (HTTP {status}): check the setting(s) {settings_hint}")


def parse_json(body: bytes, service: str) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ServiceError(f"{service} answered with malformed JSON ({one_line(str(e))[:120]})") from None


def get_json(fetcher: Fetcher, url: str, *, service: str, headers: Mapping[str, str], settings_hint: str) -> Any:
    """GET a JSON document; any failure is a ServiceError naming the service (a 401/403 names
    the settings to check)."""
    try:
        r = fetcher.get(url, headers=headers, accept=ACCEPT)
    except FetchError as e:
        if e.status in (401, 403):
            raise refused(service, e.status, settings_hint) from None
        raise ServiceError(f"{service}: {e}") from None
    return parse_json(r.body, service)


def expect(value: Any, kind: type, service: str, what: str) -> Any:
    if not isinstance(value, kind):
        raise ServiceError(f"{service} answered in an unexpected form: {what} is missing or not a {kind.__name__}")
    return value


# ---------------------------------------------------------------- field readers

def text_of(value: Any) -> str:
    """A string field as normalized text; null, numbers and lists are no text."""
    return normalize_text(value) if isinstance(value, str) else ""


def line_of(value: Any, limit: int = 500) -> str | None:
    return one_line(value)[:limit] or None if isinstance(value, str) else None


def web_url(value: Any) -> str | None:
    """An absolute http(s) URL, or None (a ``urn:x-pdf:``, a ``kindle://`` link, junk)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return check_url(value)
    except InvalidURL:
        return None


def date_of(value: Any) -> datetime | None:
    """ISO 8601 in the forms the services write (``Z``, ``+0000``, fractions); else None."""
    return parse_date(value) if isinstance(value, str) else None


def number_of(value: Any) -> float | None:
    """A number, also one written as a string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def later(a: str | None, b: str | None) -> str | None:
    """The later of two service timestamps (compared as times, kept as the service wrote them)."""
    if not a or date_of(a) is None:
        return b if b and date_of(b) is not None else a
    if not b or date_of(b) is None:
        return a
    return b if date_of(b) > date_of(a) else a


BOOK_SEARCH = "https://openlibrary.org/search"


def book_url(title: str | None, author: str | None = None) -> str | None:
    """The link of a book that has no address of its own (a Kindle book, a Readwise book): an
    Open Library search for its title and author. The same title and author give the same link,
    so a book's highlights from Kindle and from Readwise are one link. None without a title."""
    title = one_line(title)
    if not title:
        return None
    params = {"title": title}
    if one_line(author):
        params["author"] = one_line(author)
    return f"{BOOK_SEARCH}?{urlencode(params, quote_via=quote)}"
