"""What a draft body cites: its links, images and blockquotes, each with its file line.

The body is parsed with markdown-it (CommonMark), never matched with patterns, so escaped
characters, reference links and soft line breaks mean what they mean when the issue is
rendered. Line numbers are file lines: the token's body line plus ``draft.body_line - 1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

# An attribution paragraph starts with an em dash, an en dash or two hyphens: "— [Source](URL)".
_ATTRIBUTION = re.compile(r"^\s*(?:—|–|―|--)\s*")


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    line: int
    has_image: bool = False  # an image inside the link counts as its text
    in_quote: bool = False


@dataclass(frozen=True)
class Image:
    src: str
    alt: str
    line: int


@dataclass(frozen=True)
class Blockquote:
    text: str  # the quoted words as readers see them, paragraphs separated by blank lines
    line: int  # first line of the blockquote
    end_line: int
    attribution_url: str | None  # the link of its "— [Source](URL)" line
    source_url: str | None  # attribution URL, else the nearest link before the quote


@dataclass
class DraftDocument:
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    quotes: list[Blockquote] = field(default_factory=list)
    html_blocks: list[tuple[int, str]] = field(default_factory=list)  # (line, raw HTML)


# the render stage's dialect: CommonMark with footnotes (a footnote mark is not quoted text)
_md = MarkdownIt("commonmark").use(footnote_plugin)


def _inline_text(children: list[Token]) -> str:
    """The plain text of inline tokens: what a reader sees (markup and raw HTML dropped)."""
    out = []
    for t in children:
        if t.type in ("text", "code_inline"):
            out.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


def _line_in(source_lines: list[str], block_map: list[int] | None, needle: str) -> int:
    """The 0-based body line of ``needle`` within a block, else the block's first line."""
    if not block_map:
        return 0
    for i in range(block_map[0], min(block_map[1], len(source_lines))):
        if needle and needle in source_lines[i]:
            return i
    return block_map[0]


def parse_body(body: str, body_line: int = 1) -> DraftDocument:
    """Links, images, blockquotes and raw HTML blocks of a Markdown body, in document order."""
    offset = body_line - 1
    lines = body.splitlines()
    doc = DraftDocument()
    tokens = _md.parse(body)
    depth = 0  # blockquote nesting
    quote_start: int | None = None
    quote_end = 0
    paragraphs: list[tuple[str, list[str]]] = []  # the current quote's paragraphs: (text, hrefs)
    links_before_quote = 0

    for tok in tokens:
        if tok.type == "blockquote_open":
            depth += 1
            if depth == 1:
                quote_start = tok.map[0] if tok.map else 0
                quote_end = tok.map[1] if tok.map else quote_start + 1
                paragraphs = []
                links_before_quote = len(doc.links)
            continue
        if tok.type == "blockquote_close":
            depth -= 1
            if depth == 0 and quote_start is not None:
                doc.quotes.append(_make_quote(paragraphs, quote_start + 1 + offset, quote_end + offset,
                                              doc.links[:links_before_quote]))
                quote_start = None
            continue
        if tok.type == "html_block":
            doc.html_blocks.append(((tok.map[0] if tok.map else 0) + 1 + offset, tok.content))
            continue
        if tok.type != "inline":
            continue
        children = tok.children or []
        i = 0
        while i < len(children):
            c = children[i]
            if c.type == "link_open":
                href = str(c.attrs.get("href", ""))
                # the link's own tokens, up to its close
                j, inner = i + 1, []
                while j < len(children) and children[j].type != "link_close":
                    inner.append(children[j])
                    j += 1
                has_image = any(t.type == "image" for t in inner)
                line = _line_in(lines, tok.map, href.split("#")[0] or href) + 1 + offset
                doc.links.append(Link(href, _inline_text(inner).strip(), line, has_image, depth > 0))
                for t in inner:
                    if t.type == "image":
                        doc.images.append(_make_image(t, lines, tok.map, offset))
                i = j + 1
                continue
            if c.type == "image":
                doc.images.append(_make_image(c, lines, tok.map, offset))
            i += 1
        if depth > 0:
            paragraphs.extend(_quote_paragraphs(children))
    return doc


def _hrefs(children: list[Token]) -> list[str]:
    return [str(c.attrs.get("href", "")) for c in children if c.type == "link_open"]


def _quote_paragraphs(children: list[Token]) -> list[tuple[str, list[str]]]:
    """A quote paragraph as (text, hrefs) parts. Like the renderer, an attribution may be the
    paragraph's last line ("> quote\n> — [Source](URL)" with no blank '>' line between)."""
    breaks = [i for i, c in enumerate(children) if c.type in ("softbreak", "hardbreak")]
    if breaks:
        head, tail = children[: breaks[-1]], children[breaks[-1] + 1:]
        if _hrefs(tail) and _ATTRIBUTION.match(_inline_text(tail)):
            return [(_inline_text(head), _hrefs(head)), (_inline_text(tail), _hrefs(tail))]
    return [(_inline_text(children), _hrefs(children))]


def _make_image(t: Token, lines: list[str], block_map, offset: int) -> Image:
    src = str(t.attrs.get("src", ""))
    alt = _inline_text(t.children or []) or t.content
    return Image(src, alt.strip(), _line_in(lines, block_map, src) + 1 + offset)


def _make_quote(paragraphs: list[tuple[str, list[str]]], line: int, end_line: int, before: list[Link]) -> Blockquote:
    attribution = None
    if paragraphs:
        text, hrefs = paragraphs[-1]
        if hrefs and _ATTRIBUTION.match(text):
            attribution = hrefs[0]
            paragraphs = paragraphs[:-1]
    text = "\n\n".join(p for p, _h in paragraphs if p.strip())
    nearest = next((link.url for link in reversed(before) if link.url), None)
    return Blockquote(text=text, line=line, end_line=end_line, attribution_url=attribution,
                      source_url=attribution or nearest)
