"""An earlier issue's HTML as clean Markdown for a draft.

Kept: paragraphs, headings, blockquotes (a ``<cite>``/``<footer>`` inside one becomes the
draft's source line ``> — [Source](URL)``), links, emphasis, lists, code, images, tables,
line breaks and footnotes (Substack's, WordPress's and markdown-it's markup become ``[^N]``).
Removed: scripts, styles, forms and the platforms' chrome (subscribe widgets, share buttons,
"related posts"), tracking parameters, and redirect wrappers whose target is in the URL.

Text is escaped with the draft writer's own escaping (pipeline/draft/blocks.py), so nothing in
the old HTML becomes markup or raw HTML in the draft; the renderer sanitizes again anyway.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from pipeline.collect.urls import is_web_url, strip_tracking
from pipeline.draft.blocks import escape_inline, link_destination

MAX_HTML_CHARS = 2_000_000  # an issue is a few dozen KB; more is not an issue's text
MAX_DEPTH = 60  # nesting deeper than this is read as text (a hostile or broken file)

_DROP = {"script", "style", "noscript", "iframe", "form", "button", "input", "select", "textarea", "svg",
         "object", "embed", "template", "head", "nav", "video", "audio", "canvas", "map"}
# class or id words of the platforms' chrome around the text (Substack, WordPress/Jetpack, Ghost, Buttondown)
_CHROME = re.compile(r"(^|[\s_-])(subscription-widget|subscribe-widget|subscribe|button-wrapper|share|sharing|"
                     r"sharedaddy|social|jp-relatedposts|related-posts|post-footer|comments?|kg-signup|"
                     r"kg-cta|footer-social|unsubscribe|preheader|email-only)([\s_-]|$)", re.I)
_BLOCKS = {"p", "div", "section", "article", "main", "header", "aside", "center", "body", "html", "span",
           "font", "tbody", "thead", "figure", "details", "summary"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_WRAPPER_PARAMS = ("url", "u", "q", "target", "redirect", "redirect_url", "dest", "destination")
_FOOTNOTE_REF = re.compile(r"^#(?:fn|footnote|_ftn|ftn)[-:_]?\w+$", re.I)


def clean_url(url: str) -> str:
    """The link as readers should follow it: a redirect wrapper's target (when it is in the
    query, as with Google's, Facebook's or many mailers' click wrappers), less tracking
    parameters."""
    url = (url or "").strip()
    for _ in range(3):  # wrappers inside wrappers, bounded
        try:
            parts = urlsplit(url)
        except ValueError:
            return url
        inner = next((v for k, v in parse_qsl(parts.query) if k.lower() in _WRAPPER_PARAMS and is_web_url(v)), None)
        if not inner or parts.path in ("", "/"):
            break
        url = inner
    return strip_tracking(url) if is_web_url(url) else url


class _Converter:
    """One document. ``notes`` collects footnote definitions in the order they are met."""

    def __init__(self) -> None:
        self.notes: dict[str, str] = {}
        self.note_numbers: dict[str, int] = {}

    # -------------------------------------------------------- blocks

    def blocks(self, el, depth: int = 0) -> list[str]:
        out: list[str] = []
        inline: list[str] = []

        def flush() -> None:
            text = _tidy("".join(inline))
            if text:
                out.append(text)
            inline.clear()

        if el.text:
            inline.append(_text(el.text))
        for child in el:
            tag = _tag(child)
            if tag and not self._skipped(child) and (tag in _BLOCKS or tag in _BLOCK_HANDLERS):
                flush()
                out.extend(self.block(child, tag, depth + 1))
            elif tag and not self._skipped(child):
                inline.append(self.inline(child, depth + 1))
            if child.tail:
                inline.append(_text(child.tail))
        flush()
        return out

    def _skipped(self, el) -> bool:
        tag = _tag(el)
        if tag in _DROP:
            return True
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if _CHROME.search(marks):
            return True
        if self._footnote_definition(el):
            return True
        style = (el.get("style") or "").replace(" ", "").lower()
        return "display:none" in style  # a mail's hidden preheader

    def block(self, el, tag: str, depth: int) -> list[str]:
        if depth > MAX_DEPTH:
            return [_tidy(escape_inline(el.text_content()))]
        handler = _BLOCK_HANDLERS.get(tag)
        return handler(self, el, depth) if handler else self.blocks(el, depth)

    def heading(self, el, depth: int) -> list[str]:
        text = _tidy(self.inline_children(el, depth))
        return [f"{'#' * _HEADINGS[_tag(el)]} {text}"] if text else []

    def blockquote(self, el, depth: int) -> list[str]:
        cite = None
        for child in list(el):
            if _tag(child) in ("cite", "footer", "figcaption") or (
                    _tag(child) == "p" and len(child) == 1 and _tag(child[0]) == "cite" and not (child.text or "").strip()):
                cite = self._cite(child, el.get("cite"))
                child.drop_tree() if hasattr(child, "drop_tree") else el.remove(child)
        inner = self.blocks(el, depth)
        if cite:
            inner.append(f"— {cite}")
        lines: list[str] = []
        for i, block in enumerate(inner):
            if i:
                lines.append(">")
            lines.extend(f"> {line}" if line else ">" for line in block.split("\n"))
        return ["\n".join(lines)] if lines else []

    def _cite(self, el, cite_attr: str | None) -> str:
        """The source line of a quote: the cite's own text with its link; a bare name linked to
        the blockquote's ``cite`` URL when it has one."""
        text = _tidy(self.inline_children(el, 0).replace("\\\n", " ")).lstrip("—–-\\ ").strip()
        if "](" in text:
            return text
        url = clean_url(cite_attr or "")
        return f"[{text or escape_inline(url)}]({link_destination(url)})" if is_web_url(url) else text

    def listing(self, el, depth: int) -> list[str]:
        ordered = _tag(el) == "ol"
        start = int(el.get("start", "1")) if (el.get("start") or "").isdigit() else 1
        items = []
        for n, li in enumerate((c for c in el if _tag(c) == "li"), start=start):
            marker = f"{n}." if ordered else "-"
            body = "\n\n".join(self.blocks(li, depth)) or ""
            pad = " " * (len(marker) + 1)
            lines = body.split("\n")
            items.append(f"{marker} {lines[0]}" + "".join(f"\n{pad}{line}" if line else "\n" for line in lines[1:]))
        return ["\n".join(items)] if items else []

    def code_block(self, el, depth: int) -> list[str]:
        code = el.text_content().rstrip("\n")
        fence = "```" if "```" not in code else "~~~~"
        return [f"{fence}\n{code}\n{fence}"]

    def rule(self, el, depth: int) -> list[str]:
        return ["* * *"]

    def table(self, el, depth: int) -> list[str]:
        rows = [[_tidy(self.inline_children(cell, depth)).replace("\n", " ") or " "
                 for cell in row if _tag(cell) in ("td", "th")] for row in el.iter("tr")]
        rows = [r for r in rows if r]
        if not rows:
            return []
        width = max(len(r) for r in rows)
        rows = [r + [" "] * (width - len(r)) for r in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return ["\n".join(lines)]

    def image_block(self, el, depth: int) -> list[str]:
        text = self.inline(el, depth)
        return [text] if text else []

    # -------------------------------------------------------- inline

    def inline_children(self, el, depth: int) -> str:
        parts = [_text(el.text or "")]
        for child in el:
            if not self._skipped(child):
                parts.append(self.inline(child, depth + 1))
            parts.append(_text(child.tail or ""))
        return "".join(parts)

    def inline(self, el, depth: int) -> str:
        tag = _tag(el)
        if depth > MAX_DEPTH:
            return escape_inline(el.text_content())
        if tag == "br":
            return "\\\n"
        if tag == "img":
            src = (el.get("src") or "").strip()
            return f"![{escape_inline(el.get('alt', ''))}]({link_destination(src)})" if is_web_url(src) else ""
        if tag == "sup" or tag == "a":
            ref = self._footnote_ref(el)
            if ref is not None:
                return ref
        inner = self.inline_children(el, depth)
        if tag == "a":
            url = clean_url(el.get("href", ""))
            text = _tidy(inner)
            if not is_web_url(url):
                return text
            return f"[{text or escape_inline(url)}]({link_destination(url)})"
        if tag in ("em", "i", "cite"):
            return _wrap(inner, "*")
        if tag in ("strong", "b"):
            return _wrap(inner, "**")
        if tag in ("del", "s", "strike"):
            return _wrap(inner, "~~")
        if tag == "code":
            code = el.text_content()
            tick = "``" if "`" in code else "`"
            return f"{tick}{code}{tick}" if code.strip() else ""
        return inner

    # -------------------------------------------------------- footnotes

    def _footnote_ref(self, el) -> str | None:
        """A reference to a footnote: an in-page link in a ``<sup>`` (markdown-it, WordPress's
        ``sup.fn``) or Substack's ``a.footnote-anchor``. Its key is the target's id."""
        tag = _tag(el)
        anchor = el if tag == "a" else next(iter(el.iter("a")), None)
        if anchor is None or not anchor.get("href", "").startswith("#"):
            return None
        if tag == "a" and "footnote-anchor" not in (anchor.get("class") or "") and \
                not _FOOTNOTE_REF.search(anchor.get("href", "")):
            return None
        if "backref" in (anchor.get("class") or "") or _is_backlink(anchor):
            return None
        key = anchor.get("href")[1:]
        number = self.note_numbers.setdefault(key, len(self.note_numbers) + 1)
        return f"[^{number}]"

    def _footnote_definition(self, el) -> bool:
        """Substack: ``div.footnote``; WordPress: ``ol.wp-block-footnotes``; markdown-it and
        others: ``section.footnotes`` / ``div.footnotes``. Collected into ``notes`` by the id a
        reference points to, and left out of the text."""
        classes = (el.get("class") or "").split()
        if _tag(el) == "div" and "footnote" in classes:
            number = next((a for a in el.iter("a") if "footnote-number" in (a.get("class") or "")), None)
            content = next((c for c in el.iter("div") if "footnote-content" in (c.get("class") or "")), None)
            if number is not None and content is not None:
                self.notes[number.get("id") or f"footnote-{number.text_content().strip()}"] = \
                    " ".join(self.blocks(content))
                return True
        if {"footnotes", "wp-block-footnotes"} & set(classes) or el.get("id") == "footnotes":
            for li in el.iter("li"):
                for back in [a for a in li.iter("a") if _is_backlink(a) or "backref" in (a.get("class") or "")]:
                    back.drop_tree()
                self.notes[li.get("id") or ""] = " ".join(self.blocks(li))
            return True
        return False

    def footnotes(self) -> list[str]:
        out = []
        for key, number in sorted(self.note_numbers.items(), key=lambda kv: kv[1]):
            text = self.notes.get(key)
            if text:
                out.append(f"[^{number}]: {text}")
        return out


_BLOCK_HANDLERS = {
    **{h: _Converter.heading for h in _HEADINGS},
    "blockquote": _Converter.blockquote, "ul": _Converter.listing, "ol": _Converter.listing,
    "pre": _Converter.code_block, "hr": _Converter.rule, "table": _Converter.table,
}


def _is_backlink(anchor) -> bool:
    return anchor.text_content().strip() in ("↩", "↩︎", "^", "↑") or \
        (anchor.get("href") or "").endswith(("-link", "fnref")) or "#fnref" in (anchor.get("href") or "")


def _tag(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""  # comments and processing instructions: ""


def _text(text: str) -> str:
    # whitespace in HTML is one space; escaped so no old text turns into Markdown or HTML
    if not text.strip():
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    return lead + escape_inline(text) + trail


def _wrap(inner: str, mark: str) -> str:
    stripped = inner.strip()
    if not stripped:
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()):]
    return f"{lead}{mark}{stripped}{mark}{trail}"


_LINE_START = re.compile(r"^([#+=-]|\d{1,9}(?=[.)]))")


def _tidy(text: str) -> str:
    """Whitespace tidied, and no line of it able to open a heading, a list or a rule."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    lines = [_LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), line)
             for line in lines if line]
    return "\n".join(lines).strip()


def html_to_markdown(html: str, *, drop_title: str | None = None) -> str:
    """``html`` (a whole page or a fragment) as Markdown. ``drop_title``: a first heading that
    repeats the issue's title is left out (the draft's front matter has it)."""
    import lxml.html

    html = (html or "")[:MAX_HTML_CHARS]
    if not html.strip():
        return ""
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)
    root = lxml.html.document_fromstring(html, parser=parser)
    body = root.find("body")
    converter = _Converter()
    blocks = converter.blocks(body if body is not None else root)
    if blocks and drop_title and re.fullmatch(r"#{1,2} (.*)", blocks[0]) and \
            _same_title(blocks[0].lstrip("# "), drop_title):
        blocks = blocks[1:]
    blocks += converter.footnotes()
    return "\n\n".join(blocks).strip() + "\n" if blocks else ""


def _same_title(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\W+", " ", s.replace("\\", "")).strip().lower()

    return norm(a) == norm(b)
