"""The collect stage: sources (feeds) are polled, their entries become links with quotes,
links are picked, and every page is fetched for its metadata and main text.

The library API (the CLI and the web server's bookmarklet endpoint are thin layers over it):

- ``add_source(nl, url, name="", mode="inbox", kind="feed") -> Source``, ``list_sources(nl)``, ``remove_source(nl, id)``
  (``collect.discover.discover_feeds(nl, url)``: the feeds a page names; ``collect.flavours``: how
  bookmark, annotation, link-blog and microblog feeds are read)
- ``add_link(nl, url, *, quotes=(), note=None, title=None, origin="cli", fetch=True) -> int``
- ``pick(nl, ids, *, fetch=True) -> list[int]`` (fetches the new picks' pages), ``fetch_pages(nl, ids)``, ``get_link(nl, id)``, ``link_quotes(nl, ids) -> dict[int, list[Quote]]``
- ``list_links(nl, state=None, *, source_id=None, hide_sent=False, limit=None, offset=0, before_id=None)``
- managing (``manage.py``): ``unpick(nl, ids)``, ``dismiss(nl, ids)``, ``undismiss(nl, ids)``,
  ``link_details(nl, id) -> LinkDetails``, ``add_quote(nl, link_id, text, *, note=None, fragment_url=None)``,
  ``remove_quote(nl, quote_id)``, ``reorder_quotes(nl, link_id, quote_ids)``, ``set_note(nl, link_id, note)``,
  ``set_quote_note(nl, quote_id, note)``
- ``collect(nl, *, progress=None, stop_event=None) -> CollectReport`` (a set ``stop_event`` ends it early)

Helpers others may use: ``canonicalize(url)`` (the dedup key of links) and ``quote_hash(text)``
(the dedup key of a link's quotes). ``collect.renormalize.renormalize_canonical_urls(session)``
brings links stored before canonicalize normalized paths in line (for a data migration).
"""

# Each name is imported from its module on first use (PEP 562), so ``pipeline.collect.list_links``
# does not load the fetcher, feedparser and trafilatura for a command that only reads the database.
_EXPORTS = {
    "add_link": "links", "get_link": "links", "link_quotes": "links", "list_links": "links", "pick": "links",
    "fetch_pages": "links",
    "LinkDetails": "manage", "QuoteDetails": "manage", "add_quote": "manage", "dismiss": "manage",
    "link_details": "manage", "remove_quote": "manage", "reorder_quotes": "manage", "set_note": "manage",
    "set_quote_note": "manage", "sent_issues": "manage", "undismiss": "manage", "unpick": "manage",
    "CollectReport": "run", "collect": "run",
    "add_source": "sources", "list_sources": "sources", "remove_source": "sources",
    "quote_hash": "text", "canonicalize": "urls",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"pipeline.collect.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'pipeline.collect' has no attribute {name!r}")
