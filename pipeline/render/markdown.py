"""Markdown → safe HTML, and Markdown → plain text written for reading.

The body is parsed once (CommonMark with footnotes and tables, via markdown-it-py) into a
:class:`Document`; the HTML and the text are two renderings of the same tokens.

Quotes: a blockquote whose last line is an attribution ``— [Source](URL)`` (also ``–`` or
``--``) gets ``cite="URL"`` and that line as its ``<footer>``.

Safety: inline HTML is allowed in drafts, so every top-level block is rendered and then
sanitized with nh3 on its own. Sanitizing block by block matters: html5ever balances what
it is given, so an unclosed ``<b>`` inside a quote is closed at the end of the quote instead
of leaking into everything after it. Typography passes through as written (no
"smart quotes" pass; non-breaking spaces stay characters, not ``&nbsp;``).
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

ATTRIBUTION_DASHES = ("—", "–", "--", "―")

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "del", "details", "dd", "div", "dl",
    "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title", "id", "class"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id", "class"},
    "ol": {"start", "class"},
    "sup": {"class"},
    "section": {"class"},
    "hr": {"class"},
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
    "code": {"class"},
}


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    # One reusable cleaner: building it parses the allow-lists, which is not free.
    return nh3.Cleaner(
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel=None,
        strip_comments=True,
    )


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).use(footnote_plugin).enable("table")


def sanitize(fragment: str) -> str:
    """Sanitized, balanced HTML; NBSP kept as the character so typography stays as written."""
    return _cleaner().clean(fragment).replace("&nbsp;", "\u00a0")


@dataclass
class Document:
    """A parsed Markdown body: tokens plus the parser's environment (footnote definitions)."""

    tokens: list[Token]
    env: dict = field(default_factory=dict)


def parse(text: str) -> Document:
    env: dict = {}
    tokens = _parser().parse(text, env)
    _mark_attributions(tokens)
    return Document(tokens, env)


# ---------------------------------------------------------------- attributions


def _is_attribution(children: list[Token]) -> bool:
    """Inline tokens that read '— [Source](URL)': a dash first, a link somewhere after it."""
    text = "".join(c.content for c in children if c.type == "text").lstrip()
    return text.startswith(ATTRIBUTION_DASHES) and any(c.type == "link_open" for c in children)


def _mark_attributions(tokens: list[Token]) -> None:
    """Turn each blockquote's trailing attribution line into its <footer> and set ``cite``."""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type != "blockquote_open":
            i += 1
            continue
        close = _matching_close(tokens, i)
        # the last direct child must be a paragraph: paragraph_open, inline, paragraph_close
        if close - i >= 4 and tokens[close - 1].type == "paragraph_close" and tokens[close - 3].type == "paragraph_open" \
                and tokens[close - 3].level == tok.level + 1:
            inline = tokens[close - 2]
            children = inline.children or []
            breaks = [k for k, c in enumerate(children) if c.type in ("softbreak", "hardbreak")]
            start = breaks[-1] + 1 if breaks else 0
            tail = children[start:]
            if tail and _is_attribution(tail):
                href = next(c.attrGet("href") for c in tail if c.type == "link_open")
                if href:
                    tok.attrSet("cite", str(href))
                footer_open = Token("paragraph_open", "footer", 1, level=tokens[close - 3].level, block=True)
                footer_inline = Token("inline", "", 0, level=inline.level, content="", children=tail)
                footer_close = Token("paragraph_close", "footer", -1, level=tokens[close - 3].level, block=True)
                if start == 0:  # the whole last paragraph is the attribution
                    tokens[close - 3:close] = [footer_open, footer_inline, footer_close]
                else:  # the attribution is the last line of the quote's last paragraph
                    inline.children = children[: start - 1]
                    tokens[close:close] = [footer_open, footer_inline, footer_close]
        i += 1


def _matching_close(tokens: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _top_level_blocks(tokens: list[Token]):
    """Slices of the token list, one per top-level block (a quote, a list, a paragraph, ...)."""
    start, depth = 0, 0
    for j, tok in enumerate(tokens):
        depth += tok.nesting
        if depth == 0:
            yield tokens[start: j + 1]
            start = j + 1


# ---------------------------------------------------------------- HTML


def _render_block(tokens: list[Token], env: dict) -> str:
    """HTML of one top-level block: each leaf (a paragraph, heading, table, raw HTML
    block) is sanitized on its own, so markup left open inside it ends with it; the
    containers around the leaves (quotes, lists, tables) come from the parser, balanced."""
    md = _parser()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.nesting == 1:
            end = _matching_close(tokens, i)
            # a leaf; a table counts as one, since its cells mean nothing outside it
            if tok.type == "table_open" or not any(t.nesting == 1 for t in tokens[i + 1:end]):
                out.append(sanitize(md.renderer.render(tokens[i:end + 1], md.options, env).strip()) + "\n")
                i = end + 1
                continue
            out.append(md.renderer.render([tok], md.options, env))
        elif tok.nesting == -1:
            out.append(md.renderer.render([tok], md.options, env))
        else:
            out.append(sanitize(md.renderer.render([tok], md.options, env).strip()) + "\n")
        i += 1
    # a last pass over the whole block filters the containers' attributes the same way
    return sanitize("".join(out))


def to_html(doc: Document) -> str:
    """The body as HTML, sanitized leaf by leaf (see the module docstring)."""
    parts = [_render_block(block, doc.env) for block in _top_level_blocks(doc.tokens)]
    return "\n".join(p for p in parts if p.strip())


def render_html(text: str) -> str:
    return to_html(parse(text))


# ---------------------------------------------------------------- plain text

WIDTH = 72


class _Text:
    """Renders tokens as text: quotes with '> ', links as numbered references [n]."""

    def __init__(self, labels: dict[str, str]):
        self.labels = labels
        self.links: list[str] = []
        self._numbers: dict[str, int] = {}

    def ref(self, url: str) -> int:
        if url not in self._numbers:
            self.links.append(url)
            self._numbers[url] = len(self.links)
        return self._numbers[url]

    # inline --------------------------------------------------------------
    def inline(self, children: list[Token]) -> str:
        out: list[str] = []
        hrefs: list[tuple[str | None, int]] = []
        for c in children:
            kind = c.type
            if kind == "text" or kind == "code_inline":
                out.append(c.content)
            elif kind == "softbreak":
                out.append(" ")
            elif kind == "hardbreak":
                out.append("\n")
            elif kind == "link_open":
                hrefs.append((c.attrGet("href"), len(out)))
            elif kind == "link_close":
                href, at = hrefs.pop() if hrefs else (None, 0)
                label = "".join(out[at:])
                if not href or href.startswith("#"):
                    continue
                plain = href.removeprefix("mailto:")
                if label.strip() in (href, plain):
                    continue  # an autolink shows its URL already
                out.append(f" [{self.ref(str(href))}]")
            elif kind == "image":
                alt = "".join(x.content for x in (c.children or []) if x.type == "text") or self.labels["image"]
                src = c.attrGet("src")
                out.append(f"[{alt}]" + (f" [{self.ref(str(src))}]" if src else ""))
            elif kind == "footnote_ref":
                out.append(f"[^{c.meta['id'] + 1}]")
            elif kind == "html_inline":
                continue  # tags only; their text content comes as text tokens
        return "".join(out)

    # blocks --------------------------------------------------------------
    def blocks(self, tokens: list[Token], width: int) -> list[str]:
        """Paragraph strings (possibly multi-line), to be joined by blank lines."""
        paras: list[str] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            end = _matching_close(tokens, i) if tok.nesting == 1 else i
            inner = tokens[i + 1:end]
            kind = tok.type
            if kind == "paragraph_open":
                paras.append(_wrap(self.inline(inner[0].children or []) if inner else "", width))
            elif kind == "heading_open":
                title = self.inline(inner[0].children or []) if inner else ""
                if tok.tag in ("h1", "h2"):
                    paras.append(title + "\n" + ("=" if tok.tag == "h1" else "-") * min(len(title), width))
                else:
                    paras.append(_wrap(title, width))
            elif kind == "blockquote_open":
                body = "\n\n".join(self.blocks(inner, width - 2))
                paras.append("\n".join(("> " + line) if line else ">" for line in body.split("\n")))
            elif kind in ("bullet_list_open", "ordered_list_open"):
                paras.append(self.list_items(tok, inner, width))
            elif kind in ("code_block", "fence"):
                paras.append("\n".join("    " + line for line in tok.content.rstrip("\n").split("\n")))
            elif kind == "html_block":
                text = _html_text(tok.content)
                if text.strip():
                    paras.append(_wrap(text, width))
            elif kind == "hr":
                paras.append("* * *")
            elif kind == "table_open":
                paras.append(self.table(inner))
            elif kind == "footnote_block_open":
                paras.append(self.footnotes(inner, width))
            elif kind == "inline":
                paras.append(_wrap(self.inline(tok.children or []), width))
            i = end + 1
        return [p for p in paras if p.strip()]

    def list_items(self, tok: Token, inner: list[Token], width: int) -> str:
        n = int(tok.attrGet("start") or 1)
        items, i = [], 0
        while i < len(inner):
            if inner[i].type == "list_item_open":
                end = _matching_close(inner, i)
                marker = "- " if tok.type == "bullet_list_open" else f"{n}. "
                body = "\n\n".join(self.blocks(inner[i + 1:end], width - len(marker)))
                lines = body.split("\n")
                items.append("\n".join([marker + lines[0]] + [(" " * len(marker) + ln) if ln else "" for ln in lines[1:]]))
                n += 1
                i = end
            i += 1
        return "\n".join(items)

    def table(self, inner: list[Token]) -> str:
        rows, row = [], []
        for tok in inner:
            if tok.type == "tr_open":
                row = []
            elif tok.type == "inline":
                row.append(self.inline(tok.children or []))
            elif tok.type == "tr_close":
                rows.append(" | ".join(row))
        return "\n".join(rows)

    def footnotes(self, inner: list[Token], width: int) -> str:
        notes, i = [], 0
        while i < len(inner):
            if inner[i].type == "footnote_open":
                end = _matching_close(inner, i)
                label = f"[^{inner[i].meta['id'] + 1}] "
                body = " ".join(self.blocks(inner[i + 1:end], width - len(label)))
                notes.append(_wrap(label + body, width, indent="    "))
                i = end
            i += 1
        return self.labels["notes"] + ":\n\n" + "\n".join(notes)


def _wrap(text: str, width: int, indent: str = "") -> str:
    """Wrap at spaces only (never inside a word, never at a non-breaking space)."""
    lines = []
    for line in text.split("\n"):
        lines.append(textwrap.fill(line, width=max(width, 20), break_long_words=False, break_on_hyphens=False,
                                   subsequent_indent=indent) if line.strip() else "")
    return "\n".join(lines).strip("\n")


_TAG = re.compile(r"<[^>]*>")


def _html_text(fragment: str) -> str:
    """The readable text of raw HTML: sanitized first (scripts and styles vanish with their
    content), then stripped of tags."""
    clean = nh3.clean(fragment, tags=set(), clean_content_tags={"script", "style"})
    return html.unescape(_TAG.sub("", clean)).strip()


@dataclass
class PlainText:
    body: str
    links: list[str]


def to_text(doc: Document, labels: dict[str, str]) -> PlainText:
    """The body as plain text plus the numbered link list. ``labels`` holds the localized
    words the text needs: 'notes' and 'image'."""
    r = _Text(labels)
    body = "\n\n".join(r.blocks(doc.tokens, WIDTH))
    return PlainText(body=body, links=r.links)
