"""Is each link of a draft alive, where does it end up, and does it carry tracking parameters?

A link is asked with HEAD first (cheap: no body). Servers that refuse HEAD or answer it
wrongly are asked again with GET, whose body is not read. Redirects are followed and
reported with the final URL, so the author can link to it directly.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import requests

from pipeline.collect.fetch import SessionPool, describe
from pipeline.collect.urls import TRACKING_PARAMS, TRACKING_PREFIXES, host_of

USER_AGENT = "Linkletter/0.1 (link check before sending a newsletter)"
# Statuses that mostly mean "no robots here" rather than "gone": a warning, not an error.
BLOCKING_STATUSES = frozenset({401, 403, 429})


@dataclass
class LinkStatus:
    url: str
    status: int | None = None  # the final answer's status code
    final_url: str | None = None  # after redirects
    redirects: list[int] = field(default_factory=list)  # status code of each redirect hop
    method: str = "HEAD"
    error: str | None = None  # no answer at all: why

    @property
    def redirected(self) -> bool:
        return bool(self.redirects) and self.final_url is not None and self.final_url != self.url

    @property
    def dead(self) -> bool:
        return self.error is not None or (self.status is not None and self.status >= 400)


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def tracking_params(url: str) -> list[str]:
    """Names of the URL's query parameters that only track readers (utm_source, fbclid, ...)."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    names = []
    for name, _value in parse_qsl(query, keep_blank_values=True):
        n = name.lower()
        if (n in TRACKING_PARAMS or n.startswith(TRACKING_PREFIXES)) and name not in names:
            names.append(name)
    return names


class Prober:
    """HEAD-then-GET requests with one timeout; each thread has its own requests.Session."""

    def __init__(self, timeout: float):
        self.timeout = timeout or None
        self._pool = SessionPool(user_agent=USER_AGENT)

    def _session(self) -> requests.Session:
        return self._pool.session()

    def close(self) -> None:
        self._pool.close()

    def probe(self, url: str) -> LinkStatus:
        result = LinkStatus(url=url)
        session = self._session()
        try:
            r = session.head(url, timeout=self.timeout, allow_redirects=True)
            r.close()
            if r.status_code >= 400:  # HEAD refused or mishandled (405, 501, some 403/404): ask with GET
                result.method = "GET"
                r = session.get(url, timeout=self.timeout, allow_redirects=True, stream=True)
                r.close()
        except requests.RequestException as e:
            result.error = describe(e)
            return result
        result.status = r.status_code
        result.final_url = r.url
        result.redirects = [h.status_code for h in r.history]
        return result


def probe_links(urls, *, timeout: float, workers: int = 8, per_host: int = 2) -> dict[str, LinkStatus]:
    """Check each distinct web URL in parallel, at most ``per_host`` requests to one host at a
    time (fragments are not sent; the answer is the page's)."""
    urls = list(dict.fromkeys(u for u in urls if is_web_url(u)))
    if not urls:
        return {}
    prober = Prober(timeout)
    limits: dict[str, threading.BoundedSemaphore] = {}
    for u in urls:
        limits.setdefault(host_of(u), threading.BoundedSemaphore(max(1, per_host)))

    def probe(url: str) -> LinkStatus:
        with limits[host_of(url)]:
            return prober.probe(url)

    try:
        with ThreadPoolExecutor(max_workers=min(workers, len(urls))) as pool:
            return dict(zip(urls, pool.map(probe, urls)))
    finally:
        prober.close()
