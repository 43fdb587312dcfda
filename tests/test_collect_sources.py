"""Sources: failures are recorded per source and never stop the others; conditional GET makes
an unchanged feed cost one 304; removing a source keeps its links."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pipeline.collect import add_source, collect, list_links, list_sources, remove_source
from pipeline.errors import LinkletterError
from pipeline.models import Link, Quote, Source
from pipeline.newsletter import open_newsletter
from tests.fixtures.collect.site import ETAG, LAST_MODIFIED, site, site_server  # noqa: F401  (fixtures)


@pytest.fixture
def cnl(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_FETCH_TIMEOUT": "0.5", "LINKLETTER_FETCH_MAX_BYTES": "1000000"})
    yield nl
    nl.close()


def _by_url(nl) -> dict[str, Source]:
    return {s.url: s for s in list_sources(nl)}


def test_failing_sources_are_recorded_and_never_stop_the_others(cnl, site):
    bad = {
        "/feeds/slow.xml": "timed out",
        "/feeds/malformed.xml": "malformed feed",
        "/feeds/page.html": "wrong content type text/html",
        "/feeds/image.png": "wrong content type image/png",
        "/feeds/nothing-here.xml": "HTTP 500",  # no handler: the test server answers 500
        "/pages/huge.html": "too large",
    }
    for path in bad:
        add_source(cnl, site.url(path))
    add_source(cnl, site.url("/feeds/blog.rss"))
    report = collect(cnl)
    assert report.sources_polled == 7 and report.sources_failed == 6
    assert report.new_links == 2  # the good feed went through
    sources = _by_url(cnl)
    for path, reason in bad.items():
        src = sources[site.url(path)]
        assert reason in src.last_error, (path, src.last_error)
        assert src.last_error_at is not None and src.last_success_at is None
        assert any(site.url(path) in e and reason in e for e in report.errors)
    good = sources[site.url("/feeds/blog.rss")]
    assert good.last_error is None and good.last_success_at is not None


def test_sources_list_shows_last_success_and_last_error(nl_dir, site, cli):
    from tests.conftest import clean_env

    env = clean_env(LINKLETTER_FETCH_TIMEOUT="0.5")
    nl = open_newsletter(nl_dir, env={})
    add_source(nl, site.url("/feeds/blog.rss"), name="Slow Reading")
    add_source(nl, site.url("/feeds/malformed.xml"))
    nl.close()
    done = cli("--dir", str(nl_dir), "collect", env=env)
    assert "Polled 2 source(s)" in done.stdout and "1 failed" in done.stdout
    assert "malformed feed" in done.stdout  # the summary lists the errors
    out = cli("--dir", str(nl_dir), "sources", "list", env=env).stdout
    good, bad = out.split("#2")
    assert "Slow Reading" in good and "last success: 20" in good and "last error: none" in good
    assert "last success: never" in bad and "malformed feed" in bad


def test_unchanged_feed_answers_304_and_nothing_changes(cnl, site):
    add_source(cnl, site.url("/feeds/conditional.rss"))
    collect(cnl)
    src = _by_url(cnl)[site.url("/feeds/conditional.rss")]
    assert (src.etag, src.last_modified) == (ETAG, LAST_MODIFIED)
    first_success = src.last_success_at
    with cnl.session() as s:
        before = [(lk.id, lk.title, lk.fetch_status, lk.fetched_at) for lk in s.exec(select(Link).order_by(Link.id))]
        quotes_before = len(s.exec(select(Quote)).all())
    report = collect(cnl)
    sent = site.conditional_requests[-1]
    assert sent.get("If-None-Match") == ETAG and sent.get("If-Modified-Since") == LAST_MODIFIED
    assert "If-None-Match" not in site.conditional_requests[0]  # the first poll had nothing to send
    assert (report.sources_unchanged, report.new_links, report.new_quotes, report.pages_fetched) == (1, 0, 0, 0)
    with cnl.session() as s:
        after = [(lk.id, lk.title, lk.fetch_status, lk.fetched_at) for lk in s.exec(select(Link).order_by(Link.id))]
        assert len(s.exec(select(Quote)).all()) == quotes_before
    assert after == before
    src = _by_url(cnl)[site.url("/feeds/conditional.rss")]
    assert src.etag == ETAG and src.last_success_at > first_success


def test_a_feed_that_failed_to_parse_keeps_no_validators(cnl, site):
    """Storing the ETag of a body we could not read would turn later polls into 304s."""
    site.server.expect_request("/feeds/etag-broken.xml").respond_with_data(
        b"<rss><channel><<<", content_type="application/xml", headers={"ETag": '"broken"'})
    add_source(cnl, site.url("/feeds/etag-broken.xml"))
    collect(cnl)
    src = _by_url(cnl)[site.url("/feeds/etag-broken.xml")]
    assert src.last_error and src.etag is None


def test_add_list_remove_sources(cnl, site):
    src = add_source(cnl, site.url("/feeds/blog.rss"), name="  Slow   Reading ", mode="auto")
    assert (src.name, src.mode) == ("Slow Reading", "auto")
    with pytest.raises(LinkletterError, match="already a source"):
        add_source(cnl, site.url("/feeds/blog.rss"))
    with pytest.raises(LinkletterError, match="mode must be"):
        add_source(cnl, site.url("/feeds/other.rss"), mode="everything")
    with pytest.raises(LinkletterError, match="kind must be"):
        add_source(cnl, site.url("/feeds/other.rss"), kind="everything")
    assert src.kind == "feed"
    with pytest.raises(LinkletterError, match="http"):
        add_source(cnl, "ftp://example.org/feed")
    collect(cnl)
    assert len(list_links(cnl, "picked")) == 2
    remove_source(cnl, src.id)
    assert list_sources(cnl) == []
    links = list_links(cnl)
    assert len(links) == 2 and all(lk.source_id is None for lk in links)  # links stay
    with pytest.raises(LinkletterError, match="no source #"):
        remove_source(cnl, src.id)


@pytest.mark.parametrize("per_host, total, expected", [("2", "16", 2), ("10", "3", 3)])
def test_requests_stay_within_the_per_host_and_total_bounds(nl_dir, site, per_host, total, expected):
    """8 feeds on one host, each answer held until 3 requests wait or 0.3 s pass: the most
    requests in flight at once is the per-host bound, or the total bound when it is lower."""
    import threading
    import time as _time

    from werkzeug import Response

    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def counted(_request):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        deadline = _time.monotonic() + 0.3
        while _time.monotonic() < deadline and state["now"] < 3:
            _time.sleep(0.01)
        with lock:
            state["now"] -= 1
        return Response(site.text("blog.rss"), content_type="application/rss+xml")

    path = f"/feeds/bounded-{per_host}-{total}.rss"
    site.server.expect_request(path).respond_with_handler(counted)
    nl = open_newsletter(nl_dir, env={"LINKLETTER_PER_HOST_CONNECTIONS": per_host, "LINKLETTER_COLLECT_CONCURRENCY": total})
    try:
        for i in range(8):
            add_source(nl, site.url(f"{path}?n={i}"))
        report = collect(nl, fetch_pages=False)
    finally:
        nl.close()
    assert report.sources_polled == 8 and report.sources_failed == 0
    assert state["max"] == expected
