"""A record that outlasts link rot: the cited sources' text kept with the sent issue, and
Web Archive addresses for the day an issue went out.

``snapshot_sources`` is called by ``send`` (stored in ``Issue.snapshot``); ``archive_url`` by
the web page build when the ``archive_links`` setting is on.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from pipeline.check.links import is_web_url
from pipeline.check.sources import Source, load_sources, without_fragment
from pipeline.draft.format import Draft
from pipeline.render.cites import Cites
from pipeline.render.issue import PreparedIssue, prepare

SNAPSHOT_VERSION = 1


def archive_url(url: str, when: datetime) -> str:
    """The Web Archive's address of ``url`` as captured nearest to ``when`` (its UTC time):
    ``https://web.archive.org/web/YYYYMMDDhhmmss/URL``. The archive redirects to the nearest
    capture, so the link works whether the page was captured that second or that year."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return f"https://web.archive.org/web/{when:%Y%m%d%H%M%S}/{url}"


def cited_urls(doc: Cites) -> list[str]:
    """The distinct web pages a draft cites (its links and quote sources; not its images),
    in order of first mention, without fragments."""
    urls = [link.url for link in doc.links if not link.has_image or link.text]
    urls += [q.source_url for q in doc.quotes if q.source_url]
    return list(dict.fromkeys(without_fragment(u) for u in urls if is_web_url(u)))


def snapshot_sources(nl, draft: PreparedIssue | Draft | str | os.PathLike, *, fetch: bool = True,
                     loaded: dict[str, Source] | None = None) -> str:
    """JSON of each cited source: URL, title, site, author, when it was fetched and its main
    text, as stored at collect time (fetched now for sources never collected, with ``fetch``).
    ``loaded``: sources the check loaded already (``CheckReport.sources``); those are kept as
    they are, not fetched again. Reads only; the caller stores the result (``Issue.snapshot``)."""
    prepared = prepare(nl, draft)
    draft = prepared.draft
    urls = cited_urls(prepared.cites)
    sources = {without_fragment(u): s for u, s in (loaded or {}).items()}
    sources.update(load_sources(nl, [u for u in urls if u not in sources], fetch=fetch))
    items = []
    for url in urls:
        s = sources.get(url)
        items.append({
            "url": url,
            "title": s.title if s else None,
            "site": s.site_name if s else None,
            "author": s.author if s else None,
            "fetched_at": s.fetched_at.isoformat() if s and s.fetched_at else None,
            "text": s.text if s else None,
            "error": s.error if s and s.text is None else None,
        })
    return json.dumps({"version": SNAPSHOT_VERSION, "issue": draft.issue, "taken_at": datetime.now(timezone.utc).isoformat(),
                       "sources": items}, ensure_ascii=False)
