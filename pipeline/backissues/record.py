"""Writing an import: the draft files first (each atomically, owner-only, under the drafts
folder's lock), then in one transaction the issues as sent and their links and quotes.

Run again after a failure between the two, the files are found by their ``imported_from``
and the database part is done for them then (every step here can be repeated)."""

from __future__ import annotations

from typing import Sequence

from pipeline.backissues.plan import PlannedIssue
from pipeline.collect.text import quote_hash
from pipeline.collect.urls import InvalidURL, canonicalize, is_web_url
from pipeline.files import draft_path_of, write_atomic
from pipeline.render.cites import parse_body


def write_drafts(nl, planned: Sequence[PlannedIssue]) -> None:
    from pipeline.draft.assemble import folder_lock

    with folder_lock(nl.settings.drafts_dir):
        for p in planned:
            if p.path.exists():
                raise FileExistsError(f"{p.path} appeared while importing; nothing more was written")
            write_atomic(p.path, p.text.encode("utf-8"), new_mode=0o600)


def record_drafts(nl, drafts) -> tuple[int, int]:
    """Record each imported draft (number, title, date, body) as a sent issue with its links
    and quotes. Returns (links registered, quotes registered)."""
    from pipeline.store import backissues as store

    links = quotes = 0
    with nl.session() as s:
        for d in drafts:
            slug = d.path.stem.split("-", 1)[1] if "-" in d.path.stem else d.path.stem
            store.record_sent_issue(s, number=d.issue, slug=slug, title=d.title, sent_at=d.date,
                                    draft_path=draft_path_of(d.path, nl.settings.root))
            cites = parse_body(d.body, d.body_line)
            found = {}
            for link in cites.links:
                if is_web_url(link.url):
                    try:
                        found.setdefault(canonicalize(link.url), link)
                    except InvalidURL:
                        continue
            known = store.links_by_canonical_urls(s, list(found))
            for canonical, link in found.items():
                if canonical not in known:
                    known[canonical] = store.insert_featured_link(s, url=link.url, canonical_url=canonical,
                                                                  title=link.text, number=d.issue, at=d.date)
                    links += 1
            for q in cites.quotes:
                target = q.source_url and known.get(_canonical(q.source_url))
                if target and q.text.strip():
                    quotes += store.add_quote_once(s, link_id=target.id, text=q.text, text_hash=quote_hash(q.text),
                                                   source_url=q.attribution_url, at=d.date)
    return links, quotes


def _canonical(url: str) -> str | None:
    try:
        return canonicalize(url) if is_web_url(url) else None
    except InvalidURL:
        return None


def record_imported(nl, planned: Sequence[PlannedIssue]) -> tuple[int, int]:
    from pipeline.draft.format import read_draft

    write_drafts(nl, planned)
    return record_drafts(nl, [read_draft(p.path) for p in planned])
