"""An issue's summary: what the archive index, the feeds' item description and the page's
meta description say about it.

It is, in this order: the draft's ``summary`` (front matter, set by the author); else its
``preheader``; else the first sentence of substance of the issue's plain text: the first
paragraph that is prose (not a heading, a quote, a list, code or a rule), without a
salutation line ("Hallo zusammen,", "Liebe Leserinnen und Leser,": a short first line
ending in a comma), cut after its first sentence that has :data:`MIN_WORDS` words or more
(so "Hello again." is passed over too), at most :data:`LIMIT` characters.

The plain text is used (not the draft) because a sent issue is summarized from its frozen
text, what was mailed (see :mod:`pipeline.render.archive`). Link references (`` [3]``),
footnote numbers (``¹``) and emphasis marks (``*so*``, ``_so_``) are taken out.
"""

from __future__ import annotations

import re

LIMIT = 200
SALUTATION_MAX = 60  # a first line this short that ends in a comma is a greeting
MIN_WORDS = 4  # a first sentence shorter than this ("Hello again.") is a greeting

_REF = re.compile(r" \[\d+\]")
_FOOTNOTE = "(?<=\\S)(?:{marks})(?=[\\s.,;:!?…)]|$)"
_NOTE_LINE = re.compile(r"^([⁰¹²³⁴⁵⁶⁷⁸⁹]+) ", re.M)  # a note in the text's list of notes: "¹ The note."
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
# A sentence ends at . ! ? … (maybe followed by closing marks) before a space and a capital,
# a digit or an opening mark, or at the end of the paragraph.
_SENTENCE_END = re.compile(r"[.!?…][»«“”\"')\]]*(?=\s+[A-ZÄÖÜ0-9„»«\"(])")
# Words before a period that do not end a sentence: abbreviations, and ordinals ("1. Dezember").
_NO_END = re.compile(r"(?:\b(?:Dr|Prof|St|Nr|Hr|Fr|bzw|ca|vgl|usw|etc|Mr|Mrs|Ms|vs|z\. ?B|d\. ?h|u\. ?a|[A-Za-z])|\d)\.$")


def summary_of(summary: str | None, preheader: str | None, text: str) -> str:
    """The summary by the rule above; ``text`` is the issue's plain text."""
    for given in (summary, preheader):
        if given is not None and given.strip():
            return given.strip()
    return first_sentence(text)


def _is_prose(para: str) -> bool:
    lines = para.split("\n")
    if para.startswith((">", "- ", "* * *", "    ")) or re.match(r"\d+\. ", para):
        return False
    if len(lines) >= 2 and re.fullmatch(r"[=-]+", lines[1]):  # a heading with its underline
        return False
    return True


def _clean(text: str, notes: set[str]) -> str:
    text = _REF.sub("", text)
    if notes:  # only the numbers of notes the text lists: "10 m²" keeps its square
        marks = "|".join(sorted(map(re.escape, notes), key=len, reverse=True))
        text = re.sub(_FOOTNOTE.format(marks=marks), "", text)
    text = _EMPHASIS.sub(r"\2", text)
    return " ".join(text.split())


def first_sentence(text: str, limit: int = LIMIT) -> str:
    """The first sentence of substance of a plain text (see the module docstring)."""
    greeted = False
    notes = set(_NOTE_LINE.findall(text))
    for para in text.split("\n\n"):
        para = para.strip("\n")
        if not para.strip() or not _is_prose(para):
            continue
        lines = para.split("\n")
        first = lines[0].strip()
        if first.endswith(",") and len(first) <= SALUTATION_MAX:
            greeted = True
            lines = lines[1:]  # "Liebe Leserinnen und Leser," on a line (or a paragraph) of its own
        prose = _clean(" ".join(lines), notes)
        if not prose:
            continue
        if greeted:  # the letter's "diese Woche ..." opens the summary: "Diese Woche ..."
            prose = prose[0].upper() + prose[1:]
        return _cut(_sentence(prose), limit)
    return ""


def _sentences(prose: str) -> list[str]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(prose):
        if not _NO_END.search(prose[: m.start() + 1]):
            out.append(prose[start: m.end()].strip())
            start = m.end()
    out.append(prose[start:].strip())
    return [s for s in out if s]


def _sentence(prose: str) -> str:
    """The first sentence that says something: an opener of a few words ("Hello again.",
    "Moin!") is a greeting too, and the next sentence is taken."""
    sentences = _sentences(prose)
    for s in sentences[:-1]:
        if len(s.split()) >= MIN_WORDS:
            return s
    return sentences[-1]


def _cut(sentence: str, limit: int) -> str:
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.–—") + "…"
