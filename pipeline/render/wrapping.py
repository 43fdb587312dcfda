"""Plain text wrapped for reading: at ASCII spaces only (never inside a word, never at a
non-breaking space), greedy, and never directly inside a pair of quotation marks set off by
spaces nor after an opening mark (see :func:`wrap`)."""

from __future__ import annotations

import re

WIDTH = 72


def wrap(text: str, width: int, indent: str = "") -> str:
    """Wrap at ASCII spaces only: never inside a word, never at a non-breaking space.
    Greedy like textwrap, but cutting with str.rfind instead of a loop over words."""
    width = max(width, 20)
    out: list[str] = []
    for line in text.split("\n"):
        if "  " in line:
            line = _SPACES.sub(" ", line)
        line = line.strip(" ")
        if _GLUE_CHARS.intersection(line):
            line = _glued(line)
        while len(line) > width:
            first = len(indent) + 1 if indent and line.startswith(indent) else 1  # never cut inside the indent
            cut = line.rfind(" ", first, width + 1)
            if cut == -1:
                cut = line.find(" ", max(width, first))  # a word longer than the line: keep it whole
                if cut == -1:
                    break
            out.append(line[:cut].rstrip(" "))
            line = indent + line[cut + 1:].lstrip(" ")
        out.append(line)
    return "\n".join(out).strip("\n").replace(_GLUE, " ")


_SPACES = re.compile(" {2,}")

# Quotation marks set off by a space (French « Non. », Swiss « C’est », a lone „ or “) stay
# on the line of the word they belong to: the space after an opening mark and the space
# before a closing mark are no place to break. A mark inside a word (»Zitat«, „Wort“) has
# no space to break at anyway.
_OPENING = "„«‹‚"
_CLOSING = "“”»›‘’"
_GLUE_CHARS = frozenset(_OPENING + _CLOSING)
_GLUE = "\x00"  # stands for a space that must not break while a line is wrapped
_AFTER_OPENING = re.compile(rf"(?:^|(?<= ))([{_OPENING}]) ")
_BEFORE_CLOSING = re.compile(rf" ([{_CLOSING}])(?=$|[ .,;:!?…)\]])")


def _glued(line: str) -> str:
    line = line.replace(_GLUE, "")
    line = _AFTER_OPENING.sub(lambda m: m.group(1) + _GLUE, line)
    return _BEFORE_CLOSING.sub(lambda m: _GLUE + m.group(1), line)
