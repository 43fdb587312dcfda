"""Feed autodiscovery: the address of a site's home page or article leads to its feeds.

A page names its feeds in ``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json"
href="…" title="…">`` (the RSS autodiscovery convention, also what WordPress, Mastodon and most
blog engines write). :func:`discover_feeds` fetches the address once, with the collect's bounds:
a feed is taken as it is; a page gives the feeds it names (the caller asks the author when there
are several); a page naming none is an error now, not at the next collect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from pipeline.collect.text import one_line
from pipeline.collect.urls import InvalidURL, check_url
from pipeline.errors import LinkletterError

FEED_TYPES = {"application/rss+xml": "RSS", "application/atom+xml": "Atom", "application/feed+json": "JSON Feed",
              "application/rdf+xml": "RSS 1.0", "application/json": "JSON Feed"}
HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_FEEDS = 20


@dataclass(frozen=True)
class FeedLink:
    url: str
    format: str  # 'RSS', 'Atom', 'JSON Feed', ...
    title: str = ""


@dataclass
class Discovery:
    url: str  # the address as fetched (after redirects)
    is_feed: bool  # the address is a feed itself
    feeds: list[FeedLink] = field(default_factory=list)  # what a page names


def feed_links(html: str, base: str) -> list[FeedLink]:
    """The feeds a page names in its ``<link rel="alternate">`` elements, in its order, each once."""
    from pipeline.collect.extract import parse_html

    doc = parse_html(html)
    if doc is None:
        return []
    base_el = doc.find(".//base[@href]")
    base = urljoin(base, base_el.get("href")) if base_el is not None else base
    found: dict[str, FeedLink] = {}
    for el in doc.iter("link"):
        rels = (el.get("rel") or "").lower().split()
        ctype = (el.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or ctype not in FEED_TYPES or not el.get("href"):
            continue
        try:
            url = check_url(urljoin(base, el.get("href").strip()))
        except InvalidURL:
            continue
        found.setdefault(url, FeedLink(url=url, format=FEED_TYPES[ctype], title=one_line(el.get("title"))[:200]))
    return list(found.values())[:MAX_FEEDS]


def _looks_html(body: bytes) -> bool:
    head = body.lstrip()[:512].lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head


def discover_feeds(nl, url: str, *, fetcher=None) -> Discovery:
    """Fetch ``url`` once and say whether it is a feed, or which feeds the page names. Raises
    FetchError when it cannot be fetched, LinkletterError for a page that names no feed."""
    from pipeline.collect.destinations import build_policy
    from pipeline.collect.feeds import FEED_ACCEPT
    from pipeline.collect.fetch import Fetcher, decode
    from pipeline.store import sources as source_store

    url = check_url(url)
    own = fetcher is None
    if own:
        with nl.session() as s:
            known = [src.url for src in source_store.all_sources(s)]
        fetcher = Fetcher(timeout=nl.settings.fetch_timeout, max_bytes=nl.settings.fetch_max_bytes,
                          policy=build_policy(nl.settings, [*known, url]))
    try:
        r = fetcher.get(url, accept=FEED_ACCEPT)
    finally:
        if own:
            fetcher.close()
    final = r.url or url
    if r.content_type not in HTML_TYPES and not (not r.content_type and _looks_html(r.body)):
        return Discovery(url=final, is_feed=True)
    feeds = feed_links(decode(r.body, r.charset), final)
    if not feeds:
        raise LinkletterError(f"{url} is a web page that names no feed (no <link rel=\"alternate\" "
                              f"type=\"application/rss+xml\">, atom+xml or feed+json); give the feed's own address.")
    return Discovery(url=final, is_feed=False, feeds=feeds)
