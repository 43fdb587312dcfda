"""Where each earlier issue goes: its number, its draft file and the file's text.

Numbering: ``first_number`` numbers the new issues from there in date order; without it, the
platform's own numbers (Buttondown's, Curated's, or a number in the title such as "No 26")
are kept when every new issue has one, else they are numbered in date order after the
highest number an earlier import used (from 1 in a new folder). A number that an existing
draft or issue already holds is an error before anything is written. Issues whose
``imported_from`` an existing draft already carries are left alone: importing again changes
nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from pipeline.backissues.readers import ExportError, OldIssue
from pipeline.draft.format import Draft, parse_draft


@dataclass(frozen=True)
class PlannedIssue:
    old: OldIssue
    number: int
    path: Path
    text: str


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def draft_text(old: OldIssue, number: int) -> str:
    from pipeline.collect.text import one_line

    lines = ["---", f"issue: {number}", f"title: {_yaml(one_line(old.title))}"]
    if old.summary and one_line(old.summary):
        lines.append(f"preheader: {_yaml(one_line(old.summary))}")
    lines += ["status: sent", f"date: {old.date.isoformat()}", f"imported_from: {_yaml(one_line(old.key))}", "---", ""]
    return "\n".join(lines) + "\n" + old.body.strip() + "\n"


def _numbers(new: Sequence[OldIssue], drafts: Sequence[Draft], first_number: int | None) -> list[int]:
    if first_number is not None:
        return list(range(first_number, first_number + len(new)))
    own = [o.number for o in new]
    if all(n is not None for n in own) and len(set(own)) == len(own):
        return own  # type: ignore[return-value]
    start = max((d.issue for d in drafts if d.imported_from), default=0) + 1
    return list(range(start, start + len(new)))


def plan_import(old_issues: Sequence[OldIssue], drafts: Sequence[Draft], taken_in_db: set[int], drafts_dir: Path,
                *, first_number: int | None = None) -> tuple[list[PlannedIssue], list[tuple[OldIssue, Draft]]]:
    """(the issues to write, the ones already imported with the draft holding each)."""
    from pipeline.draft.assemble import slugify

    imported = {d.imported_from: d for d in drafts if d.imported_from}
    seen: set[str] = set()
    new, again = [], []
    for old in old_issues:
        if old.key in imported:
            again.append((old, imported[old.key]))
        elif old.key not in seen:
            seen.add(old.key)
            new.append(old)
    new.sort(key=lambda o: (o.date, o.number or 0))
    taken = {d.issue: d.path.name for d in drafts}
    planned = []
    for old, number in zip(new, _numbers(new, drafts, first_number)):
        if number in taken or number in taken_in_db:
            holder = taken.get(number, "the database (an issue sent or being written)")
            raise ExportError(f"{old.where}: issue number {number} ({old.title!r}) is already taken by {holder}; "
                              f"nothing was imported. Number the imported issues with --first-number N")
        taken[number] = old.title
        path = drafts_dir / f"{number:03d}-{slugify(old.title, 'ausgabe')}.md"
        text = draft_text(old, number)
        try:
            parse_draft(text, path)
        except Exception as e:  # noqa: BLE001 (a DraftError names what is wrong; say which old issue it was)
            raise ExportError(f"{old.where}: the issue cannot be written as a draft: {e}") from None
        planned.append(PlannedIssue(old=old, number=number, path=path, text=text))
    return planned, again
