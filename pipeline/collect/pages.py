"""One linked page: fetched and read in a worker thread (:func:`read_page`), then written to
its link by the collecting thread (:func:`apply_page`)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from pipeline.collect.extract import PageMeta, extract_page
from pipeline.collect.fetch import Fetcher, FetchError, decode, describe
from pipeline.collect.text import normalize_text, one_line
from pipeline.collect.urls import page_canonical, strip_tracking
from pipeline.models import Link, utcnow
from pipeline.typography import normalize

HTML_TYPES = ("text/html", "application/xhtml+xml")
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
MAX_ATTEMPTS = 5  # a page failing this often is left alone by later collects


@dataclass
class PageResult:
    ok: bool
    final_url: str | None = None
    canonical_url: str | None = None  # checked: same site as the page
    status: int | None = None
    content_type: str | None = None
    meta: PageMeta | None = None
    error: str | None = None


PDF_TYPES = ("application/pdf", "application/x-pdf")


def _wants_body(ctype: str) -> bool:
    return not ctype or ctype in HTML_TYPES or ctype in PDF_TYPES or ctype.startswith("text/")


def filename_title(url: str, disposition: str | None) -> str | None:
    """A title for a file that is not a page: its name from Content-Disposition, else the URL."""
    if disposition:
        msg = Message()
        msg["content-disposition"] = disposition
        name = msg.get_filename()
        if name:
            return one_line(PurePosixPath(name.replace("\\", "/")).name) or None
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    return one_line(name) or None


def read_page(fetcher: Fetcher, url: str) -> PageResult:
    """Fetch and read one page. Never raises for a page's fault: the result says what failed."""
    try:
        r = fetcher.get(url, accept=PAGE_ACCEPT, want_body=_wants_body)
    except FetchError as e:
        return PageResult(ok=False, status=e.status, error=str(e))
    except Exception as e:  # noqa: BLE001 - one odd page must not stop the collect
        return PageResult(ok=False, error=describe(e))
    final = r.url or url
    if r.content_type in PDF_TYPES or (not r.content_type and r.body.startswith(b"%PDF-")):
        return _pdf_result(fetcher, r, final)
    if r.content_type and r.content_type not in HTML_TYPES and not (r.content_type == "text/plain" and r.body):
        # a PDF, an image, ...: only what the headers tell
        meta = PageMeta(title=filename_title(final, r.headers.get("Content-Disposition")))
        return PageResult(ok=True, final_url=final, status=r.status, content_type=r.content_type, meta=meta)
    text = decode(r.body, r.charset)
    if r.content_type == "text/plain":
        meta = PageMeta(title=filename_title(final, r.headers.get("Content-Disposition")), main_text=normalize_text(text) or None)
        return PageResult(ok=True, final_url=final, status=r.status, content_type=r.content_type, meta=meta)
    try:
        meta = extract_page(text, final)
    except Exception as e:  # noqa: BLE001
        return PageResult(ok=False, final_url=final, status=r.status, error=f"could not read the page: {type(e).__name__}")
    return PageResult(ok=True, final_url=final, canonical_url=page_canonical(final, meta.canonical), status=r.status,
                      content_type=r.content_type or "text/html", meta=meta)


_SEPARATORS = ("|", "–", "—", "-", "·", "•", "::", "»", "/")


def _same_name(a: str, b: str) -> bool:
    return normalize(a).strip(" .") == normalize(b).strip(" .")


def without_site_name(title: str | None, site_name: str | None) -> str | None:
    """A title without a trailing (or leading) site name that equals ``site_name``:
    "Die Plattform als Vermieter | Netzpolitik Heute" → "Die Plattform als Vermieter"."""
    if not title or not site_name:
        return title
    for sep in _SEPARATORS:
        head, found, tail = title.rpartition(f" {sep} ")
        if found and head.strip() and _same_name(tail, site_name):
            return head.strip()
        head, found, tail = title.partition(f" {sep} ")
        if found and tail.strip() and _same_name(head, site_name):
            return tail.strip()
    return title


def _suffixed(longer: str, shorter: str) -> bool:
    """``longer`` is ``shorter`` with something appended after a separator ("X | Site")."""
    n_long, n_short = normalize(longer), normalize(shorter)
    rest = n_long[len(n_short):].lstrip() if n_long.startswith(n_short) and len(n_long) > len(n_short) else ""
    return bool(rest) and any(rest.startswith(sep) for sep in _SEPARATORS)


def choose_title(current: str | None, meta: PageMeta, curated: bool = False) -> str | None:
    """The one rule for a link's title once its page is read (feeds, ``add``, the
    bookmarklet). A trailing site name that equals the page's site name goes; of two titles
    where one is the other with a suffix ("X | Site", a ``document.title``), the shorter wins;
    otherwise a curated entry's title (a bookmark, an annotation) gives way to the title the
    page declares (OpenGraph, JSON-LD headline), and a title of the author's or of the page's
    own feed stays."""
    page = without_site_name(meta.title, meta.site_name)
    if not current:
        return page or current
    mine = without_site_name(current, meta.site_name)
    if not page:
        return mine
    if _same_name(mine, page) or _suffixed(mine, page):
        return page
    if _suffixed(page, mine):
        return mine
    return page if curated and meta.title_declared else mine


def _pdf_result(fetcher: Fetcher, r, final: str) -> PageResult:
    """A PDF: its text (for the check) and document information, read within the request's
    time bound (``pipeline.collect.pdf``)."""
    from pipeline.collect.pdf import read_pdf

    budget = getattr(fetcher, "total", None) or 60.0
    meta = read_pdf(r.body, deadline=time.monotonic() + budget)
    meta.title = meta.title or filename_title(final, r.headers.get("Content-Disposition"))
    return PageResult(ok=True, final_url=final, status=r.status, content_type=r.content_type or "application/pdf",
                      meta=meta)


def apply_page(link: Link, page: PageResult) -> None:
    """Write a fetch result to its link. What the author or the feed said about its own article
    wins and the page fills the gaps; for a curated entry (``link.via``: a bookmark, an
    annotation, a link-blog or microblog post) the page's own title and author win. Titles
    follow :func:`choose_title`. The canonical URL is set by the caller, which checks it is
    not taken."""
    link.fetch_attempts = (link.fetch_attempts or 0) + 1
    link.http_status = page.status
    link.fetched_at = utcnow()
    if not page.ok:
        link.fetch_status = "failed"
        link.fetch_error = (page.error or "failed")[:1000]
        return
    link.fetch_status = "ok"
    link.fetch_error = None
    link.content_type = page.content_type
    m = page.meta or PageMeta()
    curated = bool(link.via)
    if curated and m.author and link.author == link.via:  # stored before the curator was told apart
        link.author = None
    link.title = choose_title(link.title, m, curated)
    for name in ("site_name", "author", "published_at", "description", "language"):
        if getattr(link, name) in (None, "") and getattr(m, name) not in (None, ""):
            setattr(link, name, getattr(m, name))
    if m.main_text:
        link.main_text = m.main_text
    if page.final_url and page.final_url != link.url and not re.search(r"[\s<>\"\x00-\x1f\x7f-\x9f]", page.final_url):
        link.url = strip_tracking(page.final_url)
