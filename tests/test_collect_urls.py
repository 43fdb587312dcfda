"""Canonical URLs: tracking and fragments go, nothing that may name another page is merged."""

from __future__ import annotations

import pytest

from pipeline.collect.text import blockquotes, html_to_text, normalize_text, quote_hash
from pipeline.collect.urls import InvalidURL, canonicalize, page_canonical, strip_tracking


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
