"""``collect``: poll every source once, store new links and quotes, fetch the pages.

Requests run in a thread pool (requests is blocking); the pool never holds more than
``collect_concurrency`` requests in all and ``per_host_connections`` to one host: the
collecting thread keeps a queue per host and hands a request to the pool only when its host
has a free slot, so no worker ever waits on a busy host while others have work. Feeds are
parsed and pages read in the workers; only the collecting thread writes to the database
(one short transaction per feed or page), so SQLite never sees competing writers. A new
pick's page is queued as soon as its feed is stored.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable

from pipeline.collect.destinations import build_policy
from pipeline.collect.feeds import FEED_ACCEPT, Feed, parse_feed
from pipeline.collect.fetch import Fetcher, FetchError, describe
from pipeline.collect.links import StoredEntries, retrying, store_entries, store_page
from pipeline.collect.pages import MAX_ATTEMPTS, PageResult, read_page
from pipeline.collect.highlights import is_service, poll_service
from pipeline.collect.progress import Progress
from pipeline.collect.sources import sync_config_sources
from pipeline.collect.urls import host_of, shown
from pipeline.errors import LinkletterError
from pipeline.models import utcnow
from pipeline.store import links as link_store
from pipeline.store import sources as source_store

log = logging.getLogger("linkletter.collect")
STOP_POLL = 0.1  # seconds between looks at the stop event while requests are running


@dataclass
class CollectReport:
    sources_polled: int = 0
    sources_unchanged: int = 0  # answered 304 Not Modified
    sources_failed: int = 0
    new_links: int = 0
    new_quotes: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: bool = False  # the stop event was set: what was left is done by the next collect
    sources_skipped: int = 0  # not polled (or polled, but dropped unstored) because of the stop
    pages_skipped: int = 0

    def __str__(self) -> str:
        return self.summary().splitlines()[0]

    def summary(self) -> str:
        lines = [f"Polled {self.sources_polled} source(s): {self.sources_unchanged} unchanged, "
                 f"{self.sources_failed} failed; {self.new_links} new link(s), {self.new_quotes} new quote(s); "
                 f"{self.pages_fetched} page(s) fetched, {self.pages_failed} failed."]
        if self.stopped:
            lines[0] += (f" Stopped early: {self.sources_skipped} source(s) and {self.pages_skipped} page(s) "
                         f"left for the next collect.")
        if self.errors:
            lines.append(f"{len(self.errors)} error(s):")
            lines.extend(f"  {e}" for e in self.errors)
        return "\n".join(lines)


@dataclass
class FeedPoll:
    source_id: int
    url: str
    feed: Feed | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    cursor: str | None = None  # a highlight service's new cursor, stored with the entries


def poll_api(fetcher: Fetcher, settings, source_id: int, kind: str, url: str, cursor: str | None) -> FeedPoll:
    """Read one highlight service source (in a worker thread). Never raises, as ``poll_feed``."""
    try:
        result, new_cursor = poll_service(fetcher, settings, kind, url, cursor)
        return FeedPoll(source_id, url, feed=Feed(title=None, kind=kind, entries=result.entries), cursor=new_cursor)
    except LinkletterError as e:
        return FeedPoll(source_id, url, error=str(e))
    except Exception as e:  # noqa: BLE001 - a hostile answer must not stop the others
        log.debug("unexpected error polling %s", shown(url), exc_info=True)
        return FeedPoll(source_id, url, error=f"could not read the service: {describe(e)}")


def poll_feed(fetcher: Fetcher, source_id: int, url: str, etag: str | None, last_modified: str | None,
              kind: str = "feed") -> FeedPoll:
    """Fetch and parse one feed (in a worker thread), read as ``kind`` says (see
    ``collect.flavours``). Never raises: the result says what failed."""
    try:
        r = fetcher.get(url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT)
        if r.not_modified:
            return FeedPoll(source_id, url, not_modified=True)
        feed = parse_feed(r.body, content_type=r.content_type, url=r.url or url, headers=dict(r.headers), kind=kind)
        return FeedPoll(source_id, url, feed=feed, etag=r.headers.get("ETag"), last_modified=r.headers.get("Last-Modified"))
    except LinkletterError as e:
        return FeedPoll(source_id, url, error=str(e))
    except Exception as e:  # noqa: BLE001 - a hostile feed must not stop the others
        log.debug("unexpected error polling %s", shown(url), exc_info=True)  # recorded on the source below
        return FeedPoll(source_id, url, error=f"could not read the feed: {describe(e)}")


class HostQueue:
    """Work queued per host; submits to the pool within the global and per-host bounds."""

    def __init__(self, pool: ThreadPoolExecutor, limit: int, per_host: int):
        self.pool, self.limit, self.per_host = pool, max(1, limit), max(1, per_host)
        self.queues: dict[str, deque] = {}
        self.inflight: Counter[str] = Counter()
        self.futures: dict[Future, tuple[str, Any]] = {}

    def add(self, host: str, tag: Any, fn: Callable, *args) -> None:
        self.queues.setdefault(host, deque()).append((tag, fn, args))

    def fill(self) -> None:
        moved = True
        while moved and len(self.futures) < self.limit:
            moved = False
            for host in list(self.queues):
                if len(self.futures) >= self.limit:
                    return
                if self.inflight[host] >= self.per_host:
                    continue
                q = self.queues[host]
                tag, fn, args = q.popleft()
                if not q:
                    del self.queues[host]
                self.futures[self.pool.submit(fn, *args)] = (host, tag)
                self.inflight[host] += 1
                moved = True

    def done(self, stop_event: threading.Event | None = None):
        """Wait for at least one request; yield (tag, result) of each finished one. With a
        stop event, the wait looks at it every STOP_POLL seconds, and once it is set nothing
        more is yielded (what is left stays here for ``drop``)."""
        def stopping() -> bool:
            return stop_event is not None and stop_event.is_set()

        finished: set[Future] = set()
        while not finished:
            if stopping():
                return
            finished, _ = wait(list(self.futures), return_when=FIRST_COMPLETED,
                               timeout=None if stop_event is None else STOP_POLL)
        for fut in finished:
            if stopping():
                return
            host, tag = self.futures.pop(fut)
            self.inflight[host] -= 1
            yield tag, fut.result()

    def drop(self) -> Counter[str]:
        """Forget all work not stored yet (queued, running or finished unread): how many of
        each kind ("feed", "page"). Running requests cannot be interrupted; their results are
        simply never read."""
        kinds: Counter[str] = Counter()
        for q in self.queues.values():
            kinds.update(tag[0] for tag, _, _ in q)
        for fut, (_, tag) in self.futures.items():
            fut.cancel()
            kinds[tag[0]] += 1
        self.queues.clear()
        self.futures.clear()
        self.inflight.clear()
        return kinds

    def __bool__(self) -> bool:
        return bool(self.futures) or bool(self.queues)


def collect(nl, *, progress: Progress | None = None, fetcher: Fetcher | None = None,
            fetch_pages: bool = True, stop_event: threading.Event | None = None) -> CollectReport:
    """Poll every source once (the config's sources are added first), store new links and
    quotes, and fetch the page of every pick not fetched yet (new ones, links picked since the
    last collect, and those that failed before; inbox links are fetched once picked).
    With ``fetch_pages=False`` only the feeds are polled; the pages wait for a later collect.

    Once ``stop_event`` is set (shutdown), nothing more is queued or stored: queued requests are
    cancelled, running ones are cut (``Fetcher.abort``) and their results dropped, and
    the report says ``stopped`` and how much was skipped. Every write is one transaction per feed
    or page, so nothing is half-stored; skipped sources and pages are simply done next time."""
    # Longer than 60 lines on purpose: the queue, the loop and the stop handling share the pool
    # and the fetcher, and the `finally` below must see all of them to shut down right.
    settings = nl.settings
    report = CollectReport()
    sync_config_sources(nl)
    with nl.session() as s:
        sources = [(src.id, src.url, src.etag, src.last_modified, src.kind, src.cursor)
                   for src in source_store.all_sources(s)]
        waiting = link_store.links_to_fetch(s, MAX_ATTEMPTS)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes,
                                 pool_size=max(1, settings.per_host_connections),
                                 policy=build_policy(settings, [src[1] for src in sources]))
    queued_pages: set[int] = set()
    workers = max(1, settings.collect_concurrency)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect")
    work = HostQueue(pool, workers, settings.per_host_connections)
    try:  # the pool is shut down in ``finally``: at once on a stop, else after the last request

        def queue_page(link_id: int, url: str) -> None:
            if fetch_pages and link_id not in queued_pages:
                queued_pages.add(link_id)
                work.add(host_of(url), ("page", link_id, url), read_page, fetcher, url)
                if progress:
                    progress.add_total(1)

        for sid, url, etag, lm, kind, cursor in sources:
            if is_service(kind):
                work.add(host_of(url), ("feed", sid, url), poll_api, fetcher, settings, sid, kind, url, cursor)
            else:
                work.add(host_of(url), ("feed", sid, url), poll_feed, fetcher, sid, url, etag, lm, kind)
        if progress:
            progress.add_total(len(sources))
        for link_id, url in waiting:
            queue_page(link_id, url)
        while work:
            if stop_event is not None and stop_event.is_set():
                break
            work.fill()
            for tag, result in work.done(stop_event):
                if tag[0] == "feed":
                    message = _store_feed(nl, result, report, queue_page)
                else:
                    message = _store_page(nl, tag[1], tag[2], result, report)
                if progress:
                    progress.step(message)
        if work:  # stopped
            skipped = work.drop()
            fetcher.abort()  # the requests in flight end now, so their threads do not hold up an exit
            report.stopped = True
            report.sources_skipped, report.pages_skipped = skipped["feed"], skipped["page"]
            log.info("collect stopped: %d source(s) and %d page(s) left for the next collect",
                     report.sources_skipped, report.pages_skipped)
    finally:
        # On a stop (or an error) queued requests are cancelled and running ones not waited for:
        # their results would not be stored anyway (on a stop their sockets were cut above, so
        # the threads end at once and do not hold up the interpreter's exit, which joins them).
        pool.shutdown(wait=not work and not report.stopped, cancel_futures=True)
        if own_fetcher:
            fetcher.close()
        if progress:
            progress.close()
    return report


def _store_feed(nl, poll: FeedPoll, report: CollectReport, queue_page) -> str:
    report.sources_polled += 1
    url = shown(poll.url)
    if poll.error or poll.not_modified:
        def write_poll() -> None:
            with nl.session() as s:
                source_store.record_poll(s, poll.source_id, at=utcnow(), error=poll.error)
        retrying(write_poll)
        if poll.error:
            report.sources_failed += 1
            report.errors.append(f"source #{poll.source_id} {url}: {poll.error}")
            return f"feed failed {url}: {poll.error}"
        report.sources_unchanged += 1
        return f"feed unchanged {url}"

    def write_entries() -> StoredEntries | None:
        with nl.session() as s:
            source = source_store.get_source(s, poll.source_id)
            if source is None:  # removed while we were polling
                return None
            stored = store_entries(s, source, poll.feed.entries if poll.feed else [],
                                   flavour=poll.feed.flavour if poll.feed else "feed")
            source_store.record_poll(s, poll.source_id, at=utcnow(), error=None, etag=poll.etag,
                                     last_modified=poll.last_modified, new_validators=True, cursor=poll.cursor)
            return stored

    stored = retrying(write_entries)
    if stored is None:
        return f"feed skipped {url} (source removed)"
    report.new_links += len(stored.new_links)
    report.new_quotes += stored.new_quotes
    for link_id, link_url in stored.to_fetch:
        queue_page(link_id, link_url)
    return f"feed ok {url}: {len(stored.new_links)} new link(s), {stored.new_quotes} new quote(s)"


def _store_page(nl, link_id: int, url: str, page: PageResult, report: CollectReport) -> str:
    def write() -> bool:
        with nl.session() as s:
            link = link_store.get_link(s, link_id)
            if link is None:
                return False
            store_page(s, link, page)
            return True

    if not retrying(write):
        return f"page skipped {shown(url)} (link removed)"
    if page.ok:
        report.pages_fetched += 1
        return f"page ok {shown(url)}"
    report.pages_failed += 1
    report.errors.append(f"link #{link_id} {shown(url)}: {page.error}")
    return f"page failed {shown(url)}: {page.error}"


__all__ = ["CollectReport", "collect", "poll_feed", "FetchError"]
