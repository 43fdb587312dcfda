"""A blog's feed file (RSS 2.0, RSS 1.0 or Atom), read with feedparser: each entry with its
link, date and full content (``content:encoded`` / Atom ``content``, else the summary).
A feed usually holds only the newest entries: the import says how many it found."""

from __future__ import annotations

from datetime import datetime, timezone

from pipeline.backissues.markdown import html_to_markdown
from pipeline.backissues.readers.common import Container, ExportError, OldIssue, number_in_title, parse_date


def recognises(container: Container) -> bool:
    if not container.is_single_file:
        return False
    head = container.read_bytes(container.path.name)[:2048].lower()
    return (b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head) and b"wordpress.org/export/" not in head


def read(container: Container, *, category: str | None = None, title: str | None = None, **_options) -> list[OldIssue]:
    import feedparser

    name = container.path.name
    parsed = feedparser.parse(container.read_bytes(name))
    if parsed.bozo and not parsed.entries:
        raise ExportError(f"{container.label}: not a feed feedparser can read ({parsed.get('bozo_exception')})")
    out = []
    for n, entry in enumerate(parsed.entries, start=1):
        heading = (entry.get("title") or "").strip()
        if title and title.lower() not in heading.lower():
            continue
        if category and category.strip().lower() not in {(t.get("term") or "").lower() for t in entry.get("tags", [])}:
            continue
        where = f"{name} entry {n} ({heading[:60]!r})"
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        when = (datetime(*stamp[:6], tzinfo=timezone.utc) if stamp
                else parse_date(entry.get("published") or entry.get("updated"), where))
        html = entry["content"][0].get("value", "") if entry.get("content") else entry.get("summary", "")
        link = (entry.get("link") or "").strip()
        if not link:
            raise ExportError(f"{where}: the entry has no link, so it cannot be told apart on a second import")
        out.append(OldIssue(key=link, title=heading, date=when, body=html_to_markdown(html, drop_title=heading),
                            number=number_in_title(heading), where=where))
    return out
