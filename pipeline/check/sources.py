"""The text a quote is checked against: a source's main text as stored at collect time, or
fetched now when the database has none (read only: nothing fetched here is written back).

Fetching and extraction are the collect stage's (``pipeline.collect.pages.read_page``: the
same timeouts, size cap, charset rules and main-text extraction as at collect time).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from pipeline.collect.destinations import build_policy, policy_for
from pipeline.collect.fetch import Fetcher
from pipeline.collect.pages import read_page
from pipeline.collect.urls import url_variants, without_fragment
from pipeline.models import Link, utcnow
from pipeline.store import check as store


@dataclass
class Source:
    """What is known about one cited URL."""

    url: str
    text: str | None = None  # main text, paragraphs separated by blank lines
    origin: str = "none"  # 'stored' | 'fetched' | 'none'
    error: str | None = None  # why there is no text
    link_id: int | None = None
    title: str | None = None
    site_name: str | None = None
    author: str | None = None
    fetched_at: datetime | None = None
    final_url: str | None = None


def stored_links(session, urls) -> dict[str, Link]:
    """Each cited URL's stored link (preferring one with main text), keyed by the URL as cited."""
    variants = {u: url_variants(u) for u in urls}
    rows = store.links_by_urls(session, [v for vs in variants.values() for v in vs])
    by_key: dict[str, list[Link]] = {}
    for row in rows:
        for key in {row.url, row.canonical_url}:
            by_key.setdefault(key, []).append(row)
    out = {}
    for url, vs in variants.items():
        found = [row for v in vs for row in by_key.get(v, [])]
        if found:
            out[url] = next((r for r in found if r.main_text), found[0])
    return out


def _from_link(url: str, link: Link) -> Source:
    return Source(url=url, text=link.main_text or None, origin="stored" if link.main_text else "none",
                  link_id=link.id, title=link.title, site_name=link.site_name, author=link.author,
                  fetched_at=link.fetched_at,
                  error=None if link.main_text else (link.fetch_error or "no main text stored"))


def fetch_source(url: str, settings, fetcher=None) -> Source:
    """Fetch ``url`` now and extract its main text, the way collect does."""
    own = fetcher is None
    fetcher = fetcher or Fetcher(timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes,
                                 policy=build_policy(settings))
    try:
        page = read_page(fetcher, without_fragment(url))
    finally:
        if own:
            fetcher.close()
    if not page.ok:
        return Source(url=url, error=page.error or "could not fetch the page", fetched_at=utcnow())
    meta = page.meta
    text = meta.main_text if meta else None
    return Source(url=url, text=text or None, origin="fetched" if text else "none",
                  error=None if text else f"the page has no readable text ({page.content_type or 'unknown type'})",
                  title=meta.title if meta else None, site_name=meta.site_name if meta else None,
                  author=meta.author if meta else None, fetched_at=utcnow(), final_url=page.final_url)


def load_sources(nl, urls, *, fetch: bool = True, workers: int = 8) -> dict[str, Source]:
    """A :class:`Source` for each URL: stored text first; with ``fetch``, the others are
    fetched now in parallel. Never writes to the database."""
    urls = list(dict.fromkeys(u for u in urls if u))
    with nl.session() as session:
        links = stored_links(session, urls)
        out = {u: _from_link(u, links[u]) for u in urls if u in links}
    missing = [u for u in urls if u not in out or out[u].text is None]
    if not fetch:
        for u in missing:
            out.setdefault(u, Source(url=u, error="not collected, and fetching is off"))
            if out[u].text is None and out[u].link_id is not None:
                out[u].error = f"{out[u].error}; fetching is off"
        return out
    if missing:
        fetcher = Fetcher(timeout=nl.settings.fetch_timeout, max_bytes=nl.settings.fetch_max_bytes,
                          policy=policy_for(nl))
        try:
            with ThreadPoolExecutor(max_workers=min(workers, len(missing))) as pool:
                for u, src in zip(missing, pool.map(lambda u: fetch_source(u, nl.settings, fetcher), missing)):
                    stored = out.get(u)
                    if stored is not None and src.text is None:
                        stored.error = src.error or stored.error  # keep the stored metadata
                        continue
                    if stored is not None:  # keep the stored metadata, take the fresh text
                        src.link_id = stored.link_id
                        src.title = stored.title or src.title
                        src.site_name = stored.site_name or src.site_name
                        src.author = stored.author or src.author
                    out[u] = src
        finally:
            fetcher.close()
    return out
