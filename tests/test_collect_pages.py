"""Fetching linked pages: metadata from OpenGraph, meta tags and JSON-LD, the main text,
charsets, files that are not pages, and failures that are recorded and retried."""

from __future__ import annotations

import pytest

from pipeline.collect import add_link, collect, get_link, link_quotes
from pipeline.collect.fetch import decode
from pipeline.newsletter import open_newsletter
from tests.conftest import allow_fetch
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)


@pytest.fixture
def cnl(nl_dir):
    allow_fetch(nl_dir)  # the pages are served on loopback, by no source
    nl = open_newsletter(nl_dir, env={"LINKLETTER_FETCH_TIMEOUT": "2", "LINKLETTER_FETCH_MAX_BYTES": "1000000"})
    yield nl
    nl.close()


def test_opengraph_page(cnl, site):
    link = get_link(cnl, add_link(cnl, site.url("/pages/og.html?utm_campaign=x&fbclid=abc#top")))
    assert link.fetch_status == "ok" and link.http_status == 200 and link.fetch_attempts == 1
    assert link.url == site.url("/pages/og.html#top")  # readers get it without the tracking
    assert link.canonical_url == site.url("/pages/og.html")
    assert (link.title, link.site_name, link.author) == ("On marginalia", "Slow Reading", "Ada Reader")
    assert link.description == "What we write in the margins, and why it matters."
    assert link.language == "en" and link.content_type == "text/html"
    assert link.published_at.isoformat().startswith("2026-11-23T08:00:00")
    paragraphs = link.main_text.split("\n\n")
    assert paragraphs[-3:] == [  # the article's paragraphs, whole and apart, for quote checks
        "Readers have always written in their books. The margin is where the reader answers back, "
        "and the habit is older than print.",
        "Every note is a small letter to a future self. Marginalia are the oldest social network, "
        "passed from hand to hand with the books that carried them.",
        "Scholars now collect these notes as evidence of how people actually read, slowly and with a pencil in hand."]
    assert "All rights reserved" not in link.main_text and "Archive" not in link.main_text


def test_json_ld_page(cnl, site):
    link = get_link(cnl, add_link(cnl, site.url("/pages/jsonld.html")))
    assert link.title == "Structured data, quietly"
    assert link.author == "Dora Data, Eli Schema"
    assert link.site_name == "Data Quarterly"
    assert link.description == "How pages describe themselves."
    assert link.language == "en-GB"
    assert link.published_at.isoformat().startswith("2026-11-24T07:00:00")


def test_latin1_page_is_decoded_from_its_meta_charset(cnl, site):
    link = get_link(cnl, add_link(cnl, site.url("/pages/latin1.html")))
    assert link.title == "Grüße aus Köln"
    assert "Grüße aus Köln, wo der Rhein fließt." in link.main_text
    assert "Umlaute wie ä, ö, ü und das ß" in link.main_text
    assert "\ufffd" not in link.main_text


def test_german_typographic_quotes_survive_unchanged(cnl, site):
    link = get_link(cnl, add_link(cnl, site.url("/pages/german.html"),
                                  quotes=["„Ein Zitat ist ein Satz, der zweimal lebt.“"]))
    assert link.title == "Über Anführungszeichen – Langsam lesen"
    assert link.language == "de"
    assert "„Ein Zitat ist ein Satz, der zweimal lebt.“ – so steht es" in link.main_text
    assert "„so“ und ‚so‘" in link.main_text
    [q] = link_quotes(cnl, [link.id])[link.id]
    assert q.text == "„Ein Zitat ist ein Satz, der zweimal lebt.“" and q.origin == "cli"


def test_pdf_is_kept_with_what_its_headers_tell(cnl, site):
    link = get_link(cnl, add_link(cnl, site.url("/pages/report.pdf")))
    assert link.fetch_status == "ok"
    assert link.content_type == "application/pdf"
    assert link.title == "Annual Report 2026.pdf"
    assert link.main_text is None


def test_404_is_recorded_and_retried_by_the_next_collect(cnl, site):
    link_id = add_link(cnl, site.url("/pages/missing.html"), quotes=["kept anyway"])
    link = get_link(cnl, link_id)
    assert (link.state, link.fetch_status, link.http_status, link.fetch_attempts) == ("picked", "failed", 404, 1)
    assert "404" in link.fetch_error
    report = collect(cnl)
    link = get_link(cnl, link_id)
    assert link.fetch_attempts == 2 and link.fetch_status == "failed"
    assert report.pages_failed == 1 and any("404" in e for e in report.errors)
    assert [q.text for q in link_quotes(cnl, [link_id])[link_id]] == ["kept anyway"]


def test_a_body_over_the_cap_is_an_error_and_is_not_read_whole(cnl, site):
    link = get_link(cnl, add_link(cnl, site.url("/pages/huge.html")))
    assert link.fetch_status == "failed"
    assert "too large" in link.fetch_error and "1,000,000" in link.fetch_error
    assert link.main_text is None


def test_unfetched_links_are_fetched_by_the_next_collect(cnl, site):
    link_id = add_link(cnl, site.url("/pages/og.html"), fetch=False, origin="bookmarklet",
                       quotes=[("Every note is a small letter to a future self.",
                                site.url("/pages/og.html#:~:text=Every%20note"))], title="From the bookmarklet")
    link = get_link(cnl, link_id)
    assert (link.fetch_status, link.fetch_attempts, link.title) == ("pending", 0, "From the bookmarklet")
    report = collect(cnl)
    link = get_link(cnl, link_id)
    assert report.pages_fetched == 1 and link.fetch_status == "ok"
    assert link.title == "From the bookmarklet"  # what the author said wins; the page fills the gaps
    assert link.site_name == "Slow Reading"
    [q] = link_quotes(cnl, [link_id])[link_id]
    assert q.origin == "bookmarklet" and q.source_url.endswith("#:~:text=Every%20note")


def test_adding_a_known_page_again_merges_quotes_and_notes(cnl, site):
    first = add_link(cnl, site.url("/pages/og.html"), quotes=["One passage."], note="first thought")
    second = add_link(cnl, site.url("/pages/og.html?utm_source=newsletter"),
                      quotes=["One  passage.", ("Another passage.", None)], note="second thought")
    assert first == second
    link = get_link(cnl, first)
    assert link.note == "first thought\n\nsecond thought"
    assert [q.text for q in link_quotes(cnl, [first])[first]] == ["One passage.", "Another passage."]


def test_charset_detection_without_header_or_meta():
    text = "Größere Übungen für Köche, die äußerst gern Soßen rühren und Brötchen backen. " * 5
    assert decode(text.encode("cp1252")) == text
    assert decode(text.encode("utf-8")) == text
    assert decode(text.encode("iso-8859-1"), "ISO-8859-1") == text


def test_xhtml_with_an_encoding_declaration(cnl, site):
    page = ('<?xml version="1.0" encoding="iso-8859-1"?>\n<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="de">'
            "<head><title>Grüße aus dem Süden</title></head><body><p>Köln ist schön, und im Süden "
            "scheint öfter die Sonne über den Dächern der Häuser.</p></body></html>").encode("iso-8859-1")
    site.server.expect_request("/pages/xhtml.html").respond_with_data(page, content_type="application/xhtml+xml")
    link = get_link(cnl, add_link(cnl, site.url("/pages/xhtml.html")))
    assert (link.title, link.language, link.content_type) == ("Grüße aus dem Süden", "de", "application/xhtml+xml")
    assert "Köln ist schön" in link.main_text


def test_an_overlong_quote_is_refused_and_nothing_is_stored(cnl, site):
    from pipeline.collect import list_links
    from pipeline.errors import LinkletterError

    with pytest.raises(LinkletterError, match="limited to 20,000 characters"):
        add_link(cnl, site.url("/pages/og.html"), quotes=["word " * 5000], fetch=False)
    assert list_links(cnl) == []
