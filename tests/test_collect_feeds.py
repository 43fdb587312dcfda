"""Collecting feeds: RSS 2.0 with content:encoded, Atom, JSON Feed and a Hypothesis-style
annotation feed become links with quotes; 'auto' sources pick, 'inbox' sources wait."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pipeline.collect import add_source, collect, quote_hash
from pipeline.models import Link, Quote
from pipeline.newsletter import open_newsletter
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)
from tests.fixtures.collect.stored import links_by_canonical, quotes_of


@pytest.fixture
def cnl(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_FETCH_TIMEOUT": "2"})
    yield nl
    nl.close()


_links, _quotes = links_by_canonical, quotes_of


def test_rss_entry_becomes_an_inbox_link_with_its_blockquote_as_a_quote(cnl, site):
    add_source(cnl, site.url("/feeds/blog.rss"), name="Slow Reading")
    report = collect(cnl)
    assert report.errors == []
    assert (report.sources_polled, report.new_links, report.new_quotes) == (1, 2, 1)
    links = _links(cnl)
    og = links[site.url("/pages/og.html")]  # utm_* parameters are not part of the identity
    assert og.state == "inbox" and og.picked_at is None
    assert og.url == site.url("/pages/og.html")
    assert og.title == "On marginalia" and og.author == "Ada Reader"
    assert og.entry_id == "slow-reading-1"
    assert og.published_at.isoformat().startswith("2026-11-23T08:00:00")
    assert og.description == "What we write in the margins, and why it matters."
    [quote] = _quotes(cnl, og.id)
    assert quote.text == "The margin is where the reader answers back.\n\nEvery note is a small letter to a future self."
    assert quote.origin == "feed"
    assert quote.text_hash == quote_hash("The margin is where the reader answers back. Every note is a small letter to a future self.")
    # the entry without a blockquote gives a link without quotes; its HTML description is plain text
    js = links[site.url("/pages/jsonld.html")]
    assert _quotes(cnl, js.id) == []
    assert js.description == "No quotes here, just a link."


def test_atom_feed_in_auto_mode_picks_every_new_entry(cnl, site):
    add_source(cnl, site.url("/feeds/essays.atom"), mode="auto")
    report = collect(cnl)
    assert report.errors == [] and report.new_links == 2
    links = _links(cnl)
    german = links[site.url("/pages/german.html")]
    assert german.state == "picked" and german.picked_at is not None
    assert german.title == "Über Anführungszeichen"
    # an 'auto' source is about pages the author chose: the entry's author is kept as the
    # curator ("via"), the page names its own author (this one names none)
    assert german.via == "Bertha Beispiel" and german.author is None
    assert german.published_at.isoformat().startswith("2026-11-25T08:00:00")  # 09:00+01:00 in UTC
    # the quotation marks around the whole passage are the feed's typography, not its words
    assert [q.text for q in _quotes(cnl, german.id)] == ["Ein Zitat ist ein Satz, der zweimal lebt."]
    assert links[site.url("/pages/latin1.html")].state == "picked"


def test_json_feed_prefers_external_url_and_reads_content_html(cnl, site):
    add_source(cnl, site.url("/feeds/links.json"))
    report = collect(cnl)
    links = _links(cnl)
    pdf = links[site.url("/pages/report.pdf")]
    assert pdf.title == "The annual report (PDF)" and pdf.author == "Cy Linker"
    assert [q.text for q in _quotes(cnl, pdf.id)] == ["Revenue is not the same as value."]
    gone = links[site.url("/pages/missing.html")]
    assert gone.description == "Plain text content.\n\nSecond paragraph."
    assert report.new_links == 2 and report.new_quotes == 1


def test_annotation_feed_attaches_highlights_to_the_annotated_page(cnl, site):
    add_source(cnl, site.url("/feeds/highlights.atom"), name="My highlights", mode="auto")
    collect(cnl)
    links = _links(cnl)
    # the page is the annotated one (rel=related, its #annotations: fragment dropped), not the annotation
    assert site.url("/a/aBcD1234") not in links
    page = links[site.url("/pages/og.html")]
    assert page.state == "picked" and page.url == site.url("/pages/og.html")  # without #annotations:
    [q] = _quotes(cnl, page.id)
    assert (q.text, q.origin, q.note) == ("Marginalia are the oldest social network.", "annotation",
                                          "So true, and older than we think.")
    latin = links[site.url("/pages/latin1.html")]
    assert [q.text for q in _quotes(cnl, latin.id)] == ["Grüße aus Köln, wo der Rhein fließt."]


def test_the_same_page_from_two_feeds_is_one_link_and_auto_picks_it(cnl, site):
    add_source(cnl, site.url("/feeds/blog.rss"))
    collect(cnl)
    og_id = _links(cnl)[site.url("/pages/og.html")].id
    add_source(cnl, site.url("/feeds/highlights.atom"), mode="auto")
    report = collect(cnl)
    links = _links(cnl)
    assert links[site.url("/pages/og.html")].id == og_id
    assert links[site.url("/pages/og.html")].state == "picked"
    assert report.new_links == 1  # only the Latin-1 page is new
    texts = {q.text for q in _quotes(cnl, og_id)}
    assert texts == {"The margin is where the reader answers back.\n\nEvery note is a small letter to a future self.",
                     "Marginalia are the oldest social network."}


def test_collecting_again_adds_nothing_twice(cnl, site):
    add_source(cnl, site.url("/feeds/blog.rss"))
    add_source(cnl, site.url("/feeds/highlights.atom"), mode="auto")
    collect(cnl)
    with cnl.session() as s:
        before = (len(s.exec(select(Link)).all()), len(s.exec(select(Quote)).all()))
    report = collect(cnl)
    with cnl.session() as s:
        after = (len(s.exec(select(Link)).all()), len(s.exec(select(Quote)).all()))
    assert before == after == (3, 3)
    assert (report.new_links, report.new_quotes) == (0, 0)


def test_config_sources_are_added_at_collect_time(nl_dir, site):
    cfg = nl_dir / "linkletter.toml"
    cfg.write_text(cfg.read_text().replace(
        "sources = [", f'sources = [\n  {{ url = "{site.url("/feeds/essays.atom")}", name = "Essays", mode = "auto" }},', 1))
    nl = open_newsletter(nl_dir, env={})
    try:
        report = collect(nl)
        from pipeline.collect import list_sources
        [src] = list_sources(nl)
        assert (src.url, src.name, src.mode) == (site.url("/feeds/essays.atom"), "Essays", "auto")
        assert report.new_links == 2
        collect(nl)  # a second collect does not add the source again
        assert len(list_sources(nl)) == 1
    finally:
        nl.close()


def test_only_picks_have_their_pages_fetched(cnl, site):
    """The inbox may hold thousands of entries; a page is fetched once it is picked."""
    from pipeline.collect import get_link, pick

    add_source(cnl, site.url("/feeds/blog.rss"))
    report = collect(cnl)
    assert report.pages_fetched == 0
    og = _links(cnl)[site.url("/pages/og.html")]
    assert (og.fetch_status, og.fetch_attempts, og.main_text) == ("pending", 0, None)
    pick(cnl, [og.id], fetch=False)  # not fetched at once (as from the desk): the next collect fetches it
    report = collect(cnl)
    assert report.pages_fetched == 1 and report.new_links == 0
    og = get_link(cnl, og.id)
    assert og.fetch_status == "ok" and og.site_name == "Slow Reading" and "reader answers back" in og.main_text
    report = collect(cnl)
    assert report.pages_fetched == 0 and report.new_links == 0  # fetched once, not again
    assert _links(cnl)[site.url("/pages/jsonld.html")].fetch_status == "pending"


def test_two_collects_at_once_store_each_link_once(nl_dir, site):
    """The scheduler's collect and one typed by hand may overlap: no crash, no duplicates."""
    import threading

    nls = [open_newsletter(nl_dir, env={}) for _ in range(2)]
    add_source(nls[0], site.url("/feeds/blog.rss"))
    add_source(nls[0], site.url("/feeds/highlights.atom"), mode="auto")
    add_source(nls[0], site.url("/feeds/essays.atom"))
    reports, errors = [], []

    def run(nl):
        try:
            reports.append(collect(nl))
        except Exception as e:  # noqa: BLE001 - the assertion below shows it
            errors.append(e)

    threads = [threading.Thread(target=run, args=(nl,)) for nl in nls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        with nls[0].session() as s:
            links = s.exec(select(Link)).all()
            quotes = s.exec(select(Quote)).all()
        assert len(links) == len({lk.canonical_url for lk in links}) == 4
        assert len(quotes) == 4
        assert sum(r.new_links for r in reports) == 4
    finally:
        for nl in nls:
            nl.close()
