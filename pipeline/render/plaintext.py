"""Markdown → plain text written for reading, as text mail readers expect it:

- quotes with '> ', links as numbered references ``[n]`` listed after the text;
- footnotes as superscript numbers (``wert ist¹``) with the notes listed after the text,
  ``¹ The note.``: numbered like the links, but never confused with them;
- emphasis kept as the author typed it, ``*word*`` or ``_word_``; strong emphasis as ``*word*``;
- tables as aligned columns under a header rule, or as a list of "Header: value" lines
  where the columns would not fit (:mod:`pipeline.render.texttable`);
- a line the author broke stays broken (the line-break rule of :mod:`pipeline.render.markdown`);
- lines wrapped at 72 characters at ASCII spaces only, never directly inside a pair of
  quotation marks set off by spaces (« Non. », „ Ja “) nor after an opening mark.

A rendering of the same syntax tree as the HTML (:mod:`pipeline.render.markdown`)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3

from pipeline.render.markdown import BLOCKS, URL_SCHEMES, Document, Node, plain, split_quote
from pipeline.render.texttable import render_table
from pipeline.render.wrapping import WIDTH, wrap as _wrap



class _Text:
    """Renders the tree as text: quotes with '> ', links as numbered references [n]."""

    def __init__(self, labels: dict[str, str]):
        self.labels = labels
        self.links: list[str] = []
        self._numbers: dict[str, int] = {}

    def ref(self, url: str) -> int:
        if url not in self._numbers:
            self.links.append(url)
            self._numbers[url] = len(self.links)
        return self._numbers[url]

    def linkable(self, url: str) -> bool:
        return url.lower().startswith(URL_SCHEMES)

    # inline --------------------------------------------------------------
    def inline(self, nodes) -> str:
        out: list[str] = []
        hidden: str | None = None  # inside inline <script> or <style>: its text is no prose
        for n in nodes:
            name, meta = n.name, n.meta
            if hidden:
                if name == "html_inline" and re.match(rf"</{hidden}\b", meta.get("content", ""), re.I):
                    hidden = None
                continue
            if name == "html_inline":
                m = re.match(r"<(script|style)\b", meta.get("content", ""), re.I)
                if m and not meta.get("content", "").rstrip().endswith("/>"):
                    hidden = m.group(1).lower()
                continue
            if name == "text" or name == "text_special":
                out.append(meta.get("content", ""))
            elif name == "softbreak":
                out.append(" ")
            elif name == "hardbreak":
                out.append("\n")
            elif name == "code_inline":
                out.append(plain(n))
            elif name == "em":
                mark = "_" if meta.get("marker") == "_" else "*"  # as the author typed it
                out.append(f"{mark}{self.inline(n.children)}{mark}")
            elif name == "strong":
                out.append(f"*{self.inline(n.children)}*")
            elif name in ("link", "autolink"):
                label = self.inline(n.children)
                out.append(label)
                url = meta.get("url", "")
                if self.linkable(url) and label.strip() not in (url, url.removeprefix("mailto:")):
                    out.append(f" [{self.ref(url)}]")  # an autolink shows its URL already
            elif name == "image":
                alt = plain(n) or self.labels["image"]
                url = meta.get("url", "")
                out.append(f"[{alt}]" + (f" [{self.ref(url)}]" if self.linkable(url) else ""))
            elif name == "footnote_ref":
                out.append(superscript(meta["def_id"]))
            elif name in ("html_inline", "footnote_ref_anchor"):
                continue  # tags only; the text between them comes as text nodes
            else:
                out.append(self.inline(n.children))
        return "".join(out)

    # blocks --------------------------------------------------------------
    def blocks(self, nodes, width: int) -> list[str]:
        """Paragraph strings (possibly multi-line), to be joined by blank lines."""
        paras: list[str] = []
        for n in nodes:
            name, meta = n.name, n.meta
            if name == "paragraph":
                paras.append(_wrap(self.inline(n.children), width))
            elif name == "heading":
                title = self.inline(n.children)
                level = int(meta.get("level", 2))
                if level <= 2:
                    paras.append(title + "\n" + ("=" if level == 1 else "-") * min(len(title), width))
                else:
                    paras.append(_wrap(title, width))
            elif name == "blockquote":
                q = split_quote(n)
                inner = self.blocks(q.body[:-1] if q.last_inlines is not None else q.body, width - 2)
                if q.last_inlines is not None:
                    inner.append(_wrap(self.inline(q.last_inlines), width - 2))
                if q.footer is not None:
                    inner.append(_wrap(self.inline(q.footer).strip(), width - 2))
                body = "\n\n".join(p for p in inner if p.strip())
                paras.append("\n".join(("> " + line) if line else ">" for line in body.split("\n")))
            elif name in ("bullet_list", "ordered_list"):
                paras.append(self.list_items(n, width))
            elif name in ("code_block", "fence"):
                paras.append("\n".join("    " + line for line in meta.get("content", "").rstrip("\n").split("\n")))
            elif name == "html_block":
                text = _html_text(meta.get("content", ""))
                if text.strip():
                    paras.append(_wrap(text, width))
            elif name == "hr":
                paras.append("* * *")
            elif name == "table":
                paras.append(self.table(n, width))
            elif name == "footnote_container":
                paras.append(self.footnotes(n, width))
            elif name not in BLOCKS:  # inline content of a tight list item
                paras.append(_wrap(self.inline([n]), width))
        return [p for p in paras if p.strip()]

    def list_items(self, n: Node, width: int) -> str:
        number = int(n.meta.get("start", 1))
        items = []
        for item in n.children:
            marker = "- " if n.name == "bullet_list" else f"{number}. "
            kids = list(item.children)
            k = next((i for i, c in enumerate(kids) if c.name in BLOCKS), len(kids))
            parts = ([_wrap(self.inline(kids[:k]), width - len(marker))] if k else []) \
                + self.blocks(kids[k:], width - len(marker))
            gap = "\n" if k else "\n\n"  # a tight item keeps its nested list close
            lines = gap.join(p for p in parts if p.strip()).split("\n")
            items.append("\n".join([marker + lines[0]] + [(" " * len(marker) + ln) if ln else "" for ln in lines[1:]]))
            number += 1
        return "\n".join(items)

    def table(self, n: Node, width: int) -> str:
        head = [[self.inline(c.children) for c in row.children] for part in n.children if part.name == "thead"
                for row in part.children]
        body = [[self.inline(c.children) for c in row.children] for part in n.children if part.name != "thead"
                for row in part.children]
        return render_table(head[0] if head else [], body, n.meta.get("alignments", []), width)

    def footnotes(self, n: Node, width: int) -> str:
        notes = []
        for note in n.children:
            label = superscript(note.meta["def_id"]) + " "
            body = " ".join(self.blocks(note.children, width - len(label)))
            notes.append(_wrap(label + " ".join(body.split("\n")), width, indent=" " * len(label)))
        return self.labels["notes"] + ":\n\n" + "\n".join(notes)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: int) -> str:
    """A footnote's number as written in the text: 1 → ¹, 12 → ¹²."""
    return str(int(number)).translate(_SUPERSCRIPT)


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
    body = "\n\n".join(r.blocks(doc.root.children, WIDTH))
    return PlainText(body=body, links=r.links)
