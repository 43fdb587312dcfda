"""Highlight services as sources: Hypothesis, Readwise, Raindrop.io and Wallabag, each read from
a loopback server answering in the service's documented format (tests/fixtures/highlights),
paged, incremental from the stored cursor, with their tokens from the environment; refused
tokens, malformed JSON, huge bodies and slow servers are recorded per source and lose nothing;
a passage that comes by a feed and by an API is one quote."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest

from pipeline.collect import add_source, collect, list_links, list_sources
from pipeline.newsletter import open_newsletter
from tests.fixtures.collect.stored import links_by_canonical, quotes_of
from tests.fixtures.highlights.services import (  # noqa: F401  (fixtures)
    HYPOTHESIS_TOKEN, LONG_READ_ANNOTATIONS, RAINDROP_FILLER, RAINDROP_TOKEN, READWISE_TOKEN, WALLABAG, WALLABAG_FILLER,
    services, services_server,
)

TOKENS = {"LINKLETTER_HYPOTHESIS_TOKEN": HYPOTHESIS_TOKEN, "LINKLETTER_READWISE_TOKEN": READWISE_TOKEN,
          "LINKLETTER_RAINDROP_TOKEN": RAINDROP_TOKEN,
          **{f"LINKLETTER_WALLABAG_{k.upper()}": v for k, v in WALLABAG.items()}}
SECRETS = [HYPOTHESIS_TOKEN, READWISE_TOKEN, RAINDROP_TOKEN, WALLABAG["client_secret"], WALLABAG["password"]]


def _open(nl_dir, **env):
    return open_newsletter(nl_dir, env={"LINKLETTER_FETCH_TIMEOUT": "0.5", "LINKLETTER_FETCH_MAX_BYTES": "1000000",
                                        **TOKENS, **env})


@pytest.fixture
def hnl(nl_dir):
    nl = _open(nl_dir)
    yield nl
    nl.close()


_links, _quotes = links_by_canonical, quotes_of


def _source(nl, url):
    return next(s for s in list_sources(nl) if s.url == url)


def _poll(nl, url: str, kind: str) -> dict:
    """Add one service source, collect: its links by canonical URL (the collect had no error)."""
    add_source(nl, url, kind=kind)
    assert collect(nl).errors == []
    return _links(nl)


def test_hypothesis_annotations_become_quotes_with_precise_text_fragments(hnl, services):
    links = _poll(hnl, services.url("/api/search?user=acct:ada@hypothes.is"), "hypothesis")
    page = links[services.url("/pages/marginalia.html")]
    assert page.title == "On marginalia" and page.state == "inbox"
    # document order (TextPositionSelector) although the API sent them by update time
    first, second = _quotes(hnl, page.id)
    assert first.text == "We read, and then we write back."
    assert second.text == "The margin is where the reader answers back."
    assert second.note == "The heart of the essay. *Use for the intro.*" and first.note is None
    assert second.origin == "highlight" and second.highlighted_at.isoformat().startswith("2026-11-20T08:15:02")
    # prefix and suffix, cut to whole words, pin the passage: "ng, and it is always this: " loses "ng,"
    fragment = unquote(second.source_url.split("#:~:text=", 1)[1])
    assert second.source_url.startswith(services.url("/pages/marginalia.html#:~:text="))
    assert fragment == "is always this:-,The margin is where the reader answers back.,-Every note is"
    # a page note is the link's note; replies and an annotated local PDF are no links
    assert links[services.url("/pages/library-at-night.html")].note == "A page note: the whole piece is worth a link."
    assert all("Agreed" not in q.text for q in _quotes(hnl, page.id))
    assert not any(u.startswith("urn:") for u in links)
    # paging: 230 annotations of the long read came in two pages of 200
    long_read = links[services.url("/pages/long-read.html")]
    assert len(_quotes(hnl, long_read.id)) == LONG_READ_ANNOTATIONS
    pages = services.seen("/api/search")
    assert [p.get("search_after") for p in pages][0] is None and len(pages) == 2
    assert all(p["sort"] == "updated" and p["order"] == "asc" and p["limit"] == "200" for p in pages)
    assert all(h.get("Authorization") == f"Bearer {HYPOTHESIS_TOKEN}" for p, _, h in services.requests)


def test_hypothesis_polls_on_from_its_cursor(hnl, services):
    url = services.url("/api/search?user=acct:ada@hypothes.is")
    add_source(hnl, url, kind="hypothesis")
    collect(hnl)
    last = max(services.hypothesis, key=lambda r: r["updated"])["updated"]
    assert json.loads(_source(hnl, url).cursor) == {"search_after": last}
    services.requests.clear()
    services.hypothesis.append({**services.hypothesis[0], "id": "new1", "updated": "2026-12-01T10:00:00.000000+00:00",
                                "target": [{"selector": [{"type": "TextQuoteSelector", "exact": "A new passage."}]}]})
    report = collect(hnl)
    assert (report.new_links, report.new_quotes) == (0, 1)
    assert [p.get("search_after") for p in services.seen("/api/search")] == [last]


def test_hypothesis_without_a_token_sees_public_annotations_only(nl_dir, services):
    nl = open_newsletter(nl_dir, env={})
    try:
        add_source(nl, services.url("/api/search?user=acct:ada@hypothes.is"), kind="hypothesis")
        assert collect(nl).errors == []
        page = _links(nl)[services.url("/pages/marginalia.html")]
        assert [q.text for q in _quotes(nl, page.id)] == ["The margin is where the reader answers back."]
        assert all("Authorization" not in h for _, _, h in services.requests)
    finally:
        nl.close()


def test_readwise_export_pages_books_and_keeps_notes_and_order(hnl, services):
    url = services.url("/api/v2/export/")
    links = _poll(hnl, url, "readwise")
    article = links[services.url("/pages/slow-web.html")]
    assert (article.title, article.author, article.note) == ("The Slow Web", "Mara Lind",
                                                              "Candidate for the December issue.")
    quotes = _quotes(hnl, article.id)
    assert [q.text for q in quotes] == ["Slowness is not the absence of speed.",  # location 310 before 2411
                                        "Attention is not a resource we spend; it is the shape of the life we lead."]
    assert quotes[0].note == "opening" and quotes[1].note is None  # "" is no note
    assert quotes[0].highlighted_at.isoformat().startswith("2026-11-23T08:59:10")  # null highlighted_at: created_at
    assert quotes[1].source_url is None  # the Reader link is not the article
    # the book without an address of its own is a book link
    book = links["https://openlibrary.org/search?title=The%20Hobbit&author=J.%20R.%20R.%20Tolkien"]
    assert [(q.text, q.note) for q in _quotes(hnl, book.id)] == [("In a hole in the ground there lived a hobbit.",
                                                                 "the opening line")]
    assert all("deleted" not in q.text for lk in links.values() for q in _quotes(hnl, lk.id))
    pages = services.seen("/api/v2/export/")
    assert [p.get("pageCursor") for p in pages] == [None, "1"]
    assert json.loads(_source(hnl, url).cursor) == {"updated_after": "2026-11-24T06:00:00Z"}
    # the next poll asks only for what changed since
    services.requests.clear()
    assert collect(hnl).new_quotes == 0
    assert [p.get("updatedAfter") for p in services.seen("/api/v2/export/")] == ["2026-11-24T06:00:00Z"]


def test_raindrop_highlights_page_newest_first_and_stop_at_the_cursor(hnl, services):
    url = services.url("/rest/v1/highlights")
    links = _poll(hnl, url, "raindrop")
    notebook = links[services.url("/pages/notebook.html")]
    assert notebook.title == "The notebook"
    assert {(q.text, q.note) for q in _quotes(hnl, notebook.id)} == {
        ("A notebook is a place to think slowly.", "Trully native"), ("Write it down before it is gone.", None)}
    assert len(_quotes(hnl, links[services.url("/pages/archive.html")].id)) == RAINDROP_FILLER
    assert services.url("/pages/empty.html") not in links  # a highlight without text
    assert [p["page"] for p in services.seen("/rest/v1/highlights")] == ["0", "1"]
    assert json.loads(_source(hnl, url).cursor) == {"newest": "2026-11-26T15:13:21.128Z"}
    services.requests.clear()
    services.raindrop.append({"note": "", "text": "Fresh today.", "created": "2026-12-01T09:00:00.000Z",
                              "_id": "7", "link": services.url("/pages/notebook.html"), "title": "The notebook"})
    report = collect(hnl)
    assert report.new_quotes == 1
    assert [p["page"] for p in services.seen("/rest/v1/highlights")] == ["0"]  # the first page is all it took


def test_wallabag_logs_in_by_password_grant_and_reads_annotated_entries(hnl, services):
    links = _poll(hnl, services.url("/wallabag"), "wallabag")
    entry = links[services.url("/pages/reading-in-public.html")]
    assert (entry.title, entry.author) == ("Reading in public", "Jon Marsh")
    assert [(q.text, q.note) for q in _quotes(hnl, entry.id)] == [
        ("To read in public is to admit you were changed.", "Marsh's thesis in one line"), ("Nobody reads alone.", None)]
    assert _quotes(hnl, entry.id)[0].highlighted_at.isoformat() == "2026-11-20T06:01:02+00:00"  # +0100
    assert services.url("/pages/saved.html") not in links  # saved, never annotated
    assert len(links) == 1 + WALLABAG_FILLER
    token_requests = [(a, h) for p, a, h in services.requests if p == "/wallabag/oauth/v2/token"]
    assert len(token_requests) == 1 and token_requests[0][0] == {}  # the password went in the body, not the URL
    pages = services.seen("/wallabag/api/entries.json")
    assert [p["page"] for p in pages] == ["1", "2"] and "since" not in pages[0]
    services.requests.clear()
    collect(hnl)
    newest = datetime(2026, 11, 22, 7, tzinfo=timezone.utc)  # entry 41's updated_at, 2026-11-22T08:00:00+0100
    assert [p.get("since") for p in services.seen("/wallabag/api/entries.json")] == [str(int(newest.timestamp()))]


@pytest.mark.parametrize("kind,path,env,settings", [
    ("hypothesis", "/api/search?user=acct:ada@hypothes.is", {"LINKLETTER_HYPOTHESIS_TOKEN": "wrong-hyp-token"},
     "hypothesis_token"),
    ("readwise", "/api/v2/export/", {"LINKLETTER_READWISE_TOKEN": "wrong-rw-token"}, "readwise_token"),
    ("raindrop", "/rest/v1/highlights", {"LINKLETTER_RAINDROP_TOKEN": "wrong-rd-token"}, "raindrop_token"),
    ("wallabag", "/wallabag", {"LINKLETTER_WALLABAG_PASSWORD": "wrong-wb-password"}, "wallabag_password"),
])
def test_a_refused_token_is_a_clear_source_error_and_nothing_is_lost(nl_dir, services, kind, path, env, settings,
                                                                     caplog):
    caplog.set_level("DEBUG")
    nl = _open(nl_dir, **env)
    try:
        url = services.url(path)
        add_source(nl, url, kind=kind)
        report = collect(nl)
        src = _source(nl, url)
        assert report.sources_failed == 1 and report.new_links == 0
        assert "refused the credentials" in src.last_error and settings in src.last_error
        assert src.cursor is None and list_links(nl) == []
        wrong = next(iter(env.values()))
        assert all(secret not in src.last_error + "".join(report.errors) for secret in [wrong, *SECRETS])
        assert wrong not in repr(nl.settings) and READWISE_TOKEN not in repr(nl.settings)
        assert not any(secret in caplog.text for secret in [wrong, *SECRETS])
    finally:
        nl.close()
    # with the right token the next collect gets everything, from the start
    good = _open(nl_dir)
    try:
        assert collect(good).errors == [] and list_links(good)
    finally:
        good.close()


@pytest.mark.parametrize("path,reason", [
    ("/malformed/api/v2/export/", "Readwise answered with malformed JSON"),
    ("/huge/api/v2/export/", "body too large"),
    ("/slow/api/v2/export/", "timed out"),
])
def test_bad_answers_are_recorded_per_source_and_never_stop_the_others(hnl, services, path, reason):
    bad, good = services.url(path), services.url("/rest/v1/highlights")
    add_source(hnl, bad, kind="readwise")
    add_source(hnl, good, kind="raindrop")
    report = collect(hnl)
    assert report.sources_failed == 1
    assert reason in _source(hnl, bad).last_error
    assert _source(hnl, bad).cursor is None
    assert _source(hnl, good).last_error is None and report.new_quotes > 0


def test_a_service_without_its_token_says_which_setting_to_set(nl_dir, services, cli):
    nl = open_newsletter(nl_dir, env={})
    try:
        add_source(nl, services.url("/api/v2/export/"), kind="readwise")
    finally:
        nl.close()
    out = cli("--dir", str(nl_dir), "collect", check=False)
    assert "readwise_token" in out.stdout and "LINKLETTER_READWISE_TOKEN" in out.stdout
    assert services.seen("/api/v2/export/") == []  # nothing was asked without a token
    listed = cli("--dir", str(nl_dir), "sources", "list").stdout
    assert "readwise_token" in listed


def test_a_passage_from_a_feed_and_from_the_api_is_one_quote_of_one_link(hnl, services):
    add_source(hnl, services.url("/feeds/highlights.atom"), kind="feed")
    add_source(hnl, services.url("/api/search?user=acct:ada@hypothes.is"), kind="hypothesis")
    assert collect(hnl).errors == []
    page = [lk for lk in list_links(hnl) if lk.canonical_url == services.url("/pages/marginalia.html")]
    assert len(page) == 1
    texts = [q.text for q in _quotes(hnl, page[0].id)]
    assert texts.count("The margin is where the reader answers back.") == 1
    assert "We read, and then we write back." in texts


def test_paging_is_bounded_and_the_next_collect_goes_on_where_it_stopped(hnl, services, monkeypatch):
    from pipeline.collect.highlights import hypothesis, readwise

    monkeypatch.setattr(hypothesis, "MAX_PAGES", 1)
    monkeypatch.setattr(readwise, "MAX_PAGES", 1)
    hyp, rw = services.url("/api/search?user=acct:ada@hypothes.is"), services.url("/api/v2/export/")
    add_source(hnl, hyp, kind="hypothesis")
    add_source(hnl, rw, kind="readwise")
    first = collect(hnl)
    assert first.errors == [] and len(services.seen("/api/search")) == 1 and len(services.seen("/api/v2/export/")) == 1
    assert json.loads(_source(hnl, rw).cursor)["page_cursor"] == 1  # the export's next page, kept
    total = len(services.hypothesis) - 2  # less the reply and the PDF
    second = collect(hnl)
    assert second.errors == []
    assert [p.get("pageCursor") for p in services.seen("/api/v2/export/")] == [None, "1"]
    links = _links(hnl)
    assert links["https://openlibrary.org/search?title=The%20Hobbit&author=J.%20R.%20R.%20Tolkien"]  # page 2's book
    stored = sum(len(_quotes(hnl, lk.id)) for lk in links.values()) - 3  # less Readwise's three quotes
    assert stored == total - 1  # every annotation once (the page note is a link note, no quote)
    assert json.loads(_source(hnl, rw).cursor) == {"updated_after": "2026-11-24T06:00:00Z"}


def test_a_login_is_never_sent_on_by_a_redirect(hnl, services):
    url = services.url("/moved")  # its token endpoint answers 307 to the real one
    add_source(hnl, url, kind="wallabag")
    report = collect(hnl)
    assert report.sources_failed == 1 and "HTTP 307: redirected elsewhere" in _source(hnl, url).last_error
    assert services.seen("/wallabag/oauth/v2/token") == []  # the password went nowhere else
