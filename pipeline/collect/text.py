"""External HTML to plain text, and the identity of a quote.

Everything Linkletter keeps from feeds and pages is plain text: paragraphs separated by one
blank line, whitespace inside a paragraph collapsed. Markup from outside is parsed (never
matched with patterns) and only its text is kept; script and style contents are dropped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pipeline.typography import normalize, without_enclosing_marks

# lxml and nh3 are imported where HTML is read, so commands that only read the database
# (`links`, `pick`) and use the plain-text helpers here do not load them.

# Elements whose end starts a new paragraph.
BLOCKS = frozenset({
    "p", "div", "blockquote", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "table", "tr", "section", "article", "header", "footer", "aside", "figure", "figcaption",
    "hr", "address", "details", "summary", "main", "nav", "form", "fieldset",
})
DROP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head", "title"})
_MARK = "\x00"  # paragraph break marker while walking the tree
# What must never reach a terminal or a file from outside: C0 and C1 control characters (ESC
# starts a terminal escape sequence, U+009B is one on its own) and the bidirectional overrides
# that make text read otherwise than it is stored. Tab and line breaks are whitespace here.
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """The text without control characters (whitespace stays)."""
    return CONTROLS.sub("", text)


def normalize_text(text: str) -> str:
    """Paragraphs (split at blank lines) with their inner whitespace collapsed, joined by one
    blank line; no control characters."""
    text = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    paras = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paras if p)


def one_line(text: str | None) -> str:
    """All whitespace (line breaks too) collapsed and control characters removed: for titles,
    names, error messages and the like."""
    return " ".join(strip_controls(text or "").split())


def quote_hash(text: str) -> str:
    """sha256 of the text after the check's typography normalization (whitespace, quotation
    marks, dashes, soft hyphens, case: ``pipeline.typography.normalize``): the same passage is
    one quote, however it was wrapped or typeset."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def parse_fragment(html: str):
    """A parsed HTML fragment in a <div>, or None when there is nothing to parse."""
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def _walk(el, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag.lower() in DROP or not tag:  # comments and processing instructions: skip, keep tail
        pass
    else:
        block = tag.lower() in BLOCKS
        if block:
            out.append(_MARK)
        if tag.lower() == "br":
            out.append("\n")
        if el.text:
            out.append(el.text)
        for child in el:
            _walk(child, out)
        if block:
            out.append(_MARK)
    if el.tail:
        out.append(el.tail)


def element_text(el) -> str:
    """The plain text of a parsed element, paragraphs separated by blank lines."""
    out: list[str] = []
    if el.text:
        out.append(el.text)
    for child in el:
        _walk(child, out)
    raw = "".join(out)
    # a <br> is a line break inside a paragraph: keep it as a space for quote matching
    raw = raw.replace("\n", " ").replace(_MARK, "\n\n")
    return normalize_text(raw)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment (markup removed, entities decoded, scripts dropped)."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return normalize_text(html)
    root = parse_fragment(html)
    return element_text(root) if root is not None else ""


@dataclass
class Passage:
    """A quoted passage of a feed entry: its words, and whom and where it cites (a
    blockquote's ``<cite>``, ``<footer>`` or its figure's ``<figcaption>``, or its ``cite``
    attribute). ``cite_url`` is as written (relative URLs are the caller's to resolve)."""

    text: str
    cite_text: str | None = None
    cite_url: str | None = None


_ATTRIBUTION = ("cite", "footer", "figcaption")


def _attribution(bq) -> tuple[list, str | None, str | None]:
    """The elements of a blockquote that name its source (not the quote's words), the
    attribution's text and its link."""
    els = [c for c in bq if isinstance(c.tag, str) and c.tag.lower() in _ATTRIBUTION]
    parent = bq.getparent()
    if parent is not None and isinstance(parent.tag, str) and parent.tag.lower() == "figure":
        els += [c for c in parent if isinstance(c.tag, str) and c.tag.lower() == "figcaption"]
    text = one_line(" ".join(element_text(e) for e in els)).lstrip("—–-― ").strip() or None
    href = next((a.get("href") for e in els for a in e.iter("a") if a.get("href")), None) or bq.get("cite")
    return els, text, (href or "").strip() or None


def _lines_text(root) -> str:
    """The text of a parsed fragment with its line breaks kept (a note written as plain text
    or Markdown: a list stays a list)."""
    raw = strip_controls("".join(root.itertext()).replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) for line in raw.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def blockquote_parts(html: str | None, *, keep_lines: bool = False) -> tuple[list[Passage], str]:
    """The outermost ``<blockquote>`` elements of a fragment as passages (their attribution
    taken out, quotation marks around all of a passage removed), and the text of the rest of
    it (for an annotation: the note around the highlight; with ``keep_lines`` its line breaks
    are kept)."""
    if not html or "blockquote" not in html.lower():
        if keep_lines:
            root = parse_fragment(html) if html else None
            return [], _lines_text(root) if root is not None else ""
        return [], html_to_text(html)
    root = parse_fragment(html)
    if root is None:
        return [], ""
    passages, used = [], []
    for bq in list(root.iter("blockquote")):
        if any(a.tag == "blockquote" for a in bq.iterancestors()):
            continue
        els, cite_text, cite_url = _attribution(bq)
        for e in els:
            if e.getparent() is bq:
                e.drop_tree()
        used += [e for e in els if e.getparent() is not None]
        text = without_enclosing_marks(element_text(bq))
        if text:
            passages.append(Passage(text, cite_text, cite_url))
        used.append(bq)
    for el in used:
        if el.getparent() is not None:
            el.drop_tree()
    return passages, _lines_text(root) if keep_lines else element_text(root)


def blockquotes(html: str | None) -> tuple[list[str], str]:
    """The texts of the outermost ``<blockquote>`` elements of a fragment, and the text of the
    rest of it."""
    passages, rest = blockquote_parts(html)
    return [p.text for p in passages], rest


def sanitize_html(html: str | None) -> str:
    """External HTML that is kept as HTML: nh3's safe subset (no scripts, handlers, javascript:)."""
    import nh3

    return nh3.clean(html or "", link_rel="noopener noreferrer nofollow")


_CUT = re.compile(r"\[?\s*(?:…|\.\.\.)\s*\]?")


def passage_position(quote: str, normalized_page: str) -> int | None:
    """Where a quote's first words stand in a page's text (normalized with
    ``typography.normalize``), or None when they are not there: quotes in reading order."""
    first = next((p.strip(" \"'.,;:-") for p in _CUT.split(normalize(quote)) if p.strip(" \"'.,;:-")), "")
    if not first or not normalized_page:
        return None
    i = normalized_page.find(first)
    return i if i >= 0 else None
