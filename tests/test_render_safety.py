"""Hostile input in a draft and in collected quotes reaches no output: no script, no event
handler, no javascript:/data: URL, no markup leaking out of a quote. Checked in the email
HTML, the email text, the issue page, both feeds and the index."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.render.email import render_issue
from pipeline.render.markdown import render_html
from pipeline.render.site import build_site

DRAFTS = Path(__file__).parent / "fixtures" / "render" / "drafts"
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "form", "input", "base", "link", "meta",
                  "style"}
URL_ATTRS = {"href", "src", "cite", "action", "formaction", "background", "poster", "srcset", "data"}
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Audit(HTMLParser):
    """Collects every dangerous thing in a document, and the elements around marker texts."""

    def __init__(self, head_allowed: set[str] = frozenset()):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.ancestors: dict[str, list[str]] = {}
        self.head_allowed = head_allowed

    def handle_starttag(self, tag, attrs):
        in_head = "head" in self.stack
        if tag in FORBIDDEN_TAGS and not (in_head and tag in self.head_allowed):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in URL_ATTRS and value:
                squashed = "".join(ch for ch in value if ch > " ").lower()
                if squashed.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"{tag} {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        for marker in ("AFTER-QUOTE", "LAST paragraph"):
            if marker in data:
                self.ancestors[marker] = list(self.stack)


def audit(html: str, head_allowed=frozenset()) -> Audit:
    a = Audit(head_allowed)
    a.feed(html)
    a.close()
    return a


def assert_safe(html: str, head_allowed=frozenset()) -> Audit:
    a = audit(html, head_allowed)
    assert a.problems == []
    for marker in ("AFTER-QUOTE", "LAST paragraph"):
        around = a.ancestors[marker]
        assert around[-1] == "p", (marker, around)
        assert not {"b", "i", "em", "strong", "blockquote", "a"} & set(around), (marker, around)
    return a


@pytest.fixture
def nl_hostile(tmp_path):
    root = init_newsletter(tmp_path / "n", title="Reads", language="en", sender="Reads <r@example.org>",
                           base_url="https://r.example.org")
    shutil.copyfile(DRAFTS / "013-hostile.md", root / "drafts" / "013-hostile.md")
    nl = open_newsletter(root, env={})
    yield nl
    nl.close()


def test_the_audit_catches_what_it_looks_for():
    """The checker itself can fail: unsanitized markup is reported."""
    a = audit('<p><b>AFTER-QUOTE</b></p><a href=" java\tscript:x()">x</a><img src=x onerror=y><script></script>')
    assert a.problems == ["a href= java\tscript:x()", "img onerror=", "<script>"]
    assert a.ancestors["AFTER-QUOTE"][-2:] == ["p", "b"]


def test_hostile_email_html_and_text(nl_hostile):
    r = render_issue(nl_hostile, nl_hostile.settings.drafts_dir / "013-hostile.md")
    # MJML's own <style> in <head> is ours; nothing else may be there
    assert_safe(r.html, head_allowed={"style", "meta"})
    body = r.html[r.html.index("<body"):]
    assert "<style" not in body and "<script" not in body.lower()
    # the title and subject are text, escaped wherever they appear
    assert "<script>alert('title')" not in r.html and "&lt;script&gt;" in r.html
    # a quote the draft stage escaped stays visible text, in both parts
    assert "&lt;script&gt;alert('escaped by the draft stage')&lt;/script&gt; stays visible text." in r.html
    assert "> <script>alert('escaped by the draft stage')</script> stays visible" in r.text
    # raw HTML is gone from the text part: tags, their handlers, script contents, evil URLs
    for gone in ("alert('block')", "alert('img')", "onmouseover", "alert('escape')", "evil.example", "<iframe",
                 "display: none", "alert('svg')", "onerror=\"", "alert('div')"):
        assert gone not in r.text, gone
    links = r.text[r.text.index("Links:"):]
    assert "javascript" not in links.lower() and "data:" not in links


def test_hostile_page_index_and_feeds(nl_hostile):
    out = build_site(nl_hostile)
    assert_safe((out / "issues" / "13.html").read_text("utf-8"), head_allowed={"style", "meta", "link"})
    index = (out / "index.html").read_text("utf-8")
    assert audit(index, head_allowed={"style", "meta", "link"}).problems == []
    assert "<script" not in index and "&lt;script&gt;alert(&#39;title&#39;)" in index
    rss = ET.parse(out / "feed.xml").getroot()
    atom = ET.parse(out / "atom.xml").getroot()
    contents = [rss.findtext("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded"),
                atom.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content")]
    for html in contents:
        assert_safe(html)
    assert rss.findtext("channel/item/title") == "Hostile <script>alert('title')</script> & friends"


@pytest.mark.parametrize("markdown, gone", [
    ("<script>alert(1)</script>", "<script"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="&#106;avascript:alert(1)">x</a>', "avascript:"),
    ('<img src=x onerror="alert(1)">', "onerror"),
    ('<p style="background:url(javascript:alert(1))">x</p>', "javascript"),
    ("[x](javascript:alert(1))", "href"),
    ("> <b>open\n\nAFTER", "<b>AFTER"),
    ("> <div>open\n\nAFTER", "<div>\n<p>AFTER"),
    ("- <em>open\n\nAFTER", "<em>AFTER"),
])
def test_each_hostile_construct(markdown, gone):
    assert gone not in render_html(markdown)


def test_typography_passes_through_unchanged():
    text = "„Anführung“ ‚einfach‘ «Guillemets» ‹eins› – Halbgeviert — Geviert … 10\u00a0% \"straight\" 'single' -- ..."
    html = render_html(text)
    assert html.strip() == f"<p>{text}</p>"


def test_control_characters_do_not_break_the_feeds_and_script_text_stays_out_of_the_plain_text(nl_dir):
    import feedparser

    from pipeline.newsletter import open_newsletter
    from pipeline.render.email import render_issue
    from pipeline.render.site import build_site

    path = nl_dir / "drafts" / "001-bell.md"
    path.write_text("---\nissue: 1\ntitle: \"Bell issue\"\nstatus: sent\ndate: 2026-11-20T07:00:00Z\n---\n"
                    "A bell\x07 and an escape\x1b here, <script>alert('inline')</script> and <style>p{}</style> prose.\n",
                    encoding="utf-8")
    nl = open_newsletter(nl_dir, env={})
    try:
        build_site(nl)
        for feed in ("feed.xml", "atom.xml"):
            parsed = feedparser.parse((nl.settings.site_dir / feed).read_bytes())
            assert parsed.bozo == 0, (feed, parsed.get("bozo_exception"))
            assert parsed.entries[0].title == "Bell issue"
        text = render_issue(nl, path).text
        assert "alert" not in text and "p{}" not in text and "prose." in text
    finally:
        nl.close()
