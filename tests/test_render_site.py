"""The static site and feeds, and the render/build commands run as the real CLI."""

from __future__ import annotations

import email.utils
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import feedparser
import pytest

from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.render.site import build_site, render_issue_page
from pipeline.render.templates import TemplateError
from tests.conftest import run_cli

DRAFTS = Path(__file__).parent / "fixtures" / "render" / "drafts"
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}

UNSENT = """---
issue: 14
title: "Noch nicht verschickt"
status: ready
---
Dieser Entwurf darf nirgends erscheinen: UNSENT-MARKER.
"""


def make_nl(tmp_path, env=None, language="de"):
    root = init_newsletter(tmp_path / "lese", title="Wochenlese", language=language, author="Die Redaktion",
                           sender="Wochenlese <post@example.de>", base_url="https://lese.example.de")
    for name in ("003-short.md", "012-langsamkeit.md"):
        shutil.copyfile(DRAFTS / name, root / "drafts" / name)
    (root / "drafts" / "014-entwurf.md").write_text(UNSENT, "utf-8")
    return open_newsletter(root, env=env or {})


@pytest.fixture
def nl_site(tmp_path):
    nl = make_nl(tmp_path)
    yield nl
    nl.close()


def test_build_writes_index_pages_and_feeds(nl_site):
    out = build_site(nl_site)
    assert out == nl_site.settings.site_dir
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "atom.xml", "feed.xml", "index.html", "issues/12.html", "issues/3.html"]
    index = (out / "index.html").read_text("utf-8")
    # newest first, localized, with dates and links to the issue pages
    assert index.index("issues/12.html") < index.index("issues/3.html")
    assert "Archiv" in index and "27. November 2026" in index and "Ausgabe 12" in index
    assert "UNSENT-MARKER" not in index and "Noch nicht verschickt" not in index
    page = (out / "issues" / "12.html").read_text("utf-8")
    assert '<html lang="de">' in page and "Ausgabe 12 · <time" in page and "27. November 2026" in page
    assert "<blockquote cite=" in page and "<footer>— <a href=" in page
    assert 'href="../index.html"' in page and 'rel="canonical" href="https://lese.example.de/issues/12.html"' in page


def test_feeds_parse_without_errors_and_hold_full_content(nl_site):
    out = build_site(nl_site)
    rss = feedparser.parse((out / "feed.xml").read_bytes())
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    for feed in (rss, atom):
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert [e.link for e in feed.entries] == ["https://lese.example.de/issues/12.html",
                                                 "https://lese.example.de/issues/3.html"]
        assert feed.entries[0].title == "Wochenlese #12: Über Langsamkeit"
        content = feed.entries[0].content[0].value
        # the quote's last paragraph, whole, then its attribution: the full issue, not a summary
        assert ("<p>Die Leere war nie das Problem. Das Problem war, dass wir nicht wussten, was wir mit ihr "
                "anfangen sollten.</p>\n<footer>— <a href=") in content
        assert content.count("<blockquote") == 10
    assert rss.version == "rss20" and atom.version == "atom10"
    assert rss.entries[0].id == "https://lese.example.de/issues/12.html"  # stable guid: the page URL
    assert rss.entries[0].published_parsed[:5] == (2026, 11, 27, 6, 0)
    assert rss.feed.links[0].href  # atom:link rel=self present
    assert any(link.rel == "self" and link.href == "https://lese.example.de/feed.xml" for link in rss.feed.links)
    assert any(link.rel == "self" and link.href == "https://lese.example.de/atom.xml" for link in atom.feed.links)


def test_feeds_meet_their_specs_when_read_strictly(nl_site):
    """No independent feed validator can be installed here (see the report); read both feeds
    with a strict XML parser and check what RSS 2.0 and RFC 4287 require."""
    out = build_site(nl_site)
    channel = ET.parse(out / "feed.xml").getroot().find("channel")
    for tag in ("title", "link", "description"):
        assert channel.findtext(tag)
    self_link = channel.find("atom:link", NS)
    assert (self_link.get("rel"), self_link.get("type")) == ("self", "application/rss+xml")
    for item in channel.findall("item"):
        assert item.find("guid").get("isPermaLink") == "true" and item.findtext("guid") == item.findtext("link")
        assert email.utils.parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None
        assert item.findtext("content:encoded", namespaces=NS).startswith("<p>")
    feed = ET.parse(out / "atom.xml").getroot()
    for tag in ("atom:id", "atom:title", "atom:updated", "atom:author/atom:name"):
        assert feed.findtext(tag, namespaces=NS)
    assert feed.find("atom:link[@rel='self']", NS).get("href") == "https://lese.example.de/atom.xml"
    for entry in feed.findall("atom:entry", NS):
        assert entry.findtext("atom:id", namespaces=NS) and entry.findtext("atom:title", namespaces=NS)
        for tag in ("atom:updated", "atom:published"):  # RFC 3339 with an offset
            assert datetime.fromisoformat(entry.findtext(tag, namespaces=NS).replace("Z", "+00:00")).tzinfo
        assert entry.find("atom:content", NS).get("type") == "html"
        assert entry.find("atom:link[@rel='alternate']", NS).get("href") == entry.findtext("atom:id", namespaces=NS)


def test_feed_length_is_configurable(tmp_path):
    nl = make_nl(tmp_path, env={"LINKLETTER_FEED_ITEMS": "1"})
    try:
        out = build_site(nl)
        for name in ("feed.xml", "atom.xml"):
            entries = feedparser.parse((out / name).read_bytes()).entries
            assert [e.link for e in entries] == ["https://lese.example.de/issues/12.html"]
        assert "issues/3.html" in (out / "index.html").read_text("utf-8")  # the index lists all
    finally:
        nl.close()


def test_english_site_is_english(tmp_path):
    nl = make_nl(tmp_path, language="en")
    try:
        index = (build_site(nl) / "index.html").read_text("utf-8")
        assert "Archive" in index and "27 November 2026" in index and "Issue 12" in index and "Subscribe" in index
    finally:
        nl.close()


def test_preview_of_an_unsent_draft(nl_site):
    page = render_issue_page(nl_site, nl_site.settings.drafts_dir / "014-entwurf.md")
    assert "UNSENT-MARKER" in page and "Noch nicht verschickt</h1>" in page


def test_a_broken_template_leaves_the_site_as_it_was(nl_site):
    out = build_site(nl_site)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    # publish one more issue, and break the feed template: nothing at all may be written
    text = (nl_site.settings.drafts_dir / "014-entwurf.md").read_text("utf-8").replace("status: ready", "status: sent")
    (nl_site.settings.drafts_dir / "014-entwurf.md").write_text(text, "utf-8")
    own = nl_site.settings.templates_dir / "site"
    own.mkdir(parents=True)
    (own / "atom.xml").write_text("<feed>\n{{ items }}\n{{ missing_variable }}\n</feed>\n", "utf-8")
    with pytest.raises(TemplateError) as e:
        build_site(nl_site)
    assert str(e.value).startswith(f"{own / 'atom.xml'}:3: ")
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and not (out / "issues" / "14.html").exists()
    assert not [p for p in out.rglob("*.tmp")]
    # an unchanged rebuild does not touch unchanged files (stable Last-Modified)
    (own / "atom.xml").unlink()
    (nl_site.settings.drafts_dir / "014-entwurf.md").write_text(UNSENT, "utf-8")
    build_site(nl_site)
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes


def test_unpublished_issue_page_is_removed(nl_site):
    out = build_site(nl_site)
    path = nl_site.settings.drafts_dir / "003-short.md"
    path.write_text(path.read_text("utf-8").replace("status: sent", "status: ready"), "utf-8")
    build_site(nl_site)
    assert not (out / "issues" / "3.html").exists() and (out / "issues" / "12.html").exists()


# ---------------------------------------------------------------- the real CLI


def test_cli_render_and_build(nl_site, tmp_path):
    root = nl_site.settings.root
    out = tmp_path / "preview"
    proc = run_cli("--dir", str(root), "render", "12", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["email.html", "email.txt", "page.html"]
    assert str(out / "email.html") in proc.stdout
    assert "Ausgabe 12" in (out / "email.txt").read_text("utf-8")
    proc = run_cli("--dir", str(root), "render", "014-entwurf.md")  # any status; default folder
    assert (root / "build" / "014-entwurf" / "email.html").is_file()
    proc = run_cli("--dir", str(root), "build")
    assert "2 published issue(s)" in proc.stdout
    assert (root / "site" / "feed.xml").is_file()
    proc = run_cli("--dir", str(root), "build", "--out", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere" / "atom.xml").is_file()


def test_cli_broken_draft_names_file_and_line_and_writes_nothing(nl_site, tmp_path):
    root = nl_site.settings.root
    broken = root / "drafts" / "015-kaputt.md"
    broken.write_text("---\nissue: 15\ntitle: Kaputt\nstatus: done\n---\nText\n", "utf-8")
    out = tmp_path / "preview"
    proc = run_cli("--dir", str(root), "render", str(broken), "--out", str(out), check=False)
    assert proc.returncode == 1
    assert f"{broken}:4: unknown status 'done'" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    proc = run_cli("--dir", str(root), "build", check=False)  # the site build reads every draft
    assert proc.returncode == 1 and f"{broken}:4:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (root / "site").exists()


def test_cli_template_error_names_file_and_line(nl_site, tmp_path):
    root = nl_site.settings.root
    (root / "templates" / "email").mkdir(parents=True)
    (root / "templates" / "email" / "issue.txt").write_text("{{ title }}\n{{ body }}\n{{ typo_here }}\n", "utf-8")
    out = tmp_path / "preview"
    proc = run_cli("--dir", str(root), "render", "12", "--out", str(out), check=False)
    assert proc.returncode == 1
    assert f"{root / 'templates' / 'email' / 'issue.txt'}:3: undefined template variable" in proc.stderr
    assert "typo_here" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_cli_unknown_draft(nl_site):
    proc = run_cli("--dir", str(nl_site.settings.root), "render", "99", check=False)
    assert proc.returncode == 1 and "no draft '99'" in proc.stderr and "Traceback" not in proc.stderr
