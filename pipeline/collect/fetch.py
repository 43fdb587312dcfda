"""HTTP GET for feeds and pages: timeouts, a size cap, conditional GET, and text decoding.

One :class:`Fetcher` is shared by the collecting threads; each thread has its own
``requests.Session`` (sessions are not thread-safe) with keep-alive connections. The sockets of
those connections are registered, so that :meth:`Fetcher.abort` can cut the requests in flight
when a collect is stopped (a blocking read cannot be interrupted otherwise). A body is
streamed and the read stops as soon as it passes ``max_bytes``; nothing larger is ever held in
memory. Every request has a total deadline (:class:`Deadline`): when it passes, the request's
sockets are shut down, so a server dripping its headers or body a byte at a time cannot hold a
thread longer than that. Connections go only where the :class:`FetchPolicy` permits, to the
address it checked (``pipeline.collect.destinations``). Every failure is a :class:`FetchError`
with a message a person can read.
"""

from __future__ import annotations

import codecs
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Callable, Mapping

import requests
from charset_normalizer import from_bytes
from requests.structures import CaseInsensitiveDict

from pipeline.collect.connections import Deadline, SocketRegistry, tracking_adapter
from pipeline.collect.destinations import BlockedDestination, FetchPolicy
from pipeline.collect.text import one_line
from pipeline.errors import SourceError

USER_AGENT = "Linkletter/0.1 (newsletter link collector)"
CHUNK = 64 * 1024
TOTAL_FACTOR = 6  # a whole request (connect, headers, body) ends after this many fetch timeouts


class FetchError(SourceError):
    """A request failed: no answer, an HTTP error status, a body over the cap."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    content_type: str = ""  # media type only, lower case ("text/html")
    charset: str | None = None  # from the Content-Type header, if any
    not_modified: bool = False
    elapsed: float = 0.0
    extra: dict = field(default_factory=dict)


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """'text/html; charset=ISO-8859-1' -> ('text/html', 'iso-8859-1'); ('', None) if absent."""
    if not value or not value.strip():
        return "", None
    msg = Message()
    msg["content-type"] = value
    media = value.split(";")[0].strip().lower()
    charset = msg.get_param("charset")
    charset = str(charset).strip().strip("\"'").lower() if charset else ""
    return media, charset or None


def _codec(name: str | None) -> str | None:
    """A Python codec for a charset label, or None if unknown. Latin-1 is read as windows-1252,
    as browsers do."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)


def decode(body: bytes, header_charset: str | None = None) -> str:
    """Text of a page: charset from the header, else a byte-order mark, a ``<meta charset>`` or
    XML declaration, else detected (charset-normalizer); never fails."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    codec = _codec(header_charset)
    if codec is None:
        head = body[:4096]
        m = _META_CHARSET.search(head) or _XML_DECL.search(head)
        codec = _codec(m.group(1).decode("ascii", "ignore")) if m else None
    if codec is None:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            best = from_bytes(body[:200_000]).best()
            codec = _codec(best.encoding) if best else None
    return body.decode(codec or "utf-8", errors="replace")


def describe(exc: BaseException) -> str:
    """A short, readable reason for a failed request."""
    if isinstance(exc, (FetchError, BlockedDestination)):
        return str(exc)
    if isinstance(exc, (requests.ConnectTimeout,)):
        return "timed out while connecting"
    if isinstance(exc, (requests.ReadTimeout, requests.Timeout)):
        return "timed out waiting for an answer"
    if isinstance(exc, requests.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "timed out" in text.lower():
            return "timed out waiting for an answer"
        if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
            return "host not found"
        if "Connection refused" in text:
            return "connection refused"
        return "connection failed"
    if isinstance(exc, requests.RequestException):
        return f"request failed: {type(exc).__name__}"
    return one_line(f"{type(exc).__name__}: {exc}")[:300]


class SessionPool:
    """One requests.Session per thread (a Session is not thread-safe), all closed together.
    Without a ``policy``, only public addresses are fetched."""

    def __init__(self, *, pool_size: int = 4, user_agent: str = USER_AGENT, policy: FetchPolicy | None = None):
        self.pool_size = max(1, pool_size)
        self.policy = policy or FetchPolicy()
        self.user_agent = user_agent
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self.sockets = SocketRegistry()

    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.max_redirects = 10
            adapter = tracking_adapter(self.sockets, self.pool_size, self.policy)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
            s.headers["User-Agent"] = self.user_agent
            s.trust_env = False  # no proxies or .netrc credentials picked up behind the author's back
            self._local.session = s
            with self._lock:
                self._sessions.append(s)
        return s

    def close(self) -> None:
        with self._lock:
            for s in self._sessions:
                s.close()
            self._sessions.clear()


class Fetcher:
    """GET with the collect settings. Thread-safe: each thread gets its own Session. Without a
    ``policy``, only public addresses are fetched (see ``destinations.build_policy``)."""

    def __init__(self, *, timeout: float, max_bytes: int, pool_size: int = 4, user_agent: str = USER_AGENT,
                 policy: FetchPolicy | None = None):
        self.timeout = timeout or None
        self.max_bytes = max_bytes
        self.pool_size = max(1, pool_size)
        self.user_agent = user_agent
        self.total = total_deadline(self.timeout)
        self._pool = SessionPool(pool_size=pool_size, user_agent=user_agent, policy=policy)

    def _session(self) -> requests.Session:
        return self._pool.session()

    def close(self) -> None:
        self._pool.close()

    def abort(self) -> int:
        """Cut every request in flight (its thread gets a FetchError at once) and drop the
        keep-alive connections; the Fetcher stays usable (new requests connect afresh).
        Returns how many connections were cut. A request still connecting is not reached: its
        connect timeout ends it."""
        return self._pool.sockets.shutdown_all()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            accept: str = "*/*", want_body: Callable[[str], bool] | None = None,
            headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url``. A 304 gives ``not_modified``; other statuses >= 400 raise FetchError.
        ``want_body(content_type)`` may decline the body (for a PDF only the headers count).
        ``headers`` are sent as well (an API's Authorization; requests drops it on a redirect
        to another host). The whole request ends after ``total`` seconds, whatever the server does."""
        sent = {"Accept": accept, **(headers or {})}
        if etag:
            sent["If-None-Match"] = etag
        if last_modified:
            sent["If-Modified-Since"] = last_modified
        return self._bounded("GET", url, sent, want_body)

    def post(self, url: str, *, form: Mapping[str, str], accept: str = "application/json",
             headers: Mapping[str, str] | None = None) -> Response:
        """POST a form (an OAuth token request) with the same bounds as a GET; the form's values
        never appear in an error message."""
        return self._bounded("POST", url, {"Accept": accept, **(headers or {})}, None, form=dict(form))

    def _bounded(self, method: str, url: str, headers: dict, want_body: Callable[[str], bool] | None,
                 form: dict | None = None) -> Response:
        with Deadline(self.total) as deadline:
            try:
                resp = self._get(url, headers, want_body, method=method, form=form)
            except Exception:  # the cut shows as whatever failed first: say why it was cut
                if deadline.expired:
                    raise FetchError(deadline_message(self.total)) from None
                raise
            if deadline.expired:  # cut at the end of a body without a length: it is not the whole body
                raise FetchError(deadline_message(self.total))
            return resp

    def _get(self, url: str, headers: dict, want_body: Callable[[str], bool] | None, *, method: str = "GET",
             form: dict | None = None) -> Response:
        start = time.monotonic()
        try:
            # a form (a login) is never sent on: a 307 would carry it to wherever it points
            r = self._session().request(method, url, headers=headers, data=form, timeout=self.timeout, stream=True,
                                        allow_redirects=form is None)
        except requests.RequestException as e:
            raise FetchError(describe(e)) from None
        except BlockedDestination as e:
            raise FetchError(str(e)) from None
        try:
            ctype, charset = parse_content_type(r.headers.get("Content-Type"))
            resp = Response(url=r.url, status=r.status_code, headers=CaseInsensitiveDict(r.headers),
                            content_type=ctype, charset=charset)
            if r.status_code == 304:
                resp.not_modified = True
                return resp
            if form is not None and 300 <= r.status_code < 400:
                raise FetchError(f"HTTP {r.status_code}: redirected elsewhere, not followed with the form",
                                 status=r.status_code)
            if r.status_code >= 400:
                reason = one_line(r.reason)[:200]  # the server's words, never raw
                raise FetchError(f"HTTP {r.status_code} {reason}".strip(), status=r.status_code)
            if want_body is not None and not want_body(ctype):
                return resp
            length = r.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > self.max_bytes:
                raise FetchError(f"body too large: {int(length):,} bytes, the limit is {self.max_bytes:,} "
                                 f"(setting fetch_max_bytes)", status=r.status_code)
            resp.body = self._read(r)
            resp.elapsed = time.monotonic() - start
            return resp
        finally:
            r.close()

    def _read(self, r: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in r.iter_content(CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"body too large: more than {self.max_bytes:,} bytes (setting fetch_max_bytes)",
                                     status=r.status_code)
                chunks.append(chunk)
        except requests.RequestException as e:
            raise FetchError(describe(e), status=r.status_code) from None
        return b"".join(chunks)


def total_deadline(timeout: float | None) -> float:
    """Seconds a whole request may take: connecting, the headers and the body."""
    return (timeout or 30) * TOTAL_FACTOR


def deadline_message(total: float) -> str:
    return (f"timed out: no complete answer within {total:g} seconds "
            f"({TOTAL_FACTOR} times the setting fetch_timeout)")
