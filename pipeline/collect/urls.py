"""Canonical URLs: one page, one link, however it was shared.

``canonicalize`` removes what only tracks the reader (``utm_*``, ``fbclid``, ...) and what never
reaches the server (the fragment), and writes scheme and host in lower case without a default
port. It changes nothing else: path case, trailing slashes, the order and the other query
parameters stay, because two URLs differing there may well be two pages.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from pipeline.errors import LinkletterError

# Query parameters that only say where a reader came from. Compared in lower case.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id", "igshid",
    "mc_cid", "mc_eid", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "vero_id", "vero_conv", "wt_mc", "wt.mc_id", "cmpid", "s_cid", "rb_clickid", "sc_cid", "_ga", "_gl",
    "ref", "ref_src", "ref_url", "trk", "trkcampaign",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "ga_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURL(LinkletterError):
    """Not an absolute http(s) URL."""


def _is_tracking(name: str) -> bool:
    n = name.lower()
    return n in TRACKING_PARAMS or n.startswith(TRACKING_PREFIXES)


def check_url(url: str) -> str:
    """The URL without surrounding space, or InvalidURL if it is not an absolute http(s) URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise InvalidURL(f"not a valid URL: {url!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidURL(f"not an http:// or https:// URL: {url!r}")
    if re.search(r"\s", url):
        raise InvalidURL(f"a URL cannot contain spaces: {url!r}")
    return url


def strip_tracking(url: str) -> str:
    """The URL as given, less its tracking parameters and a fragment that only a tool reads (a
    Hypothesis ``#annotations:ID``, a text fragment ``#:~:text=``, which a quote keeps in its
    own source_url); everything else stays. This is the URL readers see."""
    parts = urlsplit(url)
    if parts.fragment.startswith(("annotations:", ":~:")):
        parts = parts._replace(fragment="")
        url = urlunsplit(parts)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe="/:@!$'()*+,;=")))


def canonicalize(url: str) -> str:
    """The normalized URL links are deduplicated by."""
    url = check_url(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname.lower().rstrip(".")  # type: ignore[union-attr]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{parts.port}"
    if parts.username:  # keep credentials as they were (rare, but distinct)
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    path = parts.path or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    # A fragment is dropped, except a client-side route (#!/... or #/...), which names another page.
    fragment = parts.fragment if parts.fragment.startswith(("!", "/")) else ""
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote, safe="/:@!$'()*+,;="), fragment))


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def page_canonical(page_url: str, declared: str | None) -> str | None:
    """The canonical URL a page declares (``<link rel=canonical>``, ``og:url``), normalized, if it
    may be trusted: on the same site as the page, and not the site's home page for a deeper page
    (a common template mistake that would merge every article of a site into one link)."""
    if not declared:
        return None
    try:
        target = canonicalize(urljoin(page_url, declared.strip()))
        base = urlsplit(canonicalize(page_url))
    except InvalidURL:
        return None
    t = urlsplit(target)
    if _site(t.hostname or "") != _site(base.hostname or ""):
        return None
    if t.path in ("", "/") and base.path not in ("", "/"):
        return None
    return target


def host_of(url: str) -> str:
    """The host and port a request goes to: the key of the per-host connection limit."""
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


def shown(url: str) -> str:
    """The URL for messages and logs: a password in it (https://user:secret@host/) is masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
