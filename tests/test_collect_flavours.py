"""Issue 13: the feeds a link-newsletter author actually has, as the services write them
(tests/fixtures/collect/sources/README.md): Hypothesis, Pinboard, WordPress, a JSON Feed link
blog, Mastodon, Instapaper. Whose author, which title, what is a quote, what is a note."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pipeline.collect import add_link, add_source, collect, get_link, link_quotes, list_links, quote_hash
from pipeline.collect.feeds import parse_feed
from pipeline.draft.blocks import render_block
from pipeline.models import Link, Quote
from pipeline.newsletter import open_newsletter
from tests.conftest import allow_fetch
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)

FEEDS_OUTLIVE = "/longweb/feeds-outlive-platforms.html"
PLATTFORM = "/netzpolitik/plattform-als-vermieter.html"
P1 = "Die Plattform ist kein Marktplatz, sie ist ein Vermieter."
P2 = "Die Händler nennen das „Reichweite“, die Betreiber nennen es „Ökosystem“."
MARKDOWN_NOTE = ("Sam's closing line. Pair it with [Doctorows](https://pluralistic.net/) piece:\n\n"
                 "- feeds are files\n- files can move")


@pytest.fixture
def cnl(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_FETCH_TIMEOUT": "2"})
    yield nl
    nl.close()


def _link(nl, site, path) -> Link:
    links = {lk.canonical_url: lk for lk in list_links(nl)}
    return links[site.url(path)]


def _quotes(nl, link_id) -> list[Quote]:
    return link_quotes(nl, [link_id])[link_id]  # in the order the draft shows them


# ------------------------------------------------------------------ flavours told from the feed

@pytest.mark.parametrize(("name", "flavour"), [
    ("hypothesis-stream.atom", "annotations"), ("hypothesis-stream.rss", "annotations"),
    ("pinboard.rdf", "bookmarks"), ("instapaper-liked.rss", "bookmarks"), ("mastodon.rss", "microblog"),
    ("linkblog.json", "linkblog"), ("wordpress.rss", "feed"),
])
def test_each_service_s_feed_is_recognized(site, name, flavour):
    feed = parse_feed(site.text(f"sources/{name}"), url=site.url("/x"))
    assert feed.flavour == flavour and feed.entries


def test_a_kind_chosen_for_the_source_is_how_its_feed_is_read(site):
    # a WordPress link blog cannot be told from a blog: its kind says so
    feed = parse_feed(site.text("sources/wordpress.rss"), url=site.url("/blog/feed/"), kind="linkblog")
    assert feed.flavour == "linkblog"
    assert {e.via for e in feed.entries} == {"jkrause"} and {e.author for e in feed.entries} == {None}


# ------------------------------------------------------------------ 1. the curator is not the author

def test_the_annotator_is_kept_as_via_and_the_page_names_its_author(cnl, site):
    add_source(cnl, site.url("/hypothesis/stream.atom"), mode="auto")
    report = collect(cnl)
    assert report.errors == []
    link = _link(cnl, site, FEEDS_OUTLIVE)
    assert (link.author, link.via) == ("Sam Whitfield", "jkrause")
    head = render_block(link, _quotes(cnl, link.id)).splitlines()[0]
    assert head.endswith(" Sam Whitfield, The Long Web") and "jkrause" not in head


def test_a_bookmarker_and_a_link_blogger_are_not_credited_as_authors(cnl, site):
    add_source(cnl, site.url("/pinboard/u:jkrause"), mode="auto")
    add_source(cnl, site.url("/linus/feed.json"), mode="auto")
    assert collect(cnl).errors == []
    plattform = _link(cnl, site, PLATTFORM)
    assert (plattform.author, plattform.via) == ("Anna Berger", "jkrause")
    outlive = _link(cnl, site, FEEDS_OUTLIVE)
    assert outlive.author == "Sam Whitfield" and outlive.via in ("jkrause", "Linus Linkblog")


def test_a_link_blog_in_the_inbox_keeps_its_blogger_as_via(cnl, site):
    add_source(cnl, site.url("/linus/feed.json"))
    collect(cnl)
    link = _link(cnl, site, FEEDS_OUTLIVE)  # external_url, not the blog's own post
    assert (link.author, link.via, link.state) == (None, "Linus Linkblog", "inbox")
    assert [q.text for q in _quotes(cnl, link.id)] == ["A feed is a promise that costs nothing to keep."]


# ------------------------------------------------------------------ 2. titles without the site name

def test_the_page_s_own_title_replaces_the_bookmarked_document_title(cnl, site):
    add_source(cnl, site.url("/pinboard/u:jkrause"), mode="auto")
    add_source(cnl, site.url("/linus/feed.json"), mode="auto")
    collect(cnl)
    assert _link(cnl, site, PLATTFORM).title == "Die Plattform als Vermieter"
    assert _link(cnl, site, FEEDS_OUTLIVE).title == "Why Feeds Outlive Platforms"


def test_add_strips_the_site_name_from_a_given_title_but_keeps_the_author_s_own(nl_dir, site):
    nl = open_newsletter(allow_fetch(nl_dir), env={})
    try:
        suffixed = get_link(nl, add_link(nl, site.url(PLATTFORM), title="Die Plattform als Vermieter | Netzpolitik Heute"))
        assert suffixed.title == "Die Plattform als Vermieter"
        own = get_link(nl, add_link(nl, site.url(FEEDS_OUTLIVE), title="Feeds halten länger"))
        assert own.title == "Feeds halten länger"
    finally:
        nl.close()


def test_the_bookmarklet_s_document_title_gives_way_to_the_page_s_title(nl_dir, site):
    from pipeline.web import create_app
    from pipeline.web.author import bookmarklet_token
    from tests.test_web import LiveServer, own_page_client

    nl = open_newsletter(allow_fetch(nl_dir), env={})
    try:
        with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
            r = client.post("/collect", data={"url": site.url(PLATTFORM), "token": bookmarklet_token(nl.settings),
                                              "title": "Die Plattform als Vermieter | Netzpolitik Heute"})
            assert r.status_code == 200
        collect(nl)  # the page is read (by the pick's own fetch in the background, else by this collect)
        assert get_link(nl, r.json()["link_id"]).title == "Die Plattform als Vermieter"
    finally:
        nl.close()


# ------------------------------------------------------------------ 3. Hypothesis notes

def test_hypothesis_notes_are_kept_on_their_quote_and_a_page_note_on_the_link(cnl, site):
    add_source(cnl, site.url("/hypothesis/stream.atom"))
    collect(cnl)
    link = _link(cnl, site, FEEDS_OUTLIVE)
    assert link.note == "Read before Thursday's panel & quote the ending."  # the annotation without a highlight
    notes = {q.text: q.note for q in _quotes(cnl, link.id)}
    # the note's Markdown as written: a link stays a link, a list stays a list, nothing escaped
    assert notes["The web does not need another platform."] == MARKDOWN_NOTE
    assert notes["A feed is a promise that costs nothing to keep."] is None


def test_hypothesis_rss_keeps_the_notes_too(cnl, site):
    add_source(cnl, site.url("/hypothesis/stream.rss"))
    report = collect(cnl)
    assert report.errors == []
    with cnl.session() as s:
        quotes = s.exec(select(Quote)).all()
        links = s.exec(select(Link)).all()
    assert [(q.text, q.note, q.origin) for q in quotes] == [
        ("The web does not need another platform.", MARKDOWN_NOTE, "annotation")]
    assert "Read before Thursday's panel & quote the ending." in [lk.note for lk in links]
    assert {lk.via for lk in links} == {"jkrause"} and {lk.author for lk in links} == {None}


def test_a_note_on_a_passage_another_feed_brought_first_is_added_to_it(cnl, site):
    add_source(cnl, site.url("/pinboard/u:jkrause"))
    collect(cnl)
    link = _link(cnl, site, PLATTFORM)
    [first] = _quotes(cnl, link.id)
    assert first.note is None
    add_source(cnl, site.url("/hypothesis/stream.atom"))
    collect(cnl)
    [quote] = _quotes(cnl, link.id)
    assert quote.id == first.id and quote.note == "Gutes Bild für den Einstieg."


def test_highlights_are_shown_in_reading_order(cnl, site):
    # the feed lists the newest first, and the author did not highlight from top to bottom
    add_source(cnl, site.url("/hypothesis/stream.atom"), mode="auto")
    collect(cnl)
    link = _link(cnl, site, FEEDS_OUTLIVE)
    assert [q.text for q in _quotes(cnl, link.id)] == [
        "A feed is a promise that costs nothing to keep.",
        "Platforms rent out attention; feeds hand it back to the reader.",
        "The web does not need another platform.",
    ]


# ------------------------------------------------------------------ 4. bookmark descriptions

def test_a_bookmark_s_description_is_the_selected_passage(cnl, site):
    add_source(cnl, site.url("/pinboard/u:jkrause"))
    report = collect(cnl)
    assert (report.new_links, report.new_quotes) == (2, 1)
    [quote] = _quotes(cnl, _link(cnl, site, PLATTFORM).id)
    assert quote.text == 'Die Händler nennen das "Reichweite", die Betreiber nennen es "Ökosystem".'
    assert _quotes(cnl, _link(cnl, site, FEEDS_OUTLIVE).id) == []  # no description, no quote


def test_an_instapaper_selection_loses_the_marks_around_it(cnl, site):
    add_source(cnl, site.url("/instapaper/liked.rss"))
    collect(cnl)
    [quote] = _quotes(cnl, _link(cnl, site, PLATTFORM).id)
    assert quote.text == "Die Händler nennen das “Reichweite”, die Betreiber nennen es “Ökosystem”."


# ------------------------------------------------------------------ 5. microblog posts

def test_a_mastodon_post_is_a_link_to_the_article_it_points_to(cnl, site):
    add_source(cnl, site.url("/@jkrause.rss"))
    report = collect(cnl)
    [link] = list_links(cnl)  # the post without a link is no link
    assert report.new_links == 1
    assert link.canonical_url == site.url(PLATTFORM) and "chaos.social" not in link.url
    assert link.via == "Jana Krause" and link.title is None and link.author is None
    assert link.note == "Lesenswert von @annaberger: Plattformen sind Vermieter, keine Marktplätze. #Plattformen"


# ------------------------------------------------------------------ 6. WordPress citations

def test_a_blockquote_s_cite_is_its_attribution_and_source_link(cnl, site):
    add_source(cnl, site.url("/blog/feed/"))
    collect(cnl)
    post = _link(cnl, site, "/blog/2026/11/27/plattformen-sind-vermieter/")
    assert post.author == "jkrause"  # the blog's own article: its author wrote it
    [quote] = _quotes(cnl, post.id)
    assert quote.text == P1  # without „…“ and without the citation
    assert quote.cite_text == "Anna Berger, Die Plattform als Vermieter"
    assert quote.source_url == site.url(PLATTFORM)
    block = render_block(post, [quote])
    assert f"> — [Anna Berger, Die Plattform als Vermieter]({site.url(PLATTFORM)})" in block
    pull = _link(cnl, site, "/blog/2026/11/25/adressen-behalten/")
    [q] = _quotes(cnl, pull.id)
    assert (q.text, q.cite_text, q.source_url) == ("The web does not need another platform.", "Sam Whitfield", None)


# ------------------------------------------------------------------ 7. one passage, however typeset

def test_the_same_passage_from_three_feeds_is_one_quote(cnl, site):
    # straight quotes and a line break (Pinboard), „…“ (Hypothesis), “…” (Instapaper)
    new_quotes = []
    for path in ("/pinboard/u:jkrause", "/hypothesis/stream.atom", "/instapaper/liked.rss"):
        add_source(cnl, site.url(path))  # one feed at a time: the first to bring the passage keeps its words
        new_quotes.append(collect(cnl).new_quotes)
    assert new_quotes == [1, 3, 0]  # Hypothesis: its three highlights on the other page; on this one a note only
    [quote] = _quotes(cnl, _link(cnl, site, PLATTFORM).id)
    assert quote.text == 'Die Händler nennen das "Reichweite", die Betreiber nennen es "Ökosystem".'
    assert quote.note == "Gutes Bild für den Einstieg."


def test_quote_identity_ignores_typography():
    assert quote_hash(P2) == quote_hash('Die Händler nennen das "Reichweite", die Betreiber\nnennen es "Ökosystem".')
    assert quote_hash(P2) != quote_hash("Die Händler nennen das Reichweite.")
