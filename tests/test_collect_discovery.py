"""Feed autodiscovery: `sources add` with a site's page finds the feed the page names, asks
when it names several, and refuses a page that names none (instead of the next collect
failing with "wrong content type text/html")."""

from __future__ import annotations

from pipeline.collect import list_sources
from pipeline.collect.discover import feed_links
from pipeline.newsletter import open_newsletter
from tests.conftest import clean_env
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)

ENV = clean_env(LINKLETTER_FETCH_TIMEOUT="2")


def _sources(nl_dir) -> list[str]:
    nl = open_newsletter(nl_dir, env={})
    try:
        return [s.url for s in list_sources(nl)]
    finally:
        nl.close()


def test_a_page_naming_one_feed_adds_that_feed(nl_dir, site, cli):
    out = cli("--dir", str(nl_dir), "sources", "add", site.url("/linus/"), env=ENV).stdout
    assert f"Found the feed {site.url('/linus/feed.json')}" in out  # relative href resolved against the page
    assert _sources(nl_dir) == [site.url("/linus/feed.json")]
    done = cli("--dir", str(nl_dir), "collect", env=ENV).stdout
    assert "0 failed; 1 new link(s)" in done


def test_a_page_naming_several_feeds_asks_which(nl_dir, site, cli):
    out = cli("--dir", str(nl_dir), "sources", "add", site.url("/blog/"), input="1\n", env=ENV).stdout
    assert "1. RSS  Linkschleuder » Feed" in out and "2. RSS  Linkschleuder » Kommentar-Feed" in out
    assert _sources(nl_dir) == [site.url("/blog/feed/")]


def test_without_an_answer_nothing_is_added(nl_dir, site, cli):
    proc = cli("--dir", str(nl_dir), "sources", "add", site.url("/blog/"), env=ENV, check=False)
    assert proc.returncode != 0 and "several feeds found" in proc.stderr
    assert _sources(nl_dir) == []


def test_a_page_naming_no_feed_is_refused_now(nl_dir, site, cli):
    proc = cli("--dir", str(nl_dir), "sources", "add", site.url("/pages/og.html"), env=ENV, check=False)
    assert proc.returncode == 1 and "names no feed" in proc.stderr
    assert _sources(nl_dir) == []
    # as given, it is the author's to decide
    cli("--dir", str(nl_dir), "sources", "add", site.url("/pages/og.html"), "--no-discover", env=ENV)
    assert _sources(nl_dir) == [site.url("/pages/og.html")]


def test_a_feed_address_is_added_as_it_is(nl_dir, site, cli):
    out = cli("--dir", str(nl_dir), "sources", "add", site.url("/feeds/essays.atom"), env=ENV).stdout
    assert "Found" not in out and _sources(nl_dir) == [site.url("/feeds/essays.atom")]


def test_an_unreachable_address_is_added_as_given_with_a_warning(nl_dir, site, cli):
    proc = cli("--dir", str(nl_dir), "sources", "add", site.url("/pages/missing.html"), env=ENV)
    assert "Could not read" in proc.stderr and "HTTP 404" in proc.stderr
    assert _sources(nl_dir) == [site.url("/pages/missing.html")]


def test_feed_links_ignore_other_links_and_hostile_titles():
    html = ('<html><head><base href="https://b.example/x/">'
            '<link rel="stylesheet" type="text/css" href="a.css">'
            '<link rel="alternate" type="text/html" hreflang="de" href="/de/">'
            '<link rel="Alternate" type="application/atom+xml; charset=utf-8" title="\x1b[31mred" href="atom.xml">'
            '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
            '<link rel="alternate" type="application/atom+xml" href="atom.xml"></head></html>')
    assert [(f.url, f.format, f.title) for f in feed_links(html, "https://a.example/")] == [
        ("https://b.example/x/atom.xml", "Atom", "[31mred")]
