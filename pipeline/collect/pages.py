"""One linked page: fetched and read in a worker thread (:func:`read_page`), then written to
its link by the collecting thread (:func:`apply_page`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from pipeline.collect.extract import PageMeta, extract_page
from pipeline.collect.fetch import Fetcher, FetchError, decode, describe
from pipeline.collect.text import normalize_text, one_line
from pipeline.collect.urls import page_canonical, strip_tracking
from pipeline.models import Link, utcnow

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


def _wants_body(ctype: str) -> bool:
    return not ctype or ctype in HTML_TYPES or ctype.startswith("text/")


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


def apply_page(link: Link, page: PageResult) -> None:
    """Write a fetch result to its link. What the feed or the author said wins; the page fills
    the gaps. The canonical URL is set by the caller, which checks it is not taken."""
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
    for name in ("title", "site_name", "author", "published_at", "description", "language"):
        if getattr(link, name) in (None, "") and getattr(m, name) not in (None, ""):
            setattr(link, name, getattr(m, name))
    if m.main_text:
        link.main_text = m.main_text
    if page.final_url and page.final_url != link.url and not re.search(r"[\s<>\"\x00-\x1f\x7f-\x9f]", page.final_url):
        link.url = strip_tracking(page.final_url)
