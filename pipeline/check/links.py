"""Is each link of a draft alive, where does it end up, and does it carry tracking parameters?

A link is asked with HEAD first (cheap: no body). Servers that refuse HEAD or answer it
wrongly are asked again with GET, whose body is not read. Redirects are followed and
reported with the final URL, so the author can link to it directly.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from pipeline.collect.destinations import BlockedDestination, FetchPolicy
from pipeline.collect.connections import Deadline
from pipeline.collect.fetch import SessionPool, deadline_message, describe, total_deadline
from pipeline.collect.urls import host_of, is_web_url, tracking_params

__all__ = ["BLOCKING_STATUSES", "LinkStatus", "Prober", "is_web_url", "probe_links", "tracking_params"]

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


class Prober:
    """HEAD-then-GET requests with one timeout and a total deadline each; each thread has its
    own requests.Session. Without a ``policy``, only public addresses are asked."""

    def __init__(self, timeout: float, policy: FetchPolicy | None = None):
        self.timeout = timeout or None
        self.total = total_deadline(self.timeout)
        self._pool = SessionPool(user_agent=USER_AGENT, policy=policy)

    def _session(self) -> requests.Session:
        return self._pool.session()

    def close(self) -> None:
        self._pool.close()

    def probe(self, url: str) -> LinkStatus:
        result = LinkStatus(url=url)
        session = self._session()
        with Deadline(self.total) as deadline:
            try:
                r = session.head(url, timeout=self.timeout, allow_redirects=True)
                r.close()
                if r.status_code >= 400:  # HEAD refused or mishandled (405, 501, some 403/404): ask with GET
                    result.method = "GET"
                    r = session.get(url, timeout=self.timeout, allow_redirects=True, stream=True)
                    r.close()
            except (requests.RequestException, BlockedDestination) as e:
                result.error = deadline_message(self.total) if deadline.expired else describe(e)
                return result
            if deadline.expired:  # cut headers end like complete ones: the answer is not whole
                result.error = deadline_message(self.total)
                return result
        result.status = r.status_code
        result.final_url = r.url
        result.redirects = [h.status_code for h in r.history]
        return result


def probe_links(urls, *, timeout: float, workers: int = 8, per_host: int = 2,
                policy: FetchPolicy | None = None) -> dict[str, LinkStatus]:
    """Check each distinct web URL in parallel, at most ``per_host`` requests to one host at a
    time (fragments are not sent; the answer is the page's), each where ``policy`` permits."""
    urls = list(dict.fromkeys(u for u in urls if is_web_url(u)))
    if not urls:
        return {}
    prober = Prober(timeout, policy)
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
