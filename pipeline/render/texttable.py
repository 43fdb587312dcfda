"""A Markdown table as plain text: aligned columns under a header rule, each column aligned
as the table says (``:--``, ``--:``, ``:-:``), two spaces between columns::

    Programm          Startzeit 2006  Startzeit 2026
    ----------------  --------------  --------------
    Textverarbeitung           1,8 s           3,1 s

Where the columns do not fit the width (72 characters, less inside a quote or a list), the
table becomes a readable list instead: one block per row, each cell on its own line after its
column's header ("Startzeit 2006: 1,8 s"), wrapped like any other text.

Widths are counted in characters as a monospaced font shows them: East Asian wide characters
count two, combining marks none.
"""

from __future__ import annotations

import unicodedata

from pipeline.render.wrapping import wrap

GAP = "  "


def display_width(text: str) -> int:
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d\u2060\ufeff":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, align: str) -> str:
    room = width - display_width(text)
    if align == "right":
        return " " * room + text
    if align == "center":
        left = room // 2
        return " " * left + text + " " * (room - left)
    return text + " " * room


def _one_line(cell: str) -> str:
    return " ".join(cell.split())


def render_table(head: list[str], rows: list[list[str]], aligns: list[str], width: int) -> str:
    """The table as aligned columns, or as a list where it is wider than ``width``."""
    columns = max([len(head)] + [len(r) for r in rows])
    head = [_one_line(c) for c in head] + [""] * (columns - len(head))
    rows = [[_one_line(c) for c in r] + [""] * (columns - len(r)) for r in rows]
    aligns = list(aligns) + ["none"] * (columns - len(aligns))
    widths = [max(display_width(r[i]) for r in [head] + rows) for i in range(columns)]
    if sum(widths) + len(GAP) * (columns - 1) > width:
        return as_list(head, rows, width)
    lines = []
    if any(head):
        lines.append(GAP.join(_pad(c, widths[i], aligns[i]) for i, c in enumerate(head)).rstrip())
        lines.append(GAP.join("-" * w for w in widths))
    lines += [GAP.join(_pad(c, widths[i], aligns[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    return "\n".join(lines)


def as_list(head: list[str], rows: list[list[str]], width: int) -> str:
    """A table too wide for the text: each row a block of 'Header: value' lines."""
    blocks = []
    for r in rows:
        lines = []
        for h, cell in zip(head, r):
            if not cell:
                continue
            lines.append(wrap(f"{h}: {cell}" if h else cell, width, indent="  "))
        blocks.append("\n".join(lines))
    return "\n\n".join(b for b in blocks if b)
