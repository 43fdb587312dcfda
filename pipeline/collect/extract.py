"""What a page says about itself (OpenGraph, meta tags, JSON-LD) and its main text (trafilatura).

Pure functions over text: no network, no database. Every value is plain text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import lxml.html
from lxml import etree

from pipeline.collect.text import html_to_text, normalize_text, one_line

ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "report", "scholarlyarticle", "techarticle",
                 "analysisnewsarticle", "opinionnewsarticle", "reportagenewsarticle", "socialmediaposting",
                 "liveblogposting", "webpage", "creativework", "review", "posting"}


@dataclass
class PageMeta:
    title: str | None = None
    site_name: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    description: str | None = None
    language: str | None = None
    canonical: str | None = None  # as declared, not yet checked (see urls.page_canonical)
    main_text: str | None = None
    title_declared: bool = False  # the title is the page's OpenGraph, Twitter or JSON-LD one, not only <title>


def parse_date(value) -> datetime | None:
    """An ISO 8601 date or datetime as an aware UTC datetime (naive values are taken as UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    v = value.strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?)?", v)
    if not m:
        return None
    text = m.group(1) + ("T" + m.group(2) if m.group(2) else "T00:00:00")
    tz = m.group(3)
    if tz and tz != "Z" and ":" not in tz:
        tz = tz[:3] + ":" + tz[3:]
    try:
        dt = datetime.fromisoformat(text + (("+00:00" if tz == "Z" else tz) if tz else ""))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _clean(value, limit: int = 500) -> str | None:
    if not isinstance(value, str):
        return None
    text = one_line(value)
    if "<" in text or "&" in text:  # markup in a meta value: keep its text only
        text = one_line(html_to_text(text))
    return text[:limit] or None


def _names(value) -> str | None:
    """Author(s) from JSON-LD: a string, an object with a name, or a list of them."""
    if isinstance(value, str):
        return None if value.startswith(("http://", "https://")) else value
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_names(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


def _jsonld_objects(doc) -> list[dict]:
    found: list[dict] = []

    def visit(obj, depth=0):
        if depth > 4:
            return
        if isinstance(obj, list):
            for o in obj:
                visit(o, depth + 1)
        elif isinstance(obj, dict):
            if "@graph" in obj:
                visit(obj["@graph"], depth + 1)
            if "@type" in obj:
                found.append(obj)

    for script in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            visit(json.loads(script.text or "", strict=False))
        except (ValueError, RecursionError):
            continue
    return found


def _jsonld_article(doc) -> dict:
    objs = _jsonld_objects(doc)

    def types(o):
        t = o.get("@type")
        return {str(x).lower() for x in (t if isinstance(t, list) else [t])}

    for o in objs:
        if types(o) & (ARTICLE_TYPES - {"webpage", "creativework"}):
            return o
    for o in objs:
        if types(o) & ARTICLE_TYPES:
            return o
    return {}


def extract_metadata(doc, url: str) -> PageMeta:
    """Metadata of a parsed HTML document: OpenGraph first, then meta tags, JSON-LD, and the
    document itself."""
    meta: dict[str, str] = {}
    for el in doc.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "").strip().lower()
        content = el.get("content")
        if key and content and key not in meta:
            meta[key] = content
    ld = _jsonld_article(doc)
    publisher = ld.get("publisher")

    def first(*values):
        for v in values:
            c = _clean(v)
            if c:
                return c
        return None

    title_el = doc.find(".//title")
    canonical_el = doc.xpath('//link[@href][contains(concat(" ", translate(@rel, "CANONICAL", "canonical"), " "), " canonical ")]')
    html_el = doc.getroottree().getroot()
    lang = (html_el.get("lang") or html_el.get("xml:lang") or html_el.get("{http://www.w3.org/XML/1998/namespace}lang")
            or meta.get("content-language") or meta.get("og:locale") or ld.get("inLanguage"))
    lang = _clean(lang, 35) if isinstance(lang, str) else None
    if lang:
        lang = lang.replace("_", "-").split(",")[0].strip()
    author_meta = meta.get("author") or meta.get("article:author") or meta.get("dc.creator")
    if author_meta and author_meta.startswith(("http://", "https://")):
        author_meta = None
    declared = first(meta.get("og:title"), meta.get("twitter:title"), ld.get("headline"), ld.get("name"))
    return PageMeta(
        title=declared or first(title_el.text_content() if title_el is not None else None),
        title_declared=declared is not None,
        site_name=first(meta.get("og:site_name"), publisher.get("name") if isinstance(publisher, dict) else None,
                        meta.get("application-name")),
        author=first(author_meta, _names(ld.get("author")), _names(ld.get("creator"))),
        published_at=next((d for d in map(parse_date, (
            meta.get("article:published_time"), ld.get("datePublished"), meta.get("date"), meta.get("dc.date"),
            meta.get("dc.date.issued"), meta.get("pubdate"), meta.get("publish-date"), ld.get("dateCreated"),
        )) if d), None),
        description=first(meta.get("og:description"), meta.get("description"), meta.get("twitter:description"),
                          ld.get("description")),
        language=lang or None,
        canonical=(canonical_el[0].get("href") if canonical_el else None) or meta.get("og:url")
        or (ld.get("url") if isinstance(ld.get("url"), str) else None),
    )


def main_text(html: str, url: str | None = None) -> str | None:
    """The article's text without navigation and boilerplate, paragraphs separated by blank
    lines (trafilatura)."""
    import trafilatura  # imported on first use: it takes a while to load

    try:
        text = trafilatura.extract(html, url=url, output_format="txt", include_comments=False,
                                   include_tables=True, favor_recall=True)
    except Exception:  # noqa: BLE001 - a broken page must not break the collect
        text = None
    if not text:
        return None
    return normalize_text("\n\n".join(line for line in text.splitlines() if line.strip())) or None


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_html(html: str):
    """An lxml document for any HTML, however broken; None if there is nothing to parse."""
    html = _XML_DECLARATION.sub("", html, count=1)  # already decoded: its encoding= no longer applies
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        try:
            return lxml.html.document_fromstring(html.encode("utf-8", "replace"))
        except (etree.ParserError, ValueError):
            return None


def extract_page(html: str, url: str) -> PageMeta:
    """Metadata and main text of an HTML page."""
    doc = parse_html(html)
    meta = extract_metadata(doc, url) if doc is not None else PageMeta()
    meta.main_text = main_text(html, url)
    return meta
