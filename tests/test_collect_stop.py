"""Stopping a collect: once the stop event is set, collect queues nothing more, stores nothing
more and returns without waiting for the requests in flight, which are cut (their threads end,
so they cannot hold up the process's exit); the sources it skipped are polled by the next
collect."""

from __future__ import annotations

import threading

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.collect import add_source, collect, list_sources
from pipeline.newsletter import open_newsletter

FEEDS = 6
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Slow {n}</title><link>{base}/</link>
<item><title>Post {n}</title><link>{base}/posts/{n}.html</link><guid>slow-{n}</guid></item></channel></rss>"""


class SlowFeeds:
    """Feeds that answer once ``release`` is set (after 30 s at the latest: far longer than a stop
    may take), counting what arrives and what was answered."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.base = server.url_for("").rstrip("/")
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.requested: list[str] = []
        self.answered = 0
        self.two_in_flight = threading.Event()
        server.expect_request("/posts/", method="GET").respond_with_data("<p>post</p>", content_type="text/html")
        for n in range(FEEDS):
            server.expect_request(f"/feeds/{n}.rss").respond_with_handler(self.handler(n))

    def handler(self, n: int):
        def respond(request: Request) -> Response:
            with self.lock:
                self.requested.append(request.path)
                if len(self.requested) >= 2:
                    self.two_in_flight.set()
            self.release.wait(30)
            with self.lock:
                self.answered += 1
            return Response(RSS.format(n=n, base=self.base), content_type="application/rss+xml")
        return respond


@pytest.fixture
def slow_feeds():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    feeds = SlowFeeds(server)
    yield feeds
    feeds.release.set()
    server.clear()
    server.stop()


@pytest.fixture
def snl(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_COLLECT_CONCURRENCY": "2", "LINKLETTER_FETCH_TIMEOUT": "60"})
    yield nl
    nl.close()


def test_a_stop_ends_collect_without_waiting_and_the_next_collect_polls_the_rest(snl, slow_feeds):
    for n in range(FEEDS):
        add_source(snl, f"{slow_feeds.base}/feeds/{n}.rss", name=f"Slow {n}")
    stop = threading.Event()
    done: dict = {}

    def run() -> None:
        done["report"] = collect(snl, stop_event=stop)
        with slow_feeds.lock:  # what the server had answered when collect came back
            done["answered"] = slow_feeds.answered
        # the request threads end too, without their answers: the requests were cut
        for t in threading.enumerate():
            if t.name.startswith("collect_"):
                t.join(15)
        done["threads_left"] = [t.name for t in threading.enumerate() if t.name.startswith("collect_") and t.is_alive()]
        with slow_feeds.lock:
            done["answered_after_join"] = slow_feeds.answered

    worker = threading.Thread(target=run)
    worker.start()
    assert slow_feeds.two_in_flight.wait(10), "collect never started polling"
    stop.set()
    worker.join(60)
    assert not worker.is_alive()
    report = done["report"]
    # collect came back while both requests were still waiting for their answer, and their
    # threads ended without one
    assert done["answered"] == 0
    assert done["threads_left"] == [] and done["answered_after_join"] == 0
    # ... having queued nothing after them and stored nothing
    assert len(slow_feeds.requested) == 2
    assert report.stopped and report.sources_polled == 0 and report.new_links == 0
    assert report.sources_skipped == FEEDS and report.pages_skipped == 0
    assert "Stopped early: 6 source(s) and 0 page(s) left for the next collect." in report.summary()
    assert [s.last_polled_at for s in list_sources(snl)] == [None] * FEEDS

    # The skipped sources are simply polled by the next collect.
    slow_feeds.release.set()
    again = collect(snl)
    assert not again.stopped and again.sources_skipped == 0
    assert (again.sources_polled, again.sources_failed, again.new_links) == (FEEDS, 0, FEEDS)
    assert all(s.last_polled_at is not None and s.last_error is None for s in list_sources(snl))
    assert "Stopped" not in again.summary()


def test_a_stop_set_before_collect_polls_nothing(snl, slow_feeds):
    add_source(snl, f"{slow_feeds.base}/feeds/0.rss")
    stop = threading.Event()
    stop.set()
    report = collect(snl, stop_event=stop)
    assert report.stopped and report.sources_skipped == 1 and report.sources_polled == 0
    assert slow_feeds.requested == []
