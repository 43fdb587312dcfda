"""Assemble picks into the next issue's draft: insert-only and idempotent.

``assemble(nl)`` finds the open draft in ``drafts/`` (front matter ``status: draft``), or
creates the next one, ``drafts/NNN-slug.md``, and adds one block per picked link that is
not yet placed in any issue::

    [Title](https://example.org/page) — Author, Site

    > A quoted passage.
    >
    > — [Site](https://example.org/page#:~:text=A%20quoted)

    <!-- note: the author's note, never published -->

    <!-- your commentary -->

New quotes of links drafted before are added too (``pipeline/draft/followups.py``). The text
goes above the draft's marker comment, else at the end (``pipeline/draft/marker.py``); what is
already in the file is never changed: removing the inserted text gives back the old bytes
exactly. A link counts as placed when the database says so (``Link.issue_number``, set right
after the file was written) or when its URL appears anywhere in any draft in ``drafts/``
(the author pasted it by hand, or a run stopped between writing the file and the database).
So running it again after the author edited, moved or deleted blocks adds only new picks.

How a block is written (and escaped) is ``pipeline/draft/blocks.py``.
"""

from __future__ import annotations

import html
import json
import os
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Sequence

from pipeline.collect.urls import url_key
from pipeline.draft import followups
from pipeline.draft.blocks import render_block
from pipeline.draft.followups import NewQuotes
from pipeline.draft.marker import insert_text
from pipeline.draft.format import Draft, list_drafts, parse_draft
from pipeline.draft.numbering import draft_title, next_issue_number
from pipeline.files import draft_path_of, private_dir, write_atomic
from pipeline.errors import LinkletterError
from pipeline.i18n import t
from pipeline.models import Link
from pipeline.store import issues as issue_store
from pipeline.store import links as link_store
from pipeline.store import manage as manage_store
from pipeline.store import picks as store
from pipeline.states import DraftStatus, IssueStatus

try:  # POSIX: serialize concurrent runs (CLI and scheduler) on one folder
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the prefix check still guards the file
    fcntl = None  # type: ignore[assignment]


# ---------------------------------------------------------------- is a link already in a draft?

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`\[\]{}|^]+", re.I)


def _trim(url: str) -> str:
    """A URL found in running text, without the punctuation or bracket that ends it."""
    while url:
        if url[-1] in ".,;:!?*_~'\"":
            url = url[:-1]
        elif url[-1] == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url


def _unescape(url: str) -> str:
    """Undo Markdown backslash escapes and HTML character references in a pasted URL."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", url))


@dataclass
class DraftIndex:
    """What the draft files hold, for finding links that are already in one of them."""

    texts: list[tuple[int, str]] = field(default_factory=list)  # (issue, text), by issue number
    keys: dict[str, int] = field(default_factory=dict)  # url_key -> first issue holding it
    holders: dict[str, set[int]] = field(default_factory=dict)  # url_key -> every issue holding it

    @classmethod
    def of(cls, drafts: Sequence[Draft], raw: dict[Path, bytes]) -> DraftIndex:
        index = cls()
        for d in drafts:
            text = raw[d.path].decode("utf-8", errors="replace")
            index.texts.append((d.issue, text))
            for m in _URL_IN_TEXT.finditer(text):
                key = url_key(_unescape(_trim(m.group(0))))
                index.keys.setdefault(key, d.issue)
                index.holders.setdefault(key, set()).add(d.issue)
        return index

    def issue_of(self, link: Link) -> int | None:
        """The number of the first draft where this link's URL appears, else None."""
        urls = [u for u in (link.url, link.canonical_url) if u]
        for u in urls:
            if url_key(u) in self.keys:
                return self.keys[url_key(u)]
        # A URL the pattern cannot take whole (brackets, quotes, a trailing dot) is searched
        # for as it is; every other URL in the drafts is already among the keys.
        odd = [u for u in urls if not _URL_IN_TEXT.fullmatch(u) or _trim(u) != u]
        for number, text in self.texts if odd else ():
            if any(_occurs(text, u) for u in odd):
                return number
        return None


    def issues_of(self, link: Link) -> set[int]:
        """Every draft where this link's URL appears (empty: none)."""
        found = {n for u in (link.url, link.canonical_url) if u for n in self.holders.get(url_key(u), ())}
        if not found and (first := self.issue_of(link)) is not None:
            found.add(first)
        return found


def _occurs(text: str, url: str) -> bool:
    """``url`` appears in ``text`` as a whole URL, not as the beginning of a longer one."""
    start = 0
    while (i := text.find(url, start)) >= 0:
        j = k = i + len(url)
        while k < len(text) and text[k] in ".,;:!?":
            k += 1
        if k == len(text) or text[k].isspace() or text[k] in ")]>\"'`*_|<" or (k == j and text[k] == "#"):
            return True
        start = i + 1
    return False


# ---------------------------------------------------------------- the open draft, or the next one


def slugify(text: str, fallback: str = "issue") -> str:
    """'Wöchentliche Lektüre' -> 'woechentliche-lektuere' (ASCII, at most 40 characters)."""
    text = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].rstrip("-")
    return slug or fallback


def _yaml_string(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: '#' and ':' stay text.
    return json.dumps(value, ensure_ascii=False)


def new_draft_text(*, number: int, title: str, language: str, blocks: Sequence[str] = ()) -> str:
    """A new draft: front matter, the intro placeholder, the blocks, and the marker above
    which later picks are inserted (``pipeline/draft/marker.py``)."""
    head = (f"---\nissue: {number}\ntitle: {_yaml_string(title)}\nstatus: draft\n---\n\n"
            f"{t(language, 'draft.intro')}\n")
    return "\n".join([head, *blocks, t(language, "picks.marker") + "\n"])


@dataclass(frozen=True)
class AssembleResult:
    path: Path  # the draft appended to (or created)
    issue: int
    created: bool  # the draft did not exist before (with write=False: would be created)
    text: str  # exactly what was (or would be) inserted; for a new draft, its whole text
    blocks: tuple[str, ...]  # one Markdown block per new link, then per link with new quotes
    placed: tuple[int, ...]  # ids of the links appended
    found: tuple[int, ...]  # ids of picks already in a draft by hand, recorded as placed
    written: bool  # False for a dry run
    at: int = 0  # the byte offset in the file where ``text`` was inserted (0 for a new draft)
    new_quotes: tuple[NewQuotes, ...] = ()  # quotes for links drafted before (see followups.py)

    @property
    def link_ids(self) -> tuple[int, ...]:
        """The ids of the links appended (same as ``placed``)."""
        return self.placed

    @property
    def nothing(self) -> bool:
        """Nothing was (or would be) written."""
        return not self.created and not self.text


class DraftChangedError(LinkletterError):
    """The draft changed on disk while new blocks were being assembled."""


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on the drafts folder itself, so a scheduled run and a command run
    never append at the same time. No lock file is left behind."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


folder_lock = _folder_lock  # for other writers of the drafts folder (the archive import)


def _open_draft(drafts: Sequence[Draft], statuses: dict[int, str]) -> Draft | None:
    """The draft new picks go to: the lowest-numbered file with status 'draft' whose issue is
    not already being sent or sent."""
    for d in drafts:
        if d.status == DraftStatus.DRAFT and statuses.get(d.issue) not in (IssueStatus.SENDING, IssueStatus.SENT):
            return d
    return None


def assemble(nl, *, write: bool = True, create_empty: bool = True, fetch: bool = False) -> AssembleResult:
    """Put every picked link not yet placed in an issue into the open draft (creating the next
    draft when none is open), and every new quote of a link drafted before where it belongs
    (``pipeline/draft/followups.py``). The text goes above the draft's marker, else at the end.
    ``create_empty=False`` (the scheduled job): no draft is created without something to put
    in it. ``fetch``: the pages of new picks not fetched yet are fetched first (a pick from the
    bookmarklet a moment ago), so their blocks have titles and sites. With ``write=False``
    nothing is written or fetched: the result says what would be inserted."""
    folder = nl.settings.drafts_dir
    if not write:
        return _assemble(nl, folder, write=False, create_empty=create_empty)
    if fetch:
        from pipeline.collect.links import fetch_pages

        with nl.session() as session:
            waiting = [lk.id for lk in store.unplaced_picks(session) if lk.fetch_status == "pending"]
        if waiting:
            fetch_pages(nl, waiting)
    private_dir(folder)
    with _folder_lock(folder):
        return _assemble(nl, folder, write=True, create_empty=create_empty)


def _assemble(nl, folder: Path, *, write: bool, create_empty: bool) -> AssembleResult:
    settings = nl.settings
    drafts = list_drafts(folder)  # a broken draft anywhere is an error before anything is written
    raw = {d.path: d.path.read_bytes() for d in drafts}
    index = DraftIndex.of(drafts, raw)

    with nl.session() as session:
        if write:  # a renumbered draft takes its links along (recorded before anything is read)
            for link_id, was, now in followups.renumbered(session, index, drafts):
                manage_store.move_placement(session, link_id, was, now)
    with nl.session() as session:
        statuses = store.issue_statuses(session, [d.issue for d in drafts])
        highest_db = store.highest_issue_number(session)
        open_draft = _open_draft(drafts, statuses)
        picks = store.unplaced_picks(session)
        found = {link.id: n for link in picks if (n := index.issue_of(link)) is not None}
        new = [link for link in picks if link.id not in found]
        quotes = link_store.quotes_for_links(session, [link.id for link in picks])
        later = followups.plan(session, index, drafts, statuses, open_draft.issue if open_draft else None,
                               settings.language)

    written = [q for q in later if q.kind != followups.WAITING]
    blocks = tuple(render_block(link, quotes.get(link.id, []), settings.language) for link in new)
    blocks += tuple(q.block for q in written if q.kind == followups.REPEAT)
    blocks += tuple(q.block for q in written if q.kind == followups.OPEN)
    if open_draft is None and not blocks and not create_empty:
        return AssembleResult(path=folder, issue=0, created=False, text="", blocks=(), placed=(),
                              found=tuple(found), written=False, new_quotes=tuple(later))
    if open_draft is not None:
        path, number, created = open_draft.path, open_draft.issue, False
        title, old = open_draft.title, raw[open_draft.path]
        text, at = insert_text(old.decode("utf-8"), "\n".join(blocks)) if blocks else ("", len(old))
        at = len(old.decode("utf-8")[:at].encode("utf-8"))
    else:
        number = next_issue_number(settings, [d.issue for d in drafts] + [highest_db])
        title = draft_title(settings, number)
        path = folder / f"{number:03d}-{slugify(settings.title, t(settings.language, 'draft.slug'))}.md"
        created, old, at = True, b"", 0
        text = new_draft_text(number=number, title=title, language=settings.language, blocks=blocks)

    later = tuple(q if q.kind == followups.WAITING else replace(q, issue=number) for q in later)
    result = AssembleResult(path=path, issue=number, created=created, text=text, blocks=blocks,
                            placed=tuple(link.id for link in new), found=tuple(found), written=write, at=at,
                            new_quotes=later)
    if write:
        _write(nl, result, old, quotes, found, title)
    return result


def _write(nl, result: AssembleResult, old: bytes, quotes: dict, found: dict[int, int], title: str) -> None:
    """Write the draft (refusing one that changed meanwhile), then record what it holds."""
    path, number, text = result.path, result.issue, result.text
    if text:
        newline = "\r\n" if b"\r\n" in old else "\n"
        data = old[:result.at] + text.replace("\n", newline).encode("utf-8") + old[result.at:]
        parse_draft(data.decode("utf-8"), path)  # never write a draft that cannot be read back
        if result.created and path.exists():
            raise LinkletterError(f"{path} exists already but does not hold an open draft; rename it so "
                                  f"the draft of issue {number} can be created")
        if not result.created and path.read_bytes() != old:
            raise DraftChangedError(f"{path} changed while the draft was being assembled; nothing was "
                                    f"inserted, run again")
        write_atomic(path, data, new_mode=0o600)  # drafts may name readers: owner-only

    # Only now, with the file on disk, record what it holds.
    with nl.session() as session:
        slug = path.stem.split("-", 1)[1] if "-" in path.stem else path.stem
        issue_store.ensure_issue(session.connection(), number=number, slug=slug, title=title, subject="",
                                 draft_path=draft_path_of(path, nl.settings.root))
        store.mark_placed(session, result.placed, number)
        manage_store.mark_quotes_placed(session, [q.id for i in result.placed for q in quotes[i]], number)
        later = [q for q in result.new_quotes if q.kind != followups.WAITING]
        manage_store.mark_quotes_placed(session, [i for q in later for i in q.quote_ids], number)
        for issue in sorted(set(found.values())):
            ids = [i for i, n in found.items() if n == issue]
            store.mark_placed(session, ids, issue)
            manage_store.mark_quotes_placed(session, [q.id for i in ids for q in quotes[i]], issue)


