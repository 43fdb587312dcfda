"""A fetch ends at its total deadline whatever the server does: a source dripping its body or
its headers one byte at a time is cut, reported as timed out, and the other sources are still
collected; the link check is cut the same way."""

from __future__ import annotations

import pytest

from pipeline.check.links import probe_links
from pipeline.collect import add_source, collect
from pipeline.collect.destinations import Allowed, FetchPolicy
from pipeline.newsletter import open_newsletter
from tests.fixtures.collect.raw import RawServer
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Drip</title>'
        b"<item><title>Slow</title><link>http://example.org/slow</link></item></channel></rss>")
# 0.25 s per wait for data: every byte comes sooner, so only the total deadline (6 x 0.25 s) ends it;
# the drip itself would last 400 x 0.05 s = 20 s
TIMEOUT = "0.25"


def _dripping(part: str) -> RawServer:
    if part == "body":
        return RawServer(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n",
                         drip=FEED + b" " * (400 - len(FEED)))
    return RawServer(b"HTTP/1.1 200 OK\r\n", drip=b"X-Padding: " + b"a" * 390 + b"\r\n\r\n" + FEED)


@pytest.fixture(params=["body", "headers"])
def dripping(request):
    server = _dripping(request.param)
    yield server
    server.close()


@pytest.fixture
def dripping_headers():
    server = _dripping("headers")
    yield server
    server.close()


@pytest.fixture
def cnl(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_FETCH_TIMEOUT": TIMEOUT})
    yield nl
    nl.close()


def test_a_dripping_source_is_cut_at_the_deadline_and_the_others_are_collected(cnl, site, dripping):
    add_source(cnl, dripping.base + "/feed.xml", name="Drip")
    add_source(cnl, site.url("/feeds/blog.rss"), name="Slow Reading")
    report = collect(cnl)
    assert report.sources_polled == 2 and report.sources_failed == 1
    assert len(report.errors) == 1 and "timed out: no complete answer within 1.5 seconds" in report.errors[0]
    assert report.errors[0].startswith("source #1 ")
    assert report.new_links == 2  # the other source's entries
    assert dripping.done.wait(10)
    assert dripping.outcomes == ["client hung up"]  # the fetch ended, not the server's drip


def test_the_link_check_is_cut_at_the_deadline_too(dripping_headers):
    dripping = dripping_headers
    url = dripping.base + "/page"
    statuses = probe_links([url], timeout=float(TIMEOUT), policy=FetchPolicy([Allowed.parse("127.0.0.1")]))
    assert statuses[url].dead and statuses[url].error.startswith("timed out")
    assert dripping.done.wait(10)
    assert dripping.outcomes[0] == "client hung up"
