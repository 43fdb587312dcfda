"""Who may change state, and from where: the one place that knows the server's own origin.

- ``host_allowed``: the ``Host`` header names ``base_url``'s host or a loopback name. A
  DNS-rebinding page reaches the server under its own name (``Host: evil.example``), so
  everything author-only (previews, the bookmarklet's pages) asks this first.
- ``same_origin``: a POST that changes state comes from the server's own pages. Browsers say
  where a request comes from (``Sec-Fetch-Site``, ``Origin``, else ``Referer``); a request from
  another site is refused. A request that says nothing (an old browser, a privacy tool) must
  carry the form token of the page it came from.
- Form tokens: every form carries ``form_token``, an HMAC of the secret key over the form's
  path, the client's address and the time it was made; valid for ``FORM_TOKEN_AGE`` seconds.
  No cookie is needed, and another site cannot make one for its visitor's address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlsplit

from starlette.requests import Request

from pipeline.hosts import is_loopback

FORM_TOKEN_FIELD = "form_token"
FORM_TOKEN_AGE = 24 * 3600


def _host_name(host: str) -> str:
    """``Example.org:8080`` → ``example.org``; ``[::1]:8080`` → ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def host_allowed(request: Request) -> bool:
    """The Host header names this newsletter (``base_url``) or this machine (loopback)."""
    name = _host_name(request.headers.get("host", ""))
    own = (urlsplit(request.app.state.nl.settings.base_url).hostname or "").lower()
    return bool(name) and (name == own or is_loopback(name))


def from_this_machine(request: Request) -> bool:
    """The client is on this machine (behind a reverse proxy: uvicorn has put the forwarded
    client's address here) and the Host header is allowed (no DNS-rebinding name)."""
    client = request.client.host if request.client else None
    return is_loopback(client) and host_allowed(request)


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def own_origins(request: Request) -> set[str]:
    """``base_url``'s origin, and the one the request was addressed to if its Host is allowed."""
    origins = {_origin_of(request.app.state.nl.settings.base_url)}
    if host_allowed(request):
        origins.add(f"{request.url.scheme}://{request.headers.get('host', '').lower()}")
    return {o for o in origins if o}


def request_origin(request: Request) -> str:
    """'same', 'cross' or 'unknown': where the browser says the request comes from.
    ``Sec-Fetch-Site`` first (a page cannot set it); ``Origin: null`` (sandboxed frames, some
    referrer policies) says nothing."""
    site = request.headers.get("sec-fetch-site", "").lower()
    if site in ("same-origin", "none"):
        return "same"
    if site in ("cross-site", "same-site"):
        return "cross"
    origin = request.headers.get("origin", "null")
    if origin != "null":
        return "same" if origin.lower() in own_origins(request) else "cross"
    referer = request.headers.get("referer")
    if referer:
        return "same" if _origin_of(referer) in own_origins(request) else "cross"
    return "unknown"


def _mac(secret: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"form:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:27]


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def form_token(request: Request, path: str | None = None, now: float | None = None) -> str:
    """The token for a form on this page posting to ``path`` (default: this page's path)."""
    path = path or request.url.path
    stamp = str(int(time.time() if now is None else now))
    return f"{stamp}.{_mac(request.app.state.nl.settings.secret_key, f'{path}|{_client(request)}|{stamp}')}"


def form_token_valid(request: Request, token: str, now: float | None = None) -> bool:
    stamp, _, mac = token.partition(".")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12 or not mac.isascii():
        return False
    age = (time.time() if now is None else now) - int(stamp)
    if not 0 <= age <= FORM_TOKEN_AGE:
        return False
    expected = _mac(request.app.state.nl.settings.secret_key, f"{request.url.path}|{_client(request)}|{stamp}")
    return hmac.compare_digest(mac.encode(), expected.encode())


def post_allowed(request: Request, form: dict[str, str]) -> bool:
    """A state-changing POST: from this site, or (when the browser says nothing) with a valid
    form token. A request from another site is refused even with a token."""
    where = request_origin(request)
    if where == "unknown":
        return form_token_valid(request, form.get(FORM_TOKEN_FIELD, ""))
    return where == "same"
