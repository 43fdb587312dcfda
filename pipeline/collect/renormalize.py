"""Bring links stored before ``canonicalize`` normalized paths (RFC 3986 §6.2.2) in line, so a
page shared again matches the link stored before instead of becoming a second link.

Only the path is rewritten (``normalize_path``): scheme, host and query of a stored canonical
URL were already in today's form, and running ``canonicalize`` again on a stored URL would not
be safe (a ``+`` in its query, written for a literal plus, would be read as a space). A link
whose normalized URL another link already holds is left as it is and reported: the two are the
same page, and merging their quotes and picks is for a person to decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from sqlmodel import Session

from pipeline.collect.text import quote_hash
from pipeline.collect.urls import normalize_path
from pipeline.store import links as store


@dataclass
class RenormalizeReport:
    checked: int = 0
    updated: int = 0
    conflicts: list[tuple[int, int]] = field(default_factory=list)  # (link keeping the URL, link left as is)


def renormalized(canonical_url: str) -> str:
    """A canonical URL stored by an earlier ``canonicalize``, with its path normalized."""
    parts = urlsplit(canonical_url)
    return urlunsplit(parts._replace(path=normalize_path(parts.path)))


def renormalize_canonical_urls(s: Session, *, batch: int = 500) -> RenormalizeReport:
    """Rewrite every link's canonical_url to the form ``canonicalize`` writes now, in the
    caller's transaction (a data migration commits it). Running it again changes nothing."""
    report = RenormalizeReport()
    after = 0
    while rows := store.canonical_urls_after(s, after, batch):
        for link_id, canonical in rows:
            report.checked += 1
            new = renormalized(canonical)
            if new != canonical:
                holder = store.link_id_by_canonical(s, new)
                if holder is None:
                    store.set_canonical_url(s, link_id, new)
                    report.updated += 1
                else:
                    report.conflicts.append((holder, link_id))
        after = rows[-1][0]
    return report


@dataclass
class RehashReport:
    checked: int = 0
    updated: int = 0
    same_passage: list[tuple[int, int]] = field(default_factory=list)  # (quote kept, quote that is the same passage)


def rehash_quotes(s: Session, *, batch: int = 500) -> RehashReport:
    """Give every quote the ``quote_hash`` of today (typography normalized), in the caller's
    transaction. Two quotes of a link that are now the same passage are both kept (nothing an
    author collected is deleted behind their back): the later one's hash gets its id appended,
    and it is reported. Running it again changes nothing."""
    report = RehashReport()
    taken: dict[tuple[int, str], int] = {}
    after = 0
    while rows := store.quotes_after(s, after, batch):
        for quote_id, link_id, text, old in rows:
            report.checked += 1
            new = quote_hash(text)
            holder = taken.get((link_id, new))
            if holder is not None:
                new = f"{new}:{quote_id}"
                report.same_passage.append((holder, quote_id))
            else:
                taken[(link_id, new)] = quote_id
            if new != old:
                store.set_quote_hash(s, quote_id, new)
                report.updated += 1
        after = rows[-1][0]
    return report
