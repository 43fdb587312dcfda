"""Click counts, privacy-first and off by default (``click_counts = true`` turns them on).

When on, the links of an issue's HTML part go through ``<base_url>/r/<issue>/<index>?u=<url>
&s=<signature>`` when the email is frozen for a send (:func:`count_clicks_in`, called from
pipeline/send/freeze.py). The signature (HMAC, key from ``secret_key``, purpose "click",
pipeline/tokens.py) binds issue, index and target: an unsigned or altered address is refused,
never redirected (no open redirect). Following one raises one counter per (issue, link)
(:func:`record_click`) and redirects. The address is the same in every subscriber's copy: it
names nobody, nothing is stored per person or per click, there is no open-tracking pixel. The
text part and the site keep the direct links; with the setting off the HTML is untouched.
"""

from __future__ import annotations

import hashlib
import re
from html import escape, unescape
from typing import Collection
from urllib.parse import quote

from pipeline.tokens import click_signature, verify_click

MAX_URL = 2000  # longer targets stay direct (an /r/ address must fit a request line)
MAX_ISSUE = 10 ** 9
MAX_INDEX = 10_000

# href of an <a> or <area> in the HTML MRML and css-inline write (attributes quoted)
_HREF = re.compile(r"""(<(?:a|area)\b[^>]*?\shref\s*=\s*)(["'])(.*?)\2""", re.I | re.S)


def countable(url: str) -> bool:
    """Whether a target goes through the counter: an absolute http(s) URL of bounded length,
    without spaces or control characters."""
    return (url.startswith(("https://", "http://")) and len(url) <= MAX_URL
            and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url))


def click_url(settings, issue: int, index: int, url: str) -> str:
    """The counted address of ``url``, the ``index``-th link of issue ``issue``."""
    sig = click_signature(settings.secret_key, issue, index, url)
    return f"{settings.base_url}/r/{issue}/{index}?u={quote(url, safe='')}&s={sig}"


def count_clicks_in(html: str, issue: int, settings, *, keep: Collection[str] = ()) -> str:
    """The issue's email HTML with every countable link through the counter, when
    ``settings.click_counts`` is on; else ``html`` unchanged. Links are numbered by first
    appearance (the same URL twice is one link). ``keep``: targets left alone (the
    unsubscribe marker, which each subscriber's own URL replaces)."""
    if not getattr(settings, "click_counts", False):
        return html
    own = settings.base_url + "/r/"
    index: dict[str, int] = {}

    def rewrite(m: re.Match) -> str:
        url = unescape(m.group(3)).strip()
        if url in keep or not countable(url) or url.startswith(own):
            return m.group(0)
        n = index.setdefault(url, len(index) + 1)
        if n > MAX_INDEX:
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{escape(click_url(settings, issue, n, url), quote=True)}{m.group(2)}"

    return _HREF.sub(rewrite, html)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def verified_target(settings, issue: int, index: int, url: str | None, signature: str | None) -> str | None:
    """The target of a counted link if it is genuine, else None (raises nothing)."""
    from pipeline.tokens import TokenError

    if (url is None or signature is None or not 0 < issue <= MAX_ISSUE or not 0 < index <= MAX_INDEX
            or len(signature) > 64 or not countable(url)):
        return None
    try:
        verify_click(settings.secret_key, issue, index, url, signature)
    except TokenError:
        return None
    return url


def record_click(nl, issue: int, index: int, url: str) -> None:
    """One more click on a verified link: its counter, nothing else."""
    from pipeline.store import stats as store

    with nl.engine.begin() as conn:
        store.count_click(conn, issue, url_hash(url), url, index)
