"""The collect stage: sources (feeds) are polled, their entries become links with quotes,
links are picked, and every page is fetched for its metadata and main text.

The library API (the CLI and the web server's bookmarklet endpoint are thin layers over it):

- ``add_source(nl, url, name="", mode="inbox") -> Source``, ``list_sources(nl)``, ``remove_source(nl, id)``
- ``add_link(nl, url, *, quotes=(), note=None, title=None, origin="cli", fetch=True) -> int``
- ``pick(nl, ids) -> list[int]``, ``list_links(nl, state=None) -> list[Link]``, ``get_link(nl, id)``,
  ``link_quotes(nl, ids) -> dict[int, list[Quote]]``
- ``collect(nl, *, progress=None, stop_event=None) -> CollectReport`` (a set ``stop_event`` ends it early)

Helpers others may use: ``canonicalize(url)`` (the dedup key of links) and ``quote_hash(text)``
(the dedup key of a link's quotes). ``collect.renormalize.renormalize_canonical_urls(session)``
brings links stored before canonicalize normalized paths in line (for a data migration).
"""

from pipeline.collect.links import add_link, get_link, link_quotes, list_links, pick
from pipeline.collect.run import CollectReport, collect
from pipeline.collect.sources import add_source, list_sources, remove_source
from pipeline.collect.text import quote_hash
from pipeline.collect.urls import canonicalize

__all__ = ["CollectReport", "add_link", "add_source", "canonicalize", "collect", "get_link", "link_quotes", "list_links",
           "list_sources", "pick", "quote_hash", "remove_source"]
