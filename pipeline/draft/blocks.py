"""How a picked link is written into a draft: one Markdown block per link (title, byline,
its quotes as blockquotes, the author's notes as comments that are never published, a commentary
placeholder), see ``pipeline/draft/assemble.py``.

Titles, names and quotes are plain text: every character that Markdown or HTML would read
as markup is escaped, so a hostile title or quote stays text. Everything else (German
quotation marks, dashes, ellipses, no-break spaces) passes through unchanged.
"""

from __future__ import annotations

import re
from typing import Sequence
from urllib.parse import urlsplit

from pipeline.collect.urls import is_web_url, url_key
from pipeline.i18n import t
from pipeline.models import Link, Quote

# ---------------------------------------------------------------- escaping: plain text into Markdown

# ASCII punctuation that starts inline markup anywhere in a line: code spans, emphasis and
# strikethrough, links, images and footnotes, autolinks and raw HTML, entities, table cells.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
# Only ASCII whitespace is collapsed or stripped: a no-break space is the author's typography.
_ASCII_WS = re.compile(r"[ \t\n\r\f\v]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# At the start of a line: ATX headings, list bullets, setext underlines and thematic breaks.
_LINE_START = re.compile(r"^([#+=-])")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def escape_inline(text: str) -> str:
    """One line of plain text (a title, a name), escaped for use inside a Markdown paragraph
    or link text. Line breaks become spaces."""
    text = _CONTROL.sub("", text)
    text = _ASCII_WS.sub(" ", text).strip(" ")
    return _INLINE.sub(r"\\\1", text)


def escape_line(line: str) -> str:
    """A line of plain text that may stand at the start of a Markdown line, escaped so that
    it cannot open a heading, a list, a code block, HTML or any other markup."""
    line = _CONTROL.sub("", line).strip(" \t")
    line = _INLINE.sub(r"\\\1", line)
    line = _LINE_START.sub(r"\\\1", line)
    return _ORDERED.sub(r"\1\\\2", line)


def text_paragraphs(text: str) -> list[list[str]]:
    """Plain text split into paragraphs (at blank lines), each a list of escaped lines."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = escape_line(raw)
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f<>()\\]")


def link_destination(url: str) -> str:
    """A URL as a Markdown link destination: characters that would end or break the
    destination (spaces, parentheses, angle brackets, backslashes) are percent-encoded."""
    return _URL_UNSAFE.sub(lambda m: "%{:02X}".format(ord(m.group(0))), url.strip())


def markdown_link(text: str, url: str) -> str:
    """``[text](url)`` with the text escaped; a URL that is not http(s) is shown as text only."""
    if not is_web_url(url):  # e.g. javascript: or mailto: from a hostile feed: text only
        shown = escape_line(_ASCII_WS.sub(" ", text))  # may start a line: no list, no heading
        return shown + (" " + escape_inline(url) if url and url != text else "")
    return f"[{escape_inline(text) or escape_inline(url)}]({link_destination(url)})"


# ---------------------------------------------------------------- one block per link


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def link_url(link: Link) -> str:
    """Where the block links to: the canonical URL (no tracking parameters), else the URL."""
    return link.canonical_url if is_web_url(link.canonical_url) else link.url


def _needs_attribution(source_url: str | None, link: Link) -> bool:
    """A quote's own source link is shown when it leads elsewhere than the block's link: to
    another page, or to a place in the page (a text fragment such as ``#:~:text=``)."""
    if not is_web_url(source_url):
        return False
    if urlsplit(source_url or "").fragment:
        return True
    return all(url_key(source_url or "") != url_key(u) for u in (link.url, link.canonical_url) if u)


def author_comment(text: str) -> str:
    """Text for the author only, as an HTML comment the render drops: no ``--`` inside, so
    nothing in it can end the comment early (``-->``) and let the rest through as markup."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    while "--" in text:
        text = text.replace("--", "-\u2010")
    text = text.rstrip("-")  # '<!-- x- -->' would still be fine, but '<!-- ->' tricks are not worth it
    return f"<!-- {text} -->"


def note_comment(note: str, language: str) -> str:
    """The author's note as a comment: ``<!-- note: … -->`` (never published)."""
    return author_comment(f"{t(language, 'picks.note')}: {note.strip()}")


def _blockquote(link: Link, q: Quote, label: str | None = None) -> str | None:
    paragraphs = text_paragraphs(q.text or "")
    if not paragraphs:
        return None
    lines: list[str] = []
    for i, para in enumerate(paragraphs):
        if i:
            lines.append(">")
        lines.extend("> " + line for line in para)
    if label is not None:  # a quote standing apart from its link's block names its source
        target = q.source_url if is_web_url(q.source_url) else link_url(link)
        lines += [">", "> — " + markdown_link(label, target or "")]
    elif _needs_attribution(q.source_url, link):
        shown = q.cite_text or link.site_name or _host(q.source_url or "") or q.source_url or ""
        lines += [">", "> — " + markdown_link(shown, q.source_url or "")]
    return "\n".join(lines)


def _quote_parts(link: Link, quotes: Sequence[Quote], language: str, label: str | None = None) -> list[str]:
    out = []
    for q in quotes:
        quoted = _blockquote(link, q, label)
        if quoted is None:
            continue
        out.append(quoted)
        if q.note and q.note.strip():
            out.append(note_comment(q.note, language))
    return out


def _title(link: Link) -> str:
    url = link_url(link)
    return (link.title or "").strip(" \t\r\n\f\v") or _host(url) or url


def render_block(link: Link, quotes: Sequence[Quote], language: str = "en",
                 featured_in: Sequence[int] = ()) -> str:
    """The Markdown block for one picked link, ending with a newline. Notes (the link's and
    each quote's) are comments for the author; ``featured_in`` names earlier sent issues."""
    url = link_url(link)
    title = _title(link)
    byline = []
    for value in (link.author, link.site_name):
        value = escape_inline(value or "")
        if value and value not in byline and value != escape_inline(title):
            byline.append(value)
    head = markdown_link(title, url) + (t(language, "draft.dash") + ", ".join(byline) if byline else "")
    out = [head]
    if featured_in:
        out.append(author_comment(t(language, "picks.featured", issues=", ".join(map(str, featured_in)))))
    out += _quote_parts(link, quotes, language)
    if link.note and link.note.strip():
        out.append(note_comment(link.note, language))
    out.append(t(language, "draft.commentary"))
    return "\n\n".join(out) + "\n"


def followup_block(link: Link, quotes: Sequence[Quote], language: str = "en") -> str:
    """New quotes for a link whose block is already in the draft: a comment naming the link,
    then each quote with its source named (so it can stand anywhere and ``check`` knows
    where it is from). Ends with a newline; empty when no quote has text."""
    parts = _quote_parts(link, quotes, language, label=_title(link))
    if not parts:
        return ""
    head = author_comment(t(language, "picks.more", id=link.id, title=_title(link)))
    return "\n\n".join([head, *parts]) + "\n"
