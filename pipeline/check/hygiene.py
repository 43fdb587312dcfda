"""What a careful editor looks at before sending, besides quotes and links: a title and a
subject of a sensible length and without line breaks (also none hidden in =?...?= encoded words),
alt text on images, no link without text, and nothing left
over from assembly (the draft assembler's HTML comment placeholders, TODO, TK, FIXME)."""

from __future__ import annotations

import re

from pipeline.check.report import Finding
from pipeline.i18n import STRINGS
from pipeline.draft.format import Draft
from pipeline.render.cites import Cites
from pipeline.send.headers import header_problem

# Mail clients cut subjects around here; longer ones still work, but the end goes unread.
SUBJECT_MAX = 78
_MARKERS = re.compile(r"(?<![\w/.-])(TODO|FIXME|TK|XXX)(?![\w/.-])")
_URL = re.compile(r"https?://\S+|\]\([^)]*\)")


def assembly_placeholders() -> list[str]:
    """The HTML comments the draft assembler leaves for the author to replace, every language."""
    found = {v for key, langs in STRINGS.items() if key.startswith("draft.")
             for v in langs.values() if v.startswith("<!--")}
    return sorted(found)


def _note_comment() -> re.Pattern[str]:
    """An author's note as the assembler writes it (``<!-- note: … -->``), every language."""
    words = sorted({v for v in STRINGS["picks.note"].values()}, key=len, reverse=True)
    return re.compile(r"<!--\s*(?:" + "|".join(map(re.escape, words)) + r")\s*:", re.I)


def notes_in_quotes(draft: Draft, doc: Cites) -> list[Finding]:
    """An author's note left inside a blockquote: readers never see it, but it sits inside
    what is presented as someone else's words, so it was probably moved there by mistake."""
    lines = draft.body.split("\n")
    pattern = _note_comment()
    out = []
    for q in doc.quotes:
        for number in range(q.line, q.end_line + 1):
            i = number - draft.body_line
            if 0 <= i < len(lines) and pattern.search(lines[i]):
                out.append(Finding("warning", "hygiene", "note-in-quote", number,
                                   "an author's note is inside quoted text; move it out of the quote", {}))
    return out


def _front_matter_line(draft: Draft, key: str) -> int:
    """The file line of front matter ``key`` (1 when it can't be found)."""
    return draft.key_lines.get(key, 1)


def check_hygiene(draft: Draft, doc: Cites) -> list[Finding]:
    out: list[Finding] = []

    def add(severity: str, code: str, line: int | None, message: str, **details) -> None:
        out.append(Finding(severity, "hygiene", code, line, message, details))

    problem = header_problem(draft.subject_line)
    if problem:  # the Subject header of every mail: the send refuses it
        key = "subject" if draft.subject else "title"
        add("error", "header-control", _front_matter_line(draft, key),
            f"the {key} {problem}; it goes into the Subject header, where a line break could add headers",
            text=draft.subject_line[:200])
    if not draft.title.strip():
        add("error", "title-missing", 1, "the draft has no title (front matter 'title')")
    subject = draft.subject_line.strip()
    if not subject:
        add("error", "subject-missing", 1, "the draft has no subject (front matter 'subject', else 'title')")
    elif len(subject) > SUBJECT_MAX:
        add("warning", "subject-long", 1, f"the subject is {len(subject)} characters long; mail clients show "
                                          f"about {SUBJECT_MAX}, the rest may go unread", subject=subject)
    if not draft.body.strip():
        add("error", "body-empty", draft.body_line, "the draft has no text")

    for image in doc.images:
        if not image.alt:
            add("warning", "image-alt", image.line, f"image without alt text: {image.src}", url=image.src)
    for link in doc.links:
        if not link.text and not link.has_image:
            add("error", "link-empty-text", link.line, f"link without text (readers cannot see it): {link.url}",
                url=link.url)

    out += notes_in_quotes(draft, doc)
    lines = draft.body.split("\n")
    placeholders = assembly_placeholders()
    in_fence = False
    for i, line in enumerate(lines):
        number = draft.body_line + i
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        for p in placeholders:
            if p in line:
                add("error", "placeholder", number, f"placeholder left from assembly: {p}", text=p)
        if in_fence:
            continue
        for m in _MARKERS.finditer(_URL.sub(" ", line)):
            # 'TK' is also a German abbreviation (a health insurer, Telekom): a warning, not an error
            level = "warning" if m.group(1) == "TK" else "error"
            add(level, "placeholder", number, f"'{m.group(1)}' marks unfinished text", text=m.group(1))
    return out
