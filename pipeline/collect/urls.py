"""URL identity: what "the same page" means, for collect, assembly and check alike.

The one owner of it: ``canonicalize`` (the dedup key of stored links), ``url_key`` (the looser
key that finds a link again in a draft's text), ``url_variants`` (the forms a cited URL may be
stored under), the tracking parameters (``is_tracking``, ``tracking_params``, ``strip_tracking``)
and ``is_web_url``.

``canonicalize`` removes what only tracks the reader (``utm_*``, ``fbclid``, ...) and what never
reaches the server (the fragment), and writes scheme and host in lower case without a default
port. Path and query are normalized as RFC 3986 §6.2.2 says, because every server reads them the
same way: percent-encoded unreserved characters are decoded (``%7E`` is ``~``), other
percent-encodings get upper-case hex digits, non-ASCII characters are percent-encoded as UTF-8
(an IRI becomes its URI: ``café`` is ``caf%C3%A9``), and ``.``/``..`` segments are removed.
It changes nothing else: path case, trailing slashes, reserved characters whether encoded or
not (``%2F`` is not ``/``), the order and the other query parameters stay, because two URLs
differing there may well be two pages. A URL already in this form comes back byte for byte.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from pipeline.errors import LinkletterError

# Query parameters that only say where a reader came from. Compared in lower case.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id", "igshid",
    "mc_cid", "mc_eid", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "vero_id", "vero_conv", "wt_mc", "wt.mc_id", "cmpid", "s_cid", "rb_clickid", "sc_cid", "_ga", "_gl",
    "ref", "ref_src", "ref_url", "trk", "trkcampaign",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "ga_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


class InvalidURL(LinkletterError):
    """Not an absolute http(s) URL."""


def is_tracking(name: str) -> bool:
    """A query parameter that only says where a reader came from (``utm_source``, ``fbclid``)."""
    n = name.lower()
    return n in TRACKING_PARAMS or n.startswith(TRACKING_PREFIXES)


def is_web_url(url: str | None) -> bool:
    """An absolute http(s) URL with a host (a javascript: or mailto: URL is not)."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def tracking_params(url: str) -> list[str]:
    """Names of the URL's query parameters that only track readers, each once, as written."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return list(dict.fromkeys(name for name, _ in parse_qsl(query, keep_blank_values=True) if is_tracking(name)))


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
    if re.search(r"[\x00-\x1f\x7f-\x9f]", url):
        raise InvalidURL(f"a URL cannot contain control characters: {url!r}")
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
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe="/:@!$'()*+,;=")))


def _encode_non_ascii(match: re.Match) -> str:
    # surrogatepass: a lone surrogate (never valid, but possible in a str) still gets one fixed form
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8", "surrogatepass"))


def _normal_percent(match: re.Match) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def normalize_percent(text: str) -> str:
    """RFC 3986 §6.2.2.1-2 and RFC 3987 §3.1 on a path or query: non-ASCII characters are
    percent-encoded as UTF-8, percent-encoded unreserved characters decoded, and the hex digits
    of the other percent-encodings written in upper case. Reserved characters, encoded or not,
    and a ``%`` not followed by two hex digits stay as they are."""
    return _PERCENT.sub(_normal_percent, _NON_ASCII.sub(_encode_non_ascii, text))


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/./b/../c`` is ``/a/c``; a ``..`` above the root stays at the root."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")  # "/a/." is "/a/"
        elif seg == "..":
            if len(out) > 1 or (out and out[0] != ""):
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    result = "/".join(out)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def normalize_path(path: str) -> str:
    """The path as ``canonicalize`` writes it: percent-encodings normalized (first, so that
    ``%2E%2E`` is a ``..`` segment, as browsers read it), then dot segments removed; "/" if empty."""
    return remove_dot_segments(normalize_percent(path)) or "/"


def _canonical_query(query: str) -> str:
    # Non-ASCII is encoded as UTF-8 first; then every parameter is decoded as Latin-1, which
    # maps each byte to one character and back, so the bytes of a value that is not UTF-8
    # survive (decoding it as UTF-8 would turn different values into one U+FFFD) and the
    # re-encoding writes each byte as the same upper-case %XX it was (or its unreserved char).
    pairs = parse_qsl(_NON_ASCII.sub(_encode_non_ascii, query), keep_blank_values=True, encoding="latin-1")
    kept = [(k, v) for k, v in pairs if not is_tracking(k)]
    return urlencode(kept, quote_via=quote, safe="/:@!$'()*+,;=", encoding="latin-1")


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
    path = normalize_path(parts.path)
    # A fragment is dropped, except a client-side route (#!/... or #/...), which names another page.
    fragment = parts.fragment if parts.fragment.startswith(("!", "/")) else ""
    return urlunsplit((scheme, netloc, path, _canonical_query(parts.query), fragment))


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


def without_fragment(url: str) -> str:
    """The URL without its #fragment (a text fragment #:~:text= names a place in the page)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment="")) if parts.fragment else url


def url_variants(url: str) -> list[str]:
    """The forms a cited URL may be stored under: as written, without fragment, canonical."""
    out = [url, without_fragment(url)]
    try:
        out.append(canonicalize(url))
    except InvalidURL:  # not an http(s) URL: no canonical form
        pass
    return list(dict.fromkeys(out))


def url_key(url: str) -> str:
    """A comparison key for "the same page" written by hand in a draft: scheme, 'www.', default
    port, trailing slash, percent-encoding of the path, tracking parameters and the fragment do
    not matter. Looser than ``canonicalize`` (a draft's author types URLs freely)."""
    url = url.strip()
    try:
        p = urlsplit(url)
        host = (p.hostname or "").lower().removeprefix("www.")
        port = p.port
    except ValueError:
        return url
    if p.scheme.lower() not in ("http", "https") or not host:
        return url
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = remove_dot_segments(unquote(p.path)).rstrip("/")
    query = urlencode([(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if not is_tracking(k)])
    return f"{netloc}{path}" + (f"?{query}" if query else "")
