"""Feeds to entries: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed, and highlight or
annotation feeds (such as a Hypothesis user's Atom feed).

feedparser runs with its sanitizer and URL resolver off: they cost most of its time, and
everything kept here is reduced to plain text anyway (markup parsed by lxml, its text kept,
scripts dropped). Quotes come from the outermost ``<blockquote>`` elements of an entry's content.

An annotation entry points to the annotated page with a ``related`` (or ``via``) link, while its
``alternate`` link is the annotation itself; its blockquote is the highlighted passage and the
rest of its content is the annotator's note. How bookmark, annotation, link-blog and microblog
feeds are read otherwise: ``pipeline.collect.flavours``. A blockquote's ``<cite>``,
``<footer>`` or ``<figcaption>`` is the quote's attribution, not part of its words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

from pipeline.collect import flavours
from pipeline.collect.extract import parse_date
from pipeline.collect.text import Passage, blockquote_parts, parse_fragment, html_to_text, one_line
from pipeline.typography import without_enclosing_marks
from pipeline.collect.urls import InvalidURL, check_url
from pipeline.errors import SourceError

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
               "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1")
NOT_FEED_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                  "application/gzip", "application/msword", "application/vnd.")
MAX_ENTRIES = 500
DESCRIPTION_CHARS = 1000


# feedparser's warnings about a declared encoding that was wrong: the feed was still read
BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


class FeedError(SourceError):
    """A body that is not a readable feed."""


@dataclass
class FeedQuote:
    text: str
    source_url: str | None = None  # for a quote that cites another work: that work's link
    note: str | None = None  # the curator's note on it (an annotation's text)
    origin: str = "feed"
    cite_text: str | None = None
    highlighted_at: datetime | None = None  # when the author marked it (a highlight service's date)
    position: float | None = None  # where in the document it is (a location, an offset): quotes keep that order


@dataclass
class FeedEntry:
    url: str  # the page the entry is about
    entry_id: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    description: str | None = None
    quotes: list[FeedQuote] = field(default_factory=list)
    via: str | None = None  # the curator of a curated entry (then ``author`` is left to the page)
    note: str | None = None  # the curator's note on the page itself (a page note, a post's text)


@dataclass
class Feed:
    title: str | None
    kind: str  # 'rss20', 'atom10', 'json', ...
    entries: list[FeedEntry]
    flavour: str = "feed"  # how the entries were read: 'feed' or one of flavours.CURATED


def _text(value: str | None, detail: dict | None = None) -> str:
    """Plain text of a feed field; HTML (declared or apparent) is reduced to its text."""
    if not value:
        return ""
    ctype = (detail or {}).get("type", "") if isinstance(detail, dict) else ""
    if "html" in ctype or "<" in value or "&" in value:
        return html_to_text(value)
    return value


def _url(value, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return check_url(urljoin(base, value.strip()))
    except InvalidURL:
        return None


def _struct_time(t) -> datetime | None:
    if not t:
        return None
    try:
        return datetime(*t[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def _shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str | None:
    if not text:
        return None
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _quotes(passages: list[Passage], base: str, origin: str, note: str | None = None) -> list[FeedQuote]:
    return [FeedQuote(text=p.text, source_url=_url(p.cite_url, base) if p.cite_url else None, note=note,
                      origin=origin, cite_text=(p.cite_text or "")[:500] or None) for p in passages]


def _entry_from_parts(*, page_url: str | None, entry_id, title, author, published, html: str,
                      summary_html: str, annotation_url: str | None, flavour: str = "feed", base: str = "",
                      feed_title: str | None = None) -> FeedEntry | None:
    # Longer than 60 lines on purpose: one place says how each flavour reads an entry.
    if not page_url:
        return None
    quotes_html = html or summary_html
    note = None
    if flavour == "annotations" or annotation_url:
        passages, rest = blockquote_parts(quotes_html, keep_lines=True)
        rest = rest or None
        quotes = _quotes(passages[:1], base, "annotation", rest) + _quotes(passages[1:], base, "annotation")
        note = rest if not passages else None  # a page note: an annotation without a highlight
        description = None
    elif flavour == "bookmarks":
        passages, rest = blockquote_parts(summary_html or html)
        if not passages and rest:  # the description is the passage selected when bookmarking
            passages = [Passage(without_enclosing_marks(rest))]
        quotes = _quotes(passages, base, "feed")
        description = None
    elif flavour == "microblog":
        root = parse_fragment(summary_html or html) if (summary_html or html) else None
        article, note = flavours.microblog_post(root, page_url) if root is not None else (None, "")
        if not article:
            return None  # a post that links to no article is no link
        page_url, note, title, quotes, description = article, note or None, None, [], None
    else:
        passages, _rest = blockquote_parts(quotes_html)
        quotes = _quotes(passages, base, "feed")
        description = _shorten(html_to_text(summary_html or html))
    via = None
    if flavour in flavours.CURATED:
        via, author = flavours.curator(author, feed_title, flavour), None
    return FeedEntry(url=page_url, entry_id=one_line(entry_id)[:500] or None, title=one_line(title)[:500] or None,
                     author=one_line(author)[:200] or None, published_at=published, description=description,
                     quotes=quotes, via=via, note=note)


def _feedparser_entries(parsed, base: str, flavour: str) -> list[FeedEntry]:
    out = []
    feed_title = _text(parsed.feed.get("title"), parsed.feed.get("title_detail"))
    for e in parsed.entries[:MAX_ENTRIES]:
        links = e.get("links") or []
        related = next((lk.get("href") for lk in links if lk.get("rel") in ("related", "via") and lk.get("href")), None)
        alternate = e.get("link") or next((lk.get("href") for lk in links if lk.get("rel") == "alternate"), None)
        page = _url(related, base) or _url(alternate, base)
        if page is None:
            guid = e.get("id")
            if e.get("guidislink") or (isinstance(guid, str) and guid.startswith(("http://", "https://"))):
                page = _url(guid, base)
        content = e.get("content") or []
        html = next((c.get("value") for c in content if "html" in (c.get("type") or "")), None) \
            or (content[0].get("value") if content else "")
        summary = e.get("summary") or ""
        if summary and "html" not in ((e.get("summary_detail") or {}).get("type") or "html"):
            summary = summary.replace("&", "&amp;").replace("<", "&lt;")
        entry = _entry_from_parts(
            page_url=page, entry_id=e.get("id"), title=_text(e.get("title"), e.get("title_detail")),
            author=_text(e.get("author"), e.get("author_detail")),
            published=_struct_time(e.get("published_parsed") or e.get("updated_parsed")),
            html=html or "", summary_html=summary, flavour=flavour, base=base, feed_title=feed_title,
            annotation_url=_url(alternate, base) if related and _url(related, base) else None)
        if entry:
            out.append(entry)
    return out


def _json_feed(data: dict, base: str, kind: str = "feed") -> Feed:
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("not a JSON Feed: no 'items' list")
    flavour = flavours.detect_json(items) if kind == "feed" else kind
    title = data.get("title") if isinstance(data.get("title"), str) else None
    feed_authors = data.get("authors") or ([data["author"]] if isinstance(data.get("author"), dict) else [])
    feed_authors = feed_authors if isinstance(feed_authors, list) else []
    out = []
    for item in items[:MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        page = _url(item.get("external_url"), base) or _url(item.get("url"), base)
        html = item.get("content_html") if isinstance(item.get("content_html"), str) else ""
        text = item.get("content_text") if isinstance(item.get("content_text"), str) else ""
        if not html and text:
            html = "".join(f"<p>{p}</p>" for p in text.replace("&", "&amp;").replace("<", "&lt;").split("\n\n"))
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else []) \
            or feed_authors  # JSON Feed 1.1: an item without authors has the feed's
        author = ", ".join(a.get("name") for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str))
        summary = item.get("summary") if isinstance(item.get("summary"), str) else ""
        entry = _entry_from_parts(
            page_url=page, entry_id=str(item.get("id")) if item.get("id") is not None else None,
            title=_text(item.get("title") if isinstance(item.get("title"), str) else ""),
            author=_text(author), published=parse_date(item.get("date_published") or item.get("date_modified")),
            html=html, summary_html=summary.replace("&", "&amp;").replace("<", "&lt;"), annotation_url=None,
            flavour=flavour, base=base, feed_title=title)
        if entry:
            out.append(entry)
    return Feed(title=one_line(_text(title)) or None, kind="json", entries=out, flavour=flavour)


def _looks_json(body: bytes, ctype: str) -> bool:
    return "json" in ctype or body.lstrip()[:1] == b"{"


def parse_feed(body: bytes, *, content_type: str = "", url: str = "", headers: dict | None = None,
               kind: str = "feed") -> Feed:
    """Entries of a feed body, read in the flavour ``kind`` names (for 'feed': the one the
    feed shows, see ``flavours.detect``). Raises FeedError for a body that is no feed
    (malformed XML with nothing readable, an HTML page, an image, ...)."""
    ctype = (content_type or "").lower()
    if ctype.startswith(NOT_FEED_TYPES):
        raise FeedError(f"wrong content type {ctype}: not a feed")
    if not body.strip():
        raise FeedError("empty body: not a feed")
    if _looks_json(body, ctype):
        try:
            data = json.loads(body.decode("utf-8-sig", errors="replace"))
        except ValueError as e:
            raise FeedError(f"malformed JSON Feed: {e}") from None
        if not isinstance(data, dict) or not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
            raise FeedError("JSON that is not a JSON Feed (no jsonfeed.org version)")
        return _json_feed(data, url, kind)
    response_headers = {k.lower(): v for k, v in (headers or {}).items() if k.lower() in ("content-type", "content-location", "content-language")}
    if content_type and "content-type" not in response_headers:
        response_headers["content-type"] = content_type
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False,
                              response_headers=response_headers or None)
    if not parsed.version and not parsed.entries:
        if "html" in ctype:
            raise FeedError(f"wrong content type {ctype}: an HTML page, not a feed")
        reason = parsed.get("bozo_exception")
        raise FeedError(f"malformed feed: {_reason(reason)}" if reason else "not a feed (no RSS, Atom or JSON Feed found)")
    base = url or parsed.feed.get("link") or ""  # relative entry links resolve against the feed's URL
    title = one_line(_text(parsed.feed.get("title"), parsed.feed.get("title_detail"))) or None
    flavour = flavours.detect(parsed) if kind == "feed" else kind
    entries = _feedparser_entries(parsed, base, flavour if flavour in flavours.CURATED else "feed")
    reason = parsed.get("bozo_exception")
    if parsed.bozo and not entries and reason is not None and not isinstance(reason, BENIGN):
        # feedparser's loose parser rescues many slightly broken feeds; one it could not get
        # a single entry out of is an error, not an empty feed
        raise FeedError(f"malformed feed: {_reason(reason)}")
    return Feed(title=title, kind=parsed.version or "unknown", entries=entries, flavour=flavour)


def _reason(exc) -> str:
    if hasattr(exc, "getLineNumber") and hasattr(exc, "getMessage"):  # xml.sax.SAXParseException
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    text = one_line(str(exc))
    return text[:200] if text else type(exc).__name__
