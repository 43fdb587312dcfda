"""A WordPress export (WXR: Tools → Export → Posts), an RSS 2.0 file with WordPress's
``wp:`` namespace (export/1.0 to 1.2). Published posts (``wp:post_type`` post,
``wp:status`` publish) are read; ``content:encoded`` is the post's HTML as stored, which for
the classic editor has no ``<p>`` tags (WordPress adds them when showing it: wpautop)."""

from __future__ import annotations

import re

from pipeline.backissues.markdown import html_to_markdown
from pipeline.backissues.readers.common import Container, ExportError, OldIssue, number_in_title, parse_date

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_EXCERPT_NS = "/excerpt/}encoded"
_BLOCK_TAG = re.compile(r"<(p|div|h[1-6]|ul|ol|blockquote|table|pre|figure)\b", re.I)


def _wxr_name(container: Container) -> str | None:
    names = [container.path.name] if container.is_single_file else container.names()
    for name in names:
        if name.lower().endswith(".xml"):
            head = container.read_bytes(name if not container.is_single_file else name)[:4096]
            if b"wordpress.org/export/" in head:
                return name
    return None


def recognises(container: Container) -> bool:
    return _wxr_name(container) is not None


def autop(html: str) -> str:
    """What WordPress's wpautop does for classic-editor text (no block comments, no ``<p>``):
    blank lines part paragraphs, single newlines are line breaks; a part that is a block
    element of its own (a blockquote, a list) stays as it is."""
    if "<!-- wp:" in html or re.search(r"<p[\s>]", html, re.I):
        return html
    out = []
    for part in (p.strip() for p in re.split(r"\n\s*\n", html.replace("\r\n", "\n"))):
        if not part:
            continue
        out.append(part if _BLOCK_TAG.match(part) else f"<p>{part.replace(chr(10), '<br>')}</p>")
    return "\n".join(out)


def read(container: Container, *, category: str | None = None, title: str | None = None, **_options) -> list[OldIssue]:
    from lxml import etree

    name = _wxr_name(container)
    if name is None:
        raise ExportError(f"{container.label}: no WordPress export (WXR) file found")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(container.read_bytes(name), parser=parser)
    except etree.XMLSyntaxError as e:
        raise ExportError(f"{container.label}: {name} line {e.lineno}: not well-formed XML ({e.msg})") from None
    wp = next((ns for ns in (root.nsmap or {}).values() if ns and "wordpress.org/export/" in ns and "excerpt" not in ns),
              "http://wordpress.org/export/1.2/")
    out = []
    for n, item in enumerate(root.iter("item"), start=1):
        if item.findtext(f"{{{wp}}}post_type") != "post" or item.findtext(f"{{{wp}}}status") != "publish":
            continue
        heading = (item.findtext("title") or "").strip()
        if title and title.lower() not in heading.lower():
            continue
        if category and not _in_category(item, category):
            continue
        where = f"{name} item {n} ({heading[:60]!r}, line {item.sourceline})"
        gmt = (item.findtext(f"{{{wp}}}post_date_gmt") or "").strip()
        when = parse_date(gmt if gmt and not gmt.startswith("0000") else item.findtext("pubDate"), where)
        html = autop(item.findtext(_CONTENT) or "")
        excerpt = next((e.text for e in item if isinstance(e.tag, str) and e.tag.endswith(_EXCERPT_NS)), None)
        out.append(OldIssue(key=(item.findtext("link") or "").strip() or f"wordpress:{item.findtext(f'{{{wp}}}post_id')}",
                            title=heading, date=when, body=html_to_markdown(html, drop_title=heading),
                            number=number_in_title(heading), where=where,
                            summary=" ".join(excerpt.split()) if excerpt and excerpt.strip() else None))
    return out


def _in_category(item, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    for cat in item.iter("category"):
        if cat.get("domain", "category") in ("category", "post_tag") and \
                wanted in ((cat.text or "").strip().lower(), (cat.get("nicename") or "").lower()):
            return True
    return False
