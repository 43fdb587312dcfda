"""The one Markdown parser of Linkletter, and Markdown → safe HTML.

The body is parsed once (CommonMark with footnotes and tables, by markdown-it.rs through
markdown-it-pyrs: the markdown-it rules, ten times faster than the pure-Python port) into a
syntax tree; the HTML (here), the plain text (:mod:`pipeline.render.plaintext`) and what
the check reads (:mod:`pipeline.render.cites`) all come from that same tree.

Nesting is bounded before the text reaches markdown-it.rs (:mod:`pipeline.draft.bounds`):
a body nested too deep raises :class:`TooDeep` with its line.

Line breaks: a single newline the author typed inside a paragraph is a line break
(``<br>`` in HTML, a new line in the plain text), not a space as in CommonMark: a sign-off
("Herzlich,⏎Ihre Redaktion"), an address block, a poem keep their lines in the email, the
page, the feeds and the plain text alike. A blank line starts a new paragraph, as always.
:func:`parse` applies the rule to the tree (every ``softbreak`` becomes a ``hardbreak``), so
every renderer of the tree agrees. (So a paragraph is written on one line; editors wrap it.)

Quotes: a blockquote whose last line is an attribution ``— [Source](URL)`` (also ``–`` or
``--``) gets ``cite="URL"`` and that line as its ``<footer>``.

Two flavours of the same tree: the web page's HTML5 (``<footer>``, ``<section>``), and the
email's (``to_html(doc, email=True)``), made of what every major mail client keeps: Outlook
for Windows drops HTML5 elements and pads only table cells, Yahoo and Outlook.com strip
them (caniemail: "HTML5 semantics", "padding"). There the quote's text sits in a one-cell
table inside ``<blockquote cite>``, the attribution is a ``<p class="attribution">``, the
footnotes are a ``<div>`` with a heading, and each footnote link also targets an empty
``<a name>`` (Gmail web, Outlook and Yahoo ignore ``id`` targets: caniemail "Local anchors").

Safety: inline HTML is allowed in drafts, so every leaf block (a paragraph, a heading, a
table, a raw HTML block) is rendered and sanitized with nh3 on its own, and then each
top-level block once more as a whole. Sanitizing leaf by leaf matters: html5ever balances
what it is given, so an unclosed ``<b>`` inside a quote is closed where its paragraph ends
instead of leaking into everything after it. Typography passes through as written (no
"smart quotes" pass; non-breaking spaces stay characters, not ``&nbsp;``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it_pyrs import MarkdownIt, Node

from pipeline.draft.bounds import nesting_problem

ATTRIBUTION_DASHES = ("—", "–", "--", "―")
URL_SCHEMES = ("http:", "https:", "mailto:")

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "del", "details", "dd", "div", "dl",
    "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title", "id", "class", "name"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id", "class"},
    "ol": {"start", "class"},
    "p": {"class"},
    "table": {"role", "width", "cellpadding", "cellspacing", "border"},
    "sup": {"class"},
    "section": {"class"},
    "hr": {"class"},
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
    "code": {"class"},
}

BLOCKS = {
    "paragraph", "heading", "blockquote", "bullet_list", "ordered_list", "list_item", "code_block", "fence",
    "html_block", "hr", "table", "thead", "tbody", "trow", "tcell", "footnote_container", "footnote_def",
    "definition", "root",
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
    return MarkdownIt("commonmark").enable_many(["table", "footnote"])


def sanitize(fragment: str) -> str:
    """Sanitized, balanced HTML; NBSP kept as the character so typography stays as written."""
    return _cleaner().clean(fragment).replace("&nbsp;", "\u00a0")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class Document:
    """A parsed Markdown body: the syntax tree's root."""

    root: Node


class TooDeep(ValueError):
    """A body nested deeper than the renderers can take; ``line`` is the body line."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def parse(text: str) -> Document:
    """The syntax tree of ``text``. Raises :class:`TooDeep` for hostile nesting (a draft
    read with :func:`pipeline.draft.format.read_draft` was refused before this already)."""
    problem = nesting_problem(text)
    if problem is not None:
        raise TooDeep(*problem)
    root = _parser().tree(text)
    for node in root.walk():  # the line-break rule (see the module docstring)
        if node.name == "softbreak":
            node.name = "hardbreak"
    return Document(root)


# ---------------------------------------------------------------- attributions


def plain(node: Node) -> str:
    """The text of an inline node and its children."""
    if node.name in ("text", "text_special"):
        return node.meta.get("content", "")
    if node.name in ("softbreak", "hardbreak"):
        return " "
    return "".join(plain(c) for c in node.children)


@dataclass(frozen=True)
class Quote:
    """A blockquote split into its body and its attribution line (if it has one)."""

    body: list[Node]  # block children, the attribution removed
    last_inlines: list[Node] | None  # the last paragraph's inlines when the attribution was its last line
    footer: list[Node] | None  # the attribution's inlines
    cite: str | None


def split_quote(node: Node) -> Quote:
    children = list(node.children)
    if children and children[-1].name == "paragraph":
        inlines = list(children[-1].children)
        breaks = [i for i, c in enumerate(inlines) if c.name in ("softbreak", "hardbreak")]
        start = breaks[-1] + 1 if breaks else 0
        tail = inlines[start:]
        links = [c for c in tail if c.name in ("link", "autolink")]
        if tail and links and "".join(plain(c) for c in tail).lstrip().startswith(ATTRIBUTION_DASHES):
            url = links[0].meta.get("url", "")
            cite = url if url.lower().startswith(("http:", "https:")) else None
            if start == 0:
                return Quote(children[:-1], None, tail, cite)
            return Quote(children, inlines[: start - 1], tail, cite)
    return Quote(children, None, None, None)


# ---------------------------------------------------------------- HTML


class _Html:
    def __init__(self, email: bool = False, notes: str = "Notes", images=None):
        self.email, self.notes, self.images = email, notes, images or {}

    def inline(self, nodes) -> str:
        out: list[str] = []
        for n in nodes:
            name, meta = n.name, n.meta
            if name == "text" or name == "text_special":
                out.append(_esc(meta.get("content", "")))
            elif name == "softbreak":
                out.append("\n")
            elif name == "hardbreak":
                out.append("<br>\n")
            elif name == "em":
                out.append(f"<em>{self.inline(n.children)}</em>")
            elif name == "strong":
                out.append(f"<strong>{self.inline(n.children)}</strong>")
            elif name == "strikethrough":
                out.append(f"<s>{self.inline(n.children)}</s>")
            elif name == "code_inline":
                out.append(f"<code>{_esc(plain(n))}</code>")
            elif name in ("link", "autolink"):
                title = f' title="{_esc(meta["title"])}"' if meta.get("title") else ""
                out.append(f'<a href="{_esc(meta.get("url", ""))}"{title}>{self.inline(n.children)}</a>')
            elif name == "image":
                title = f' title="{_esc(meta["title"])}"' if meta.get("title") else ""
                src, size = meta.get("url", ""), ""
                media = self.images.get(src)  # a local file: its web address and size (render/media.py)
                if media is not None:
                    src, size = media.url, f' width="{media.width}" height="{media.height}"'
                out.append(f'<img src="{_esc(src)}" alt="{_esc(plain(n))}"{size}{title}>')
            elif name == "html_inline":
                out.append(meta.get("content", ""))
            elif name == "footnote_ref":
                target = f'<a name="fnref{meta["ref_id"]}"></a>' if self.email else ""
                out.append(f'<sup class="footnote-ref">{target}<a href="#fn{meta["def_id"]}" id="fnref{meta["ref_id"]}">'
                           f'[{meta["def_id"]}]</a></sup>')
            elif name == "footnote_ref_anchor":
                out.extend(f' <a href="#fnref{r}" class="footnote-backref">↩︎</a>' for r in meta.get("ref_ids", []))
            else:
                out.append(self.inline(n.children))
        return "".join(out)

    def leaf(self, fragment: str) -> str:
        return sanitize(fragment) + "\n"

    def block(self, n: Node) -> str:
        name, meta = n.name, n.meta
        if name not in BLOCKS:  # inline content directly in a tight list item
            return ""
        if name == "paragraph":
            return self.leaf(f"<p>{self.inline(n.children)}</p>")
        if name == "heading":
            level = int(meta.get("level", 2))
            return self.leaf(f"<h{level}>{self.inline(n.children)}</h{level}>")
        if name == "blockquote":
            q = split_quote(n)
            cite = f' cite="{_esc(q.cite)}"' if q.cite else ""
            body = [self.block(c) for c in q.body[:-1]] if q.last_inlines is not None else [self.block(c) for c in q.body]
            if q.last_inlines is not None:
                body.append(self.leaf(f"<p>{self.inline(q.last_inlines)}</p>"))
            if q.footer is not None:
                tag = 'p class="attribution"' if self.email else "footer"
                body.append(self.leaf(f"<{tag}>{self.inline(q.footer)}</{tag.split()[0]}>"))
            if self.email:  # Outlook for Windows pads only table cells
                return (f'<blockquote{cite}>\n<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
                        f'border="0">\n<tbody>\n<tr>\n<td>\n{"".join(body)}</td>\n</tr>\n</tbody>\n</table>\n</blockquote>\n')
            return f"<blockquote{cite}>\n{''.join(body)}</blockquote>\n"
        if name in ("bullet_list", "ordered_list"):
            tag = "ul" if name == "bullet_list" else "ol"
            start = meta.get("start", 1)
            attrs = f' start="{int(start)}"' if name == "ordered_list" and start != 1 else ""
            return f"<{tag}{attrs}>\n{''.join(self.item(c) for c in n.children)}</{tag}>\n"
        if name in ("code_block", "fence"):
            info = (meta.get("info") or "").split(" ")[0]
            cls = f' class="language-{_esc(info)}"' if info else ""
            return self.leaf(f"<pre><code{cls}>{_esc(meta.get('content', ''))}</code></pre>")
        if name == "html_block":
            return self.leaf(meta.get("content", "").strip())
        if name == "hr":
            return "<hr>\n"
        if name == "table":
            return self.leaf(self.table(n))
        if name == "footnote_container":
            notes = "".join(self.block(c) for c in n.children)
            if self.email:  # a heading, so the notes read naturally where a client cannot jump to them
                return (f'<hr class="footnotes-sep">\n<div>\n<p class="footnotes-title">{_esc(self.notes)}</p>\n'
                        f'<ol class="footnotes-list">\n{notes}</ol>\n</div>\n')
            return f'<hr class="footnotes-sep">\n<section class="footnotes">\n<ol class="footnotes-list">\n{notes}</ol>\n</section>\n'
        if name == "footnote_def":
            target = f'<a name="fn{meta["def_id"]}"></a>' if self.email else ""
            return (f'<li id="fn{meta["def_id"]}" class="footnote-item">{target}\n'
                    f'{"".join(self.block(c) for c in n.children)}</li>\n')
        if name == "definition":
            return ""
        return "".join(self.block(c) for c in n.children)

    def item(self, n: Node) -> str:
        kids = list(n.children)
        if kids and kids[0].name not in BLOCKS:  # a tight item: inline content, maybe a nested list after it
            k = next((i for i, c in enumerate(kids) if c.name in BLOCKS), len(kids))
            body = self.leaf(self.inline(kids[:k])) + "".join(self.block(c) for c in kids[k:])
        else:
            body = "".join(self.block(c) for c in kids)
        return f"<li>\n{body}</li>\n"

    def table(self, n: Node) -> str:
        aligns = n.meta.get("alignments", [])
        out = ["<table>\n"]
        for part in n.children:
            tag = "thead" if part.name == "thead" else "tbody"
            cell = "th" if part.name == "thead" else "td"
            out.append(f"<{tag}>\n")
            for row in part.children:
                out.append("<tr>\n")
                for i, c in enumerate(row.children):
                    align = aligns[i] if i < len(aligns) else "none"
                    style = f' style="text-align:{align}"' if align in ("left", "right", "center") else ""
                    out.append(f"<{cell}{style}>{self.inline(c.children)}</{cell}>\n")
                out.append("</tr>\n")
            out.append(f"</{tag}>\n")
        out.append("</table>")
        return "".join(out)


def to_html(doc: Document, *, email: bool = False, notes: str = "Notes", images=None) -> str:
    """The body as HTML, sanitized leaf by leaf and block by block (see the module docstring);
    ``email``: the mail clients' flavour, its footnotes headed ``notes``; ``images``: local
    image paths -> :class:`pipeline.render.media.Media` (their address and size)."""
    r = _Html(email, notes, images)
    parts = [sanitize(r.block(child)) for child in doc.root.children]
    return "\n".join(p.strip() for p in parts if p.strip())


def render_html(text: str) -> str:
    return to_html(parse(text))
