"""Canonical URLs: tracking and fragments go, nothing that may name another page is merged."""

from __future__ import annotations

import pytest

from pipeline.collect import add_link, list_links
from pipeline.collect.text import blockquotes, html_to_text, normalize_text, quote_hash
from pipeline.collect.urls import InvalidURL, canonicalize, page_canonical, remove_dot_segments, strip_tracking


@pytest.mark.parametrize("url, expected", [
    ("HTTPS://Example.ORG/Path?utm_source=x&utm_medium=y#section", "https://example.org/Path"),
    ("https://example.org:443/a/?id=7&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3&ref=hn", "https://example.org/a/?id=7"),
    ("http://example.org:80", "http://example.org/"),
    ("http://example.org:8080/x", "http://example.org:8080/x"),
    ("https://example.org/app#!/article/12", "https://example.org/app#!/article/12"),  # a client-side route
    ("https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"),  # order kept
    ("https://example.org/search?q=a%20b&UTM_Campaign=z", "https://example.org/search?q=a%20b"),
])
def test_canonicalize(url, expected):
    assert canonicalize(url) == expected


@pytest.mark.parametrize("a, b", [
    ("https://example.org/Page", "https://example.org/page"),  # path case may matter
    ("https://example.org/page", "https://example.org/page/"),
    ("https://example.org/page?id=1", "https://example.org/page?id=2"),
    ("http://example.org/page", "https://example.org/page"),
    ("https://www.example.org/page", "https://example.org/page"),
])
def test_distinct_pages_stay_distinct(a, b):
    assert canonicalize(a) != canonicalize(b)


@pytest.mark.parametrize("urls, expected", [
    # RFC 3986 §6.2.2: one page however its path is spelled
    (["https://example.org/~ann.html", "https://example.org/%7Eann.html", "https://example.org/%7eann.html"],
     "https://example.org/~ann.html"),
    (["https://example.org/café.html", "https://example.org/caf%C3%A9.html", "https://example.org/caf%c3%a9.html"],
     "https://example.org/caf%C3%A9.html"),
    (["https://example.org/a/./p2.html", "https://example.org/a/p2.html", "https://example.org/a/b/../p2.html",
      "https://example.org/a/%2E/p2.html", "https://example.org/../a/p2.html"], "https://example.org/a/p2.html"),
    (["https://example.org/%41rt%2d1", "https://example.org/Art-1"], "https://example.org/Art-1"),
    (["https://example.org/über/", "https://example.org/%C3%BCber/./", "https://example.org/x/../%c3%bcber/"],
     "https://example.org/%C3%BCber/"),
    (["https://example.org/a/b/..", "https://example.org/a/"], "https://example.org/a/"),
    # the query too
    (["https://example.org/s?q=café&n=%7e1", "https://example.org/s?q=caf%c3%a9&n=~1&utm_source=x"],
     "https://example.org/s?q=caf%C3%A9&n=~1"),
])
def test_equivalent_spellings_are_one_link(urls, expected):
    assert [canonicalize(u) for u in urls] == [expected] * len(urls)


@pytest.mark.parametrize("url", [
    # already canonical: byte for byte the same, so links stored before keep matching
    "https://example.org/~ann.html", "https://example.org/caf%C3%A9.html", "https://example.org/a%2Fb",
    "https://example.org/a%20b/c%3Fd", "https://example.org/search?q=a%20b&x=%26y", "https://example.org/a/b/",
    "https://example.org/.well-known/feed", "https://example.org/v1.2/..a/b..", "https://example.org/100%25",
    "https://example.org/p;v=1,2?x=a/b", "https://example.org/app#!/article/12", "https://example.org/s?flag=",
])
def test_canonical_urls_stay_byte_identical(url):
    assert canonicalize(url) == url


@pytest.mark.parametrize("a, b", [
    ("https://example.org/a%2Fb", "https://example.org/a/b"),  # an encoded reserved character is data
    ("https://example.org/a%3Fb", "https://example.org/a?b"),
    ("https://example.org/s?q=%E9", "https://example.org/s?q=%E8"),  # not UTF-8: the bytes still differ
    ("https://example.org/s?q=a%26b", "https://example.org/s?q=a&b"),
])
def test_reserved_and_raw_bytes_are_not_merged(a, b):
    assert canonicalize(a) != canonicalize(b)


@pytest.mark.parametrize("path, expected", [
    ("/a/b/c/./../../g", "/a/g"), ("mid/content=5/../6", "mid/6"), ("/..", "/"), ("/a/..", "/"),
    ("/a/.", "/a/"), ("/a//../b", "/a/b"), ("/a/...", "/a/..."), ("/", "/"), ("", ""),
])
def test_remove_dot_segments_follows_rfc_3986(path, expected):
    assert remove_dot_segments(path) == expected


def test_equivalent_urls_shared_twice_are_one_link(nl):
    first = add_link(nl, "https://example.org/people/~ann.html", fetch=False)
    assert add_link(nl, "https://example.org/people/%7Eann.html", fetch=False) == first
    cafe = add_link(nl, "https://example.org/café.html", fetch=False)
    assert add_link(nl, "https://example.org/caf%c3%a9.html", fetch=False) == cafe
    p2 = add_link(nl, "https://example.org/a/./p2.html", fetch=False)
    assert add_link(nl, "https://example.org/a/p2.html", fetch=False) == p2
    assert sorted(lk.canonical_url for lk in list_links(nl)) == [
        "https://example.org/a/p2.html", "https://example.org/caf%C3%A9.html", "https://example.org/people/~ann.html"]


@pytest.mark.parametrize("url", ["ftp://example.org/x", "javascript:alert(1)", "example.org/page", "", "https:///nohost",
                                 "https://example.org:99999/"])
def test_invalid_urls_are_refused(url):
    with pytest.raises(InvalidURL):
        canonicalize(url)


def test_strip_tracking_keeps_everything_else():
    assert strip_tracking("https://Example.org/A?utm_source=x&id=3#frag") == "https://Example.org/A?id=3#frag"
    assert strip_tracking("https://example.org/a") == "https://example.org/a"
    assert strip_tracking("https://example.org/a?x=1&utm_source=y#annotations:aBcD") == "https://example.org/a?x=1"
    assert strip_tracking("https://example.org/a#:~:text=Every%20note") == "https://example.org/a"


def test_a_page_canonical_is_trusted_only_on_the_same_site():
    page = "https://www.example.org/2026/11/post?utm_source=rss"
    assert page_canonical(page, "/2026/11/post") == "https://www.example.org/2026/11/post"
    assert page_canonical(page, "https://example.org/2026/11/post-amp") == "https://example.org/2026/11/post-amp"
    assert page_canonical(page, "https://other.example/stolen") is None
    assert page_canonical(page, "https://www.example.org/") is None  # the home page for every article
    assert page_canonical(page, None) is None
    assert page_canonical(page, "javascript:alert(1)") is None


def test_text_helpers():
    assert normalize_text("  a\n b \n\n\n  c\td  ") == "a b\n\nc d"
    assert quote_hash("a  b\n\nc") == quote_hash("a b c")
    assert html_to_text("<p>One<br>two</p><p>Three &amp; <script>x()</script>four</p>") == "One two\n\nThree & four"
    quotes, rest = blockquotes("<p>Note</p><blockquote><p>A</p><blockquote>inner</blockquote></blockquote><p>End</p>")
    assert quotes == ["A\n\ninner"] and rest == "Note\n\nEnd"


def test_links_stored_before_the_normalization_are_found_again_after_renormalizing(nl):
    from pipeline.collect.renormalize import renormalize_canonical_urls
    from pipeline.models import Link

    # canonical URLs as the earlier canonicalize stored them: the path verbatim
    old = {"tilde": "https://example.org/%7Eann.html", "cafe": "https://example.org/café.html",
           "dots": "https://example.org/a/./p2.html", "plus": "https://example.org/s?q=a+b",  # query: already today's form
           "twin": "https://example.org/%7eann.html"}  # the same page as "tilde", stored twice
    with nl.session() as s:
        ids = {}
        for name, url in old.items():
            link = Link(url=url, canonical_url=url)
            s.add(link)
            s.flush()
            ids[name] = link.id
        s.commit()
    # without renormalizing, sharing the page again would make a second link
    assert canonicalize(old["tilde"]) != old["tilde"]

    with nl.session() as s:
        report = renormalize_canonical_urls(s, batch=2)
        s.commit()
    assert (report.checked, report.updated, report.conflicts) == (5, 3, [(ids["tilde"], ids["twin"])])
    assert add_link(nl, "https://example.org/~ann.html", fetch=False) == ids["tilde"]
    assert add_link(nl, "https://example.org/caf%c3%a9.html", fetch=False) == ids["cafe"]
    assert add_link(nl, "https://example.org/a/p2.html", fetch=False) == ids["dots"]
    by_id = {lk.id: lk.canonical_url for lk in list_links(nl)}
    assert by_id[ids["plus"]] == "https://example.org/s?q=a+b"  # a literal plus is not read as a space
    assert by_id[ids["twin"]] == old["twin"] and len(by_id) == 5  # left for a person to merge
    with nl.session() as s:  # a second run changes nothing
        again = renormalize_canonical_urls(s)
    assert again.updated == 0 and again.conflicts == [(ids["tilde"], ids["twin"])]


def test_one_list_of_tracking_parameters_for_canonical_urls_draft_keys_and_the_check():
    from pipeline.collect.urls import tracking_params, url_key

    page = "https://example.org/a"
    for name in ("gbraid", "wbraid", "ga_source", "hsCtaTracking", "WT.mc_id", "trkCampaign", "utm_source"):
        tracked = f"{page}?{name}=x"
        assert canonicalize(tracked) == page
        assert url_key(tracked) == url_key(page)
        assert tracking_params(tracked) == [name]


def test_is_web_url_has_one_definition():
    from pipeline.check import links as check_links
    from pipeline.collect import urls
    from pipeline.draft import blocks

    assert check_links.is_web_url is urls.is_web_url and blocks.is_web_url is urls.is_web_url
    assert urls.is_web_url("https://example.org/") and urls.is_web_url("HTTP://example.org")
    for url in (None, "", "javascript:alert(1)", "mailto:a@example.org", "https:///path", "http://[oops"):
        assert not urls.is_web_url(url)
