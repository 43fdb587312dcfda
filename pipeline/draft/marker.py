"""Where new picks go in a draft: above the author's marker comment, else at the end.

A new draft ends with the marker ``<!-- linkletter:new-picks … -->`` (see
``pipeline/i18n/picks.py``); the author may move it, e.g. above the sign-off, or delete it
(then new picks are appended at the end, as before). Everything else in the file stays byte
for byte: the new text is inserted at the start of the marker's line.
"""

from __future__ import annotations

import re

MARKER_TAG = "linkletter:new-picks"
_MARKER = re.compile(r"[ \t]{0,3}<!--[ \t]*" + re.escape(MARKER_TAG) + r"(?![\w-]).*-->[ \t]*\r?")
_FENCE = re.compile(r"[ \t]{0,3}(```|~~~)")


def marker_offset(text: str) -> int | None:
    """The offset in ``text`` where the first marker line starts (a marker inside a fenced
    code block is an example, not the marker), else None."""
    pos, fence = 0, None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if m:
            fence = None if fence == m.group(1) else (fence or m.group(1))
        elif fence is None and _MARKER.fullmatch(line):
            return pos
        pos += len(line) + 1
    return None


def insert_text(old: str, blocks: str) -> tuple[str, int]:
    """(the text to put into ``old``, the offset where it goes): before the marker with a
    blank line on both sides, else at the end starting a new paragraph. ``blocks`` ends
    with a newline."""
    at = marker_offset(old)
    plain = old.replace("\r\n", "\n")
    if at is None:
        if not plain.strip() or plain.endswith("\n\n"):
            return blocks, len(old)
        return ("\n" if plain.endswith("\n") else "\n\n") + blocks, len(old)
    before = old[:at].replace("\r\n", "\n")
    lead = "" if not before.strip() or before.endswith("\n\n") else "\n"
    return lead + blocks + "\n", at
