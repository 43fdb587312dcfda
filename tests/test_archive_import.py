"""`linkletter archive import`: earlier issues from WordPress, Substack, Buttondown, Curated, a
feed or a folder become sent issues (drafts with status sent, their number, title, date and
text), numbering continues after them, their links count for the repeat-link warning, the site
lists them in date order, and their old addresses redirect. Fixtures: tests/fixtures/backissues/
(README there says where each format comes from)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from pipeline.draft.format import list_drafts, read_draft
from pipeline.models import Issue, Link, Quote
from pipeline.newsletter import init_newsletter, open_newsletter
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "backissues"


@pytest.fixture
def de_dir(tmp_path) -> Path:
    return init_newsletter(tmp_path / "krasse", title="Krasse Links", language="de",
                           sender="Krasse Links <brief@example.de>", base_url="https://krasse.example.de")


def drafts_of(folder: Path) -> dict[int, object]:
    return {d.issue: d for d in list_drafts(folder / "drafts")}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "drafts").glob("*.md"))}


def test_a_wordpress_export_becomes_sent_issues_with_their_numbers_dates_and_text(de_dir):
    out = run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "wordpress.xml"),
                  "--category", "Krasse Links").stdout
    assert "Recognised a WordPress export (WXR): 2 issue(s)" in out  # the essay, the draft, page, attachment left out
    drafts = drafts_of(de_dir)
    assert sorted(drafts) == [24, 25]
    d25 = drafts[25]
    assert d25.path.name == "025-krasse-links-no-25.md"
    assert (d25.title, d25.status, d25.date.isoformat()) == ("Krasse Links No 25", "sent", "2026-10-12T06:00:00+00:00")
    assert d25.imported_from == "https://blog.example.de/2026/10/krasse-links-no-25/"
    assert d25.preheader == "Plattformen, Miete und Feeds."
    body = d25.body
    # quote with its attribution line and link, tracking parameters gone, footnote as [^1], share box gone
    assert "> „Wer die Plattform besitzt, kassiert die Miete.“" in body
    assert "> — Anna Berger, [Die Plattform als Vermieter](https://netzpolitik.example/vermieter)" in body
    assert "[Why Feeds Outlive Platforms](https://feeds.example.org/why-feeds-outlive-platforms)[^1]" in body
    assert "[^1]: Ein alter Text, aber **immer noch** richtig." in body
    assert "Teilen mit" not in body and "share=" not in body and "<" not in body.replace("\\<", "")
    # the classic-editor post got its paragraphs (wpautop) and its line break
    assert "Hallo zusammen,\n\ndiese Woche: [Langsam lesen](https://example.net/langsam-lesen)" in drafts[24].body
    assert (d25.path.stat().st_mode & 0o777) == 0o600
    nl = open_newsletter(de_dir)
    with nl.session() as s:
        issues = {i.number: i for i in s.exec(select(Issue))}
        assert {n: i.status for n, i in issues.items()} == {24: "sent", 25: "sent"}
        links = {lk.canonical_url: lk for lk in s.exec(select(Link))}
        assert links["https://feeds.example.org/why-feeds-outlive-platforms"].issue_number == 25
        assert links["https://feeds.example.org/why-feeds-outlive-platforms"].fetch_status == "skipped"
        quotes = [q.text for q in s.exec(select(Quote))]
        assert "„Wer die Plattform besitzt, kassiert die Miete.“" in quotes and "Lesen ist kein Wettlauf." in quotes
    nl.close()


def test_importing_again_changes_nothing(de_dir):
    args = ("--dir", str(de_dir), "archive", "import", str(FIXTURES / "wordpress.xml"), "--category", "krasse-links")
    run_cli(*args)
    before = snapshot(de_dir)
    nl = open_newsletter(de_dir)
    with nl.session() as s:
        counts = (len(list(s.exec(select(Issue)))), len(list(s.exec(select(Link)))), len(list(s.exec(select(Quote)))))
    out = run_cli(*args).stdout
    assert "2 imported before (unchanged)" in out and "Nothing new to import." in out
    assert snapshot(de_dir) == before
    with nl.session() as s:
        assert (len(list(s.exec(select(Issue)))), len(list(s.exec(select(Link)))),
                len(list(s.exec(select(Quote))))) == counts
    nl.close()


def test_a_dry_run_writes_nothing(de_dir):
    out = run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "wordpress.xml"), "--dry-run").stdout
    assert "Would import 3 issue(s)" in out  # without a filter the essay is an issue too
    assert snapshot(de_dir) == {}
    nl = open_newsletter(de_dir)
    with nl.session() as s:
        assert list(s.exec(select(Issue))) == []
    nl.close()


def test_numbering_continues_after_the_imported_issues(de_dir):
    run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "wordpress.xml"), "--category", "Krasse Links")
    run_cli("--dir", str(de_dir), "add", "https://example.org/neu", "--no-fetch", check=False)
    out = run_cli("--dir", str(de_dir), "draft").stdout
    assert "026-" in out, out
    new = drafts_of(de_dir)[26]
    assert new.path.name.startswith("026-") and new.status == "draft"


def test_a_substack_export_with_its_old_site(de_dir):
    out = run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "substack"),
                  "--old-site", "https://krasselinks.substack.com/").stdout
    assert "Recognised a Substack export: 2 issue(s)" in out  # the unpublished post and the podcast are not issues
    drafts = drafts_of(de_dir)
    d21 = drafts[21]
    assert d21.imported_from == "https://krasselinks.substack.com/p/krasse-links-no-21"
    assert d21.preheader == "Über Feeds, Filter und Freunde"
    assert d21.date.isoformat() == "2026-09-14T06:00:04+00:00"  # when the email went out
    assert "eine Woche über Feeds[^1]." in d21.body and "[^1]: Und über *Freunde*." in d21.body
    assert "> Ein Filter ist eine Entscheidung, die man nicht selbst trifft." in d21.body
    assert "[diesem Text](https://example.org/filter)" in d21.body
    assert "Subscribe" not in d21.body and "Share" not in d21.body and "Type your email" not in d21.body


def test_a_zipped_export_reads_like_the_folder(de_dir, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in (FIXTURES / "substack").rglob("*"):
            if path.is_file():
                z.write(path, "krasselinks-export/" + path.relative_to(FIXTURES / "substack").as_posix())
    run_cli("--dir", str(de_dir), "archive", "import", str(archive))
    assert sorted(drafts_of(de_dir)) == [21, 22]
    assert drafts_of(de_dir)[22].imported_from == "substack:141000002.krasse-links-no-22"


def test_buttondown_curated_folder_and_feed_exports(tmp_path):
    def fresh(name: str) -> Path:
        return init_newsletter(tmp_path / name, title="Reads", language="en", sender="Reads <r@example.org>",
                               base_url="https://reads.example.org")

    bd = fresh("bd")
    run_cli("--dir", str(bd), "archive", "import", str(FIXTURES / "buttondown"))
    d3 = drafts_of(bd)[3]  # Buttondown's own number (secondary_id); the draft email is not imported
    assert sorted(drafts_of(bd)) == [3, 4]
    assert d3.title == "Weekly Reads #3: On slowness, again" and d3.preheader == "Six links on taking time"
    assert d3.body.lstrip().startswith("Hello everyone,") and "buttondown-editor-mode" not in d3.body
    assert "> — [Slow reading](https://example.net/slow-reading)" in d3.body  # the author's Markdown as written

    cu = fresh("cu")
    run_cli("--dir", str(cu), "archive", "import", str(FIXTURES / "curated"))
    d12 = drafts_of(cu)[12]
    assert d12.imported_from == "https://linkliebe.curated.co/issues/12"
    assert "## Lesen" in d12.body and "### [Das Archiv als Gedächtnis](https://example.org/archiv)" in d12.body
    assert "> Ein Archiv vergisst nichts, aber es erinnert auch nicht." in d12.body

    fo = fresh("fo")
    run_cli("--dir", str(fo), "archive", "import", str(FIXTURES / "folder"))
    folder = drafts_of(fo)
    assert sorted(folder) == [1, 2]  # numbers from the names and titles
    assert folder[1].imported_from == "https://alt.example.org/wochenlese/1/"
    assert "Zweite **Ausgabe**." in folder[2].body and folder[2].title == "Wochenlese 2"
    hostile = folder[2].body
    assert "javascript" not in hostile and "onerror" not in hostile and "alert(2)" not in hostile
    assert "\\<script\\>" in hostile  # text that looked like a tag stays text

    fe = fresh("fe")
    run_cli("--dir", str(fe), "archive", "import", str(FIXTURES / "feed.xml"), "--category", "Krasse Links")
    assert list(drafts_of(fe)) == [25]


def test_a_number_already_taken_stops_the_import_before_anything_is_written(de_dir):
    run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "wordpress.xml"), "--category", "Krasse Links")
    before = snapshot(de_dir)
    proc = run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "feed.xml"), check=False)
    # the feed's "Krasse Links No 25" is the same post (same link): left alone; the essay has no number and
    # would be numbered after the imported ones (26): fine. Force a clash instead:
    assert proc.returncode == 0, proc.stderr
    clash = run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "substack"), "--first-number", "24",
                    check=False)
    assert clash.returncode != 0
    assert "issue number 24" in clash.stderr and "already taken by 024-krasse-links-no-24.md" in clash.stderr
    assert "--first-number" in clash.stderr
    after = snapshot(de_dir)
    assert {k: v for k, v in after.items() if k in before} == before and len(after) == len(before) + 1


@pytest.mark.parametrize("broken, message", [
    ("wordpress-broken.xml", "line"),
    ("substack-missing", "has no file"),
    ("folder-no-date", "no date"),
])
def test_a_broken_export_is_an_error_naming_where(de_dir, tmp_path, broken, message):
    if broken == "wordpress-broken.xml":
        source = tmp_path / broken
        source.write_text((FIXTURES / "wordpress.xml").read_text().replace("</item>", "</itme>", 1))
    elif broken == "substack-missing":
        source = tmp_path / broken
        shutil.copytree(FIXTURES / "substack", source)
        (source / "posts" / "141000002.krasse-links-no-22.html").unlink()
    else:
        source = tmp_path / broken
        source.mkdir()
        (source / "ausgabe.md").write_text("# Ohne Datum\n\nText\n")
    proc = run_cli("--dir", str(de_dir), "archive", "import", str(source), check=False)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(de_dir) == {}


def test_wordpress_and_substack_into_a_new_folder_site_feeds_redirects_and_repeats(de_dir):
    """The end-to-end move: the Substack years (21, 22), then the WordPress ones (24, 25)."""
    from tests.test_web import LiveServer

    run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "substack"),
            "--old-site", "https://krasselinks.substack.com")
    run_cli("--dir", str(de_dir), "archive", "import", str(FIXTURES / "wordpress.xml"), "--category", "Krasse Links")
    run_cli("--dir", str(de_dir), "build")
    site = de_dir / "site"
    index = (site / "index.html").read_text()
    order = [index.index(f"Krasse Links No {n}") for n in (25, 24, 22, 21)]
    assert order == sorted(order)  # newest first, across both platforms
    items = ET.parse(site / "feed.xml").getroot().findall("./channel/item")
    assert [i.findtext("title") for i in items] == [f"Krasse Links No {n}" for n in (25, 24, 22, 21)]
    assert items[0].findtext("pubDate") == "Mon, 12 Oct 2026 06:00:00 +0000"
    redirects = (site / "_redirects").read_text().splitlines()
    assert "/2026/10/krasse-links-no-25/ /issues/25.html 301" in redirects
    assert "/p/krasse-links-no-21 /issues/21.html 301" in redirects
    assert "    /2026/10/krasse-links-no-24/ /issues/24.html;" in (site / "redirects.nginx").read_text()
    assert "Hallo zusammen" in (site / "issues" / "25.html").read_text()

    nl = open_newsletter(de_dir)
    from pipeline.web import create_app

    with LiveServer(create_app(nl)) as server:
        r = httpx.get(server.url + "/2026/10/krasse-links-no-25/", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (301, "/issues/25.html")
        assert httpx.get(server.url + "/p/krasse-links-no-21", follow_redirects=True).status_code == 200
        assert httpx.get(server.url + "/p/not-an-issue").status_code == 404
    nl.close()

    # a link featured in imported issue 22 and 25 is a repeat in the next issue
    draft = de_dir / "drafts" / "026-krasse-links.md"
    draft.write_text("---\nissue: 26\ntitle: \"Krasse Links No 26\"\nstatus: draft\n---\n\n"
                     "Noch einmal [Why Feeds Outlive Platforms](https://feeds.example.org/why-feeds-outlive-platforms).\n")
    out = run_cli("--dir", str(de_dir), "check", "26", "--no-fetch", check=False)
    assert "already featured in issue 22, 25" in out.stdout + out.stderr, out.stdout + out.stderr
    assert read_draft(draft).status == "draft"
