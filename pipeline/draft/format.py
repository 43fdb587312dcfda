"""The draft file format: YAML front matter between ``---`` lines, then Markdown.

```
---
issue: 12
title: "Weekly Reads #12: On slowness"
subject: "On slowness"            # optional, else the title
preheader: "Six links on ..."     # optional
summary: "What the archive says"  # optional, else the preheader, else the first sentence
status: draft                     # draft | ready | sent
send_at: 2026-12-01T07:00:00+01:00  # optional, ISO 8601 with offset
date: 2026-12-01T07:00:12+01:00   # set when sent (or by hand): the publication date
imported_from: https://old.example/p/12  # set by `archive import`: the issue's old address
---
Markdown body ...
```

Every problem is a :class:`DraftError` naming the file and line. Updates touch only the
front matter lines they change, so the author's text stays byte for byte as it was.

A hostile draft is refused before a parser sees it (see :mod:`pipeline.draft.bounds`): the
file and its front matter are bounded in size, YAML aliases (``*name``, the "billion laughs")
are refused, and the body's nesting is bounded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date as date_type
from datetime import datetime, timezone
from pathlib import Path

import yaml

from pipeline.draft.bounds import MAX_DRAFT_BYTES, MAX_FRONT_MATTER_CHARS, nesting_problem
from pipeline.errors import DraftError
from pipeline.files import write_atomic
from pipeline.states import DRAFT_STATUSES, DraftStatus

STATUSES = DRAFT_STATUSES
KEYS = ("issue", "title", "subject", "preheader", "summary", "status", "send_at", "date", "imported_from")
_FENCE = re.compile(r"^---[ \t]*\r?$", re.M)


@dataclass(frozen=True)
class Draft:
    path: Path
    issue: int
    title: str
    status: str
    subject: str | None
    preheader: str | None
    send_at: datetime | None
    date: datetime | None
    body: str
    body_line: int  # the file line (1-based) where the body starts
    issue_line: int = 2  # the file line of the 'issue' key
    key_lines: dict[str, int] = field(default_factory=dict, compare=False)  # front matter key -> file line
    summary: str | None = None  # what the archive and feeds say about the issue (pipeline/render/summary.py)
    # an earlier issue brought in by `linkletter archive import`: where it was published before
    # (its old URL, which the site redirects to the new page, or the export's id for it)
    imported_from: str | None = None

    @property
    def subject_line(self) -> str:
        """What goes into the Subject header: ``subject``, else ``title``."""
        return self.subject or self.title

    @property
    def slug(self) -> str:
        m = re.match(r"^\d+-(.+)$", self.path.stem)
        return m.group(1) if m else self.path.stem

    @property
    def published(self) -> bool:
        return self.status == DraftStatus.SENT


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """(front matter text, body, body line). The file must start with a '---' line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0]
    if not _FENCE.fullmatch(first):
        raise DraftError(path, 1, "a draft must start with front matter: a line '---', YAML keys "
                                  "(issue, title, status, ...), and another line '---'")
    rest = text[len(first) + 1:]
    m = _FENCE.search(rest)
    if not m:
        raise DraftError(path, 1, "the front matter opened on line 1 is never closed with a line '---'")
    fm = rest[: m.start()]
    body_start = m.end() + 1 if m.end() < len(rest) and rest[m.end()] == "\n" else m.end()
    body = rest[body_start:]
    body_line = 2 + fm.count("\n") + 1
    return fm, body, body_line


class _Loader(yaml.SafeLoader):
    """YAML without aliases: seven scalar keys need none, and an alias bomb (anchors
    referring to anchors, a few hundred bytes) expands to gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in front matter",
                                              event.start_mark)
        return super().compose_node(parent, index)


def _key_lines(fm: str) -> dict[str, int]:
    """Line (in the file) of each top-level key of the front matter."""
    try:
        node = yaml.compose(fm, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 2 for k, _v in node.value if isinstance(k, yaml.ScalarNode)}


def _text_value(data: dict, key: str, err, path: Path, required: bool = False) -> str | None:
    v = data.get(key)
    if v is None:
        if required:
            raise DraftError(path, 2, f"the front matter has no '{key}'")
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = str(v)
    if not isinstance(v, str):
        raise err(key, f"'{key}' must be text, got {type(v).__name__}")
    if "\r" in v or "\n" in v:
        raise err(key, f"'{key}' must be a single line")
    if any("\ud800" <= ch <= "\udfff" for ch in v):  # YAML's \u escapes can make lone surrogates
        raise err(key, f"'{key}' holds an escaped UTF-16 surrogate (\\ud800-\\udfff), which is no character; "
                       f"write the character itself")
    return v.strip()


def _when(data: dict, key: str, err) -> datetime | None:
    v = data.get(key)
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v.strip())
        except ValueError:
            raise err(key, f"'{key}' must be an ISO 8601 date and time with offset, "
                           f"e.g. 2026-12-01T07:00:00+01:00, got {v!r}") from None
    elif isinstance(v, date_type) and not isinstance(v, datetime):
        if key == "send_at":
            raise err(key, "'send_at' needs a time and an offset, e.g. 2026-12-01T07:00:00+01:00")
        v = datetime(v.year, v.month, v.day, tzinfo=timezone.utc)
    if not isinstance(v, datetime):
        raise err(key, f"'{key}' must be a date and time, got {v!r}")
    if v.tzinfo is None:
        raise err(key, f"'{key}' needs an offset such as +01:00 or Z, so the time is unambiguous")
    return v


def parse_draft(text: str, path: Path) -> Draft:
    path = Path(path)
    fm, body, body_line = split_front_matter(text, path)
    if len(fm) > MAX_FRONT_MATTER_CHARS:
        raise DraftError(path, 2, f"the front matter is {len(fm):,} characters long; at most "
                                  f"{MAX_FRONT_MATTER_CHARS:,} are read (it holds a few short keys)")
    problem = nesting_problem(body)
    if problem is not None:
        raise DraftError(path, body_line + problem[0] - 1, problem[1])
    try:
        data = yaml.load(fm, Loader=_Loader) if fm.strip() else {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 2 if mark else 2
        problem = getattr(e, "problem", None) or str(e)
        raise DraftError(path, line, f"the front matter is not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise DraftError(path, 2, "the front matter must be 'key: value' lines")
    lines = _key_lines(fm)

    def err(key: str, msg: str) -> DraftError:
        return DraftError(path, lines.get(key, 2), msg)

    for key in data:
        if key not in KEYS:
            raise err(str(key), f"unknown front matter key {key!r}; known keys: {', '.join(KEYS)}")

    issue = data.get("issue")
    if issue is None:
        raise DraftError(path, 2, "the front matter has no 'issue' number")
    if isinstance(issue, bool) or not isinstance(issue, int) or issue < 1:
        raise err("issue", f"'issue' must be a whole number from 1 up, got {issue!r}")

    status = data.get("status", "draft")
    if status not in STATUSES:
        raise err("status", f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")

    title = _text_value(data, "title", err, path) or ""
    subject = _text_value(data, "subject", err, path)
    preheader = _text_value(data, "preheader", err, path)
    summary = _text_value(data, "summary", err, path)

    return Draft(path=path, issue=issue, title=title, status=status, subject=subject, preheader=preheader,
                 send_at=_when(data, "send_at", err), date=_when(data, "date", err), body=body, body_line=body_line,
                 issue_line=lines.get("issue", 2), key_lines=lines, summary=summary,
                 imported_from=_text_value(data, "imported_from", err, path))


def read_draft(path: str | os.PathLike) -> Draft:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DraftError(path, None, f"cannot read the draft: {e.strerror or e}") from None
    return decode_draft(raw, path)


def decode_draft(raw: bytes, path: Path) -> Draft:
    """The draft in ``raw``, the bytes of the file at ``path``."""
    if len(raw) > MAX_DRAFT_BYTES:
        raise DraftError(path, None, f"the draft is {len(raw):,} bytes long; at most {MAX_DRAFT_BYTES:,} are read")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DraftError(path, line, "the draft is not UTF-8 text") from None
    return parse_draft(text, path)


def is_draft_file(path: Path) -> bool:
    """Markdown files in drafts/, less editor lock and backup files (dotfiles) and a README."""
    return path.is_file() and not path.name.startswith((".", "#")) and path.name.lower() != "readme.md"


def list_drafts(drafts_dir: str | os.PathLike) -> list[Draft]:
    """Every draft in the folder, ordered by issue number. Two drafts with the same issue
    number are an error naming both files."""
    drafts_dir = Path(drafts_dir)
    if not drafts_dir.is_dir():
        return []
    drafts = [read_draft(p) for p in sorted(drafts_dir.glob("*.md")) if is_draft_file(p)]
    seen: dict[int, Draft] = {}
    for d in drafts:
        if d.issue in seen:
            other = seen[d.issue]
            raise DraftError(d.path, d.issue_line, f"issue {d.issue} is already used by {other.path.name}")
        seen[d.issue] = d
    return sorted(drafts, key=lambda d: d.issue)


def read_drafts_leniently(drafts_dir: str | os.PathLike) -> tuple[list[Draft], list[DraftError]]:
    """Every draft that can be read, and the errors of those that cannot (an author in the
    middle of an edit). Duplicate issue numbers are not checked here: see ``list_drafts``."""
    drafts, errors = [], []
    for path in sorted(Path(drafts_dir).glob("*.md")):
        if is_draft_file(path):
            try:
                drafts.append(read_draft(path))
            except DraftError as e:
                errors.append(e)
    return drafts, errors


def find_draft(drafts_dir: str | os.PathLike, ref: str) -> Path:
    """A draft named on the command line: a path, a file name in drafts/, or an issue number."""
    p = Path(ref)
    if p.is_file():
        return p.resolve()
    drafts_dir = Path(drafts_dir)
    if (drafts_dir / ref).is_file():
        return (drafts_dir / ref).resolve()
    if ref.isdigit():
        for d in list_drafts(drafts_dir):
            if d.issue == int(ref):
                return d.path.resolve()
    from pipeline.errors import LinkletterError

    raise LinkletterError(f"no draft {ref!r}: give a file, a name in {drafts_dir}, or an issue number")


def _yaml_scalar(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return yaml.safe_dump(value, allow_unicode=True, width=10**6).strip().removesuffix("...").strip()


def update_front_matter(path: str | os.PathLike, **changes) -> Draft:
    """Set front matter keys (e.g. status='sent', date=...) and keep every other byte of the
    file as it was. Returns the draft as read back."""
    return update_front_matter_with(path, lambda _draft: changes)


def update_front_matter_with(path: str | os.PathLike, decide) -> Draft:
    """Like :func:`update_front_matter`, with the changes ``decide(draft)`` returns for the
    draft as it is in the file now (read once); no changes: the file is not written."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DraftError(path, None, f"cannot read the draft: {e.strerror or e}") from None
    current = decode_draft(raw, path)  # refuse to touch a broken draft
    changes = decide(current)
    if not changes:
        return current
    text = raw.decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom):]
    first = text.split("\n", 1)[0]
    rest = text[len(first) + 1:]
    m = _FENCE.search(rest)
    fm, tail = rest[: m.start()], rest[m.start():]
    for key, value in changes.items():
        if key not in KEYS:
            raise ValueError(f"unknown front matter key {key!r}")
        line = f"{key}: {_yaml_scalar(value)}"
        pattern = re.compile(rf"^{re.escape(key)}[ \t]*:.*$", re.M)
        if pattern.search(fm):
            fm = pattern.sub(lambda _m: line, fm, count=1)
        else:
            fm = fm + ("" if fm.endswith("\n") or not fm else "\n") + line + "\n"
    data = (bom + first + "\n" + fm + tail).encode("utf-8")
    updated = decode_draft(data, path)
    write_atomic(path, data)
    return updated
