"""What a draft body cites: its links, images, blockquotes (with their attributions) and raw
HTML blocks, each with its file line, read off the one syntax tree of
:mod:`pipeline.render.markdown` (so the check sees exactly what readers will see).

Line numbers are file lines: markdown-it.rs gives each node its byte span in the body, and
the body starts on ``draft.body_line``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from pipeline.render import markdown
from pipeline.render.markdown import Document, Node, split_quote


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


@dataclass(frozen=True)
class InlineQuote:
    """A quotation in the author's prose: „…“, “…”, "…", »…« or «…» of at least
    ``INLINE_MIN_WORDS`` words (shorter ones are terms and scare quotes, not quotations)."""

    text: str  # the words inside the quotation marks
    line: int  # the first line of its paragraph
    source_url: str | None  # the link it is in or next to in its paragraph; None: no link there


@dataclass
class Cites:
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    quotes: list[Blockquote] = field(default_factory=list)
    html_blocks: list[tuple[int, str]] = field(default_factory=list)  # (line, raw HTML)
    inline_quotes: list[InlineQuote] = field(default_factory=list)


INLINE_MIN_WORDS = 4
_QUOTED = re.compile(r"„([^„“”\"]+)[“”]|“([^“”]+)”|\"([^\"]+)\"|»([^»«]+)«|«([^«»]+)»")
_HIDDEN = ("image", "html_inline", "footnote_ref", "footnote_ref_anchor")


def _text_and_links(nodes, text: list[str], links: list[tuple[int, int, str]]) -> None:
    """The reader's text of inline nodes into ``text``, and (start, end, URL) of each link in it."""
    for n in nodes:
        if n.name in ("text", "text_special"):
            text.append(n.meta.get("content", ""))
        elif n.name in ("softbreak", "hardbreak"):
            text.append(" ")
        elif n.name in ("link", "autolink"):
            start = sum(map(len, text))
            _text_and_links(n.children, text, links)
            links.append((start, sum(map(len, text)), n.meta.get("url", "")))
        elif n.name not in _HIDDEN:
            _text_and_links(n.children, text, links)


def inline_quotes_of(nodes, line: int) -> list[InlineQuote]:
    """The quotations in one paragraph's inline nodes, each attributed to the link it is in,
    else the nearest link of the paragraph (before it on a tie)."""
    parts: list[str] = []
    links: list[tuple[int, int, str]] = []
    _text_and_links(nodes, parts, links)
    text = "".join(parts)
    web = [(a, b, u) for a, b, u in links if u.lower().startswith(("http:", "https:"))]
    out = []
    for m in _QUOTED.finditer(text):
        words = next(g for g in m.groups() if g is not None).strip()
        if len(words.split()) < INLINE_MIN_WORDS:
            continue
        start, end = m.span()

        def distance(link: tuple[int, int, str]) -> tuple[int, int]:
            a, b, _u = link
            if a < end and start < b:
                return (0, 0)
            return (start - b, 0) if b <= start else (a - end, 1)

        best = min(web, key=distance, default=None)
        out.append(InlineQuote(words, line, best[2] if best else None))
    return out


def reader_text(nodes) -> str:
    """The words of inline nodes as a reader sees them: markup, raw HTML, images and footnote
    marks dropped, line breaks as spaces."""
    out = []
    for n in nodes:
        if n.name in ("text", "text_special"):
            out.append(n.meta.get("content", ""))
        elif n.name in ("softbreak", "hardbreak"):
            out.append(" ")
        elif n.name not in ("image", "html_inline", "footnote_ref", "footnote_ref_anchor"):
            out.append(reader_text(n.children))
    return "".join(out)


class _Lines:
    """File line of a byte offset in the body."""

    def __init__(self, body: str, body_line: int):
        data = body.encode("utf-8")
        self.breaks = [i for i, b in enumerate(data) if b == 0x0A]
        self.first = body_line

    def of(self, node: Node, end: bool = False) -> int:
        if not node.srcmap:
            return self.first
        offset = node.srcmap[1] - 1 if end else node.srcmap[0]
        return self.first + bisect_right(self.breaks, offset - 1) if offset > 0 else self.first


class _Walker:
    def __init__(self, lines: _Lines):
        self.lines = lines
        self.cites = Cites()

    def walk(self, node: Node, in_quote: bool) -> None:
        for n in node.children:
            name = n.name
            if name in ("link", "autolink"):
                url = n.meta.get("url", "")
                has_image = any(c.name == "image" for c in _descendants(n))
                self.cites.links.append(Link(url, reader_text(n.children).strip(), self.lines.of(n, end=True),
                                             has_image, in_quote))
            elif name == "image":
                self.cites.images.append(Image(n.meta.get("url", ""), reader_text(n.children).strip(),
                                               self.lines.of(n, end=True)))
            elif name == "html_block":
                self.cites.html_blocks.append((self.lines.of(n), n.meta.get("content", "")))
            elif name == "paragraph" and not in_quote:
                self.cites.inline_quotes += inline_quotes_of(n.children, self.lines.of(n))
            elif name == "list_item" and not in_quote and n.children and n.children[0].name not in markdown.BLOCKS:
                kids = list(n.children)  # a tight list item: its inline content comes first
                k = next((i for i, c in enumerate(kids) if c.name in markdown.BLOCKS), len(kids))
                self.cites.inline_quotes += inline_quotes_of(kids[:k], self.lines.of(n))
            elif name == "blockquote" and not in_quote:
                before = list(self.cites.links)
                self.walk(n, True)
                self.cites.quotes.append(self.quote(n, before))
                continue
            self.walk(n, in_quote)

    def quote(self, node: Node, before: list[Link]) -> Blockquote:
        q = split_quote(node)
        body = q.body[:-1] if q.last_inlines is not None else q.body
        paragraphs = [p for child in body for p in _paragraphs(child)]
        if q.last_inlines is not None:
            paragraphs.append(reader_text(q.last_inlines))
        attribution = next((n.meta.get("url", "") for n in q.footer or () if n.name in ("link", "autolink")), None)
        nearest = next((link.url for link in reversed(before) if link.url), None)
        end = self.lines.of(node, end=True)
        return Blockquote(text="\n\n".join(p for p in paragraphs if p.strip()), line=self.lines.of(node),
                          end_line=end, attribution_url=attribution, source_url=attribution or nearest)


def _descendants(node: Node):
    for c in node.children:
        yield c
        yield from _descendants(c)


def _paragraphs(node: Node) -> list[str]:
    """The inline runs of a block (its paragraphs, headings, table cells), in order."""
    if node.name not in markdown.BLOCKS:
        return []
    kids = list(node.children)
    if node.name in ("paragraph", "heading", "tcell"):
        return [reader_text(kids)]
    if kids and kids[0].name not in markdown.BLOCKS:  # a tight list item: inline content first
        k = next((i for i, c in enumerate(kids) if c.name in markdown.BLOCKS), len(kids))
        return [reader_text(kids[:k])] + [p for c in kids[k:] for p in _paragraphs(c)]
    return [p for c in kids for p in _paragraphs(c)]


def cites_of(doc: Document, body: str, body_line: int = 1) -> Cites:
    """Links, images, blockquotes and raw HTML blocks of a parsed body, in document order."""
    walker = _Walker(_Lines(body, body_line))
    walker.walk(doc.root, False)
    return walker.cites


def parse_body(body: str, body_line: int = 1) -> Cites:
    """Parse ``body`` and read off what it cites (for a body that is not being rendered, e.g.
    an earlier issue's)."""
    return cites_of(markdown.parse(body), body, body_line)
