"""Limits a draft must keep before any parser (YAML, markdown-it.rs, html5ever, css-inline)
sees it: native parsers and the recursive renderers crash or run out of stack on hostile
nesting (a thousand ``>``, twenty thousand ``<b>``), so the nesting is measured here with
plain loops over the text, and a draft over a limit is refused with the line it happens on.

The limits are far above anything a newsletter writes (a quote in a list in a quote is
three levels) and far below where anything breaks (about a thousand levels).
"""

from __future__ import annotations

import re

MAX_DRAFT_BYTES = 4 * 1024 * 1024  # a long issue is ~50 KB
MAX_FRONT_MATTER_CHARS = 16 * 1024  # seven short keys
MAX_NESTING = 32  # quotes and lists inside each other, and HTML elements inside each other
MAX_DELIMITER_RUN = 64  # '*', '_', '~' in a row (each pair can open one more emphasis level)

# One container marker at the start of a line: a quote '>' or a list item '- ', '1. '.
_CONTAINER = re.compile(r"[ \t]{0,3}(?:>|[-+*][ \t]+|\d{1,9}[.)][ \t]+)")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*?(/?)>")
_DELIMITERS = re.compile(r"[*_~]{%d,}" % (MAX_DELIMITER_RUN + 1))
_RULE = re.compile(r"^[ \t]*(?:[*_-][ \t]*){3,}$")  # a thematic break: no emphasis there
# Elements HTML closes by itself (or that have no content): not counted as nesting.
_UNNESTED = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                       "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "tbody", "thead"})


def _container_depth(line: str) -> int:
    """Quote and list markers that open a line, plus its indentation in list steps."""
    lead = line[: len(line) - len(line.lstrip(" \t"))]
    # a nested list needs 2 to 4 more columns per level; counting 4 keeps deep code indentation
    # legal and still bounds a list nested by indentation alone to twice the limit
    depth, pos = len(lead.expandtabs(4)) // 4, len(lead)
    while True:
        m = _CONTAINER.match(line, pos)
        if not m or m.end() == pos:
            return depth
        depth += 1
        pos = m.end()


def nesting_problem(text: str) -> tuple[int, str] | None:
    """(1-based line of ``text``, reason) of the first place over a limit, else None. Linear
    in the length of the text; never recursive."""
    html_depth = 0
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            html_depth = 0  # Markdown leaf blocks end at a blank line; each is balanced on its own
            continue
        if _container_depth(line) > MAX_NESTING:
            return number, (f"quotes or lists are nested more than {MAX_NESTING} levels deep "
                            f"(too deep to render safely)")
        if not _RULE.match(line) and _DELIMITERS.search(line):
            return number, (f"more than {MAX_DELIMITER_RUN} '*', '_' or '~' in a row "
                            f"(too deep to render safely); escape them as \\*")
        if "<" in line:
            for m in _TAG.finditer(line):
                closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
                if name in _UNNESTED or self_closing:
                    continue
                html_depth = max(html_depth - 1, 0) if closing else html_depth + 1
                if html_depth > MAX_NESTING:
                    return number, (f"HTML elements are nested more than {MAX_NESTING} levels deep "
                                    f"(too deep to render safely)")
    return None
