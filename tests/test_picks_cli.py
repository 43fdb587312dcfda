"""Issue 13, items 8-13, and managing what was collected, through the real CLI (in-process
CliRunner) against the collect fixture site on loopback: new quotes for drafted links, notes
that are never published, picks that fetch their page at once, no empty draft from the job,
"featured" only for sent issues, the insertion marker; links show / unpick / dismiss."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from pipeline.draft.format import update_front_matter
from pipeline.mainjob.jobs import MainJob, collect_and_assemble
from pipeline.models import Issue, Link
from pipeline.newsletter import open_newsletter
from pipeline.web import create_app
from pipeline.web.author import bookmarklet_token
from tests.conftest import allow_fetch, clean_env, inserted_once
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)
from tests.test_web import LiveServer, own_page_client

OG, GERMAN, JSONLD = "/pages/og.html", "/pages/german.html", "/pages/jsonld.html"


@pytest.fixture
def nl_dir(nl_dir):
    return allow_fetch(nl_dir, "127.0.0.1")


def run(cli, nl_dir, *args, **kw):
    return cli("--dir", str(nl_dir), *args, env=clean_env(LINKLETTER_FETCH_TIMEOUT="5"), **kw)


def the_draft(nl_dir, number: int = 1):
    (path,) = (nl_dir / "drafts").glob(f"{number:03d}-*.md")
    return path


def mark_sent(nl_dir, number: int) -> None:
    """What a finished send leaves behind: the issue row sent, the front matter 'status: sent'."""
    update_front_matter(the_draft(nl_dir, number), status="sent")
    nl = open_newsletter(nl_dir, env={})
    try:
        with nl.session() as s:
            s.exec(select(Issue).where(Issue.number == number)).one().status = "sent"
    finally:
        nl.close()


# ---------------------------------------------------------------- 8: new quotes for drafted links

def test_a_new_quote_for_a_link_in_the_open_draft_is_added_naming_the_link(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG), "--quote", "The margin is where the reader answers back.")
    run(cli, nl_dir, "draft")
    path = the_draft(nl_dir)
    path.write_text(path.read_text("utf-8").replace("<!-- your commentary -->", "Mine."), encoding="utf-8")
    before = path.read_bytes()

    said = run(cli, nl_dir, "add", site.url(OG), "--quote", "Every note is a small letter.").stdout
    assert "Picked link #1" in said and "already in issue 1: the next 'linkletter draft' adds its new quotes" in said
    out = run(cli, nl_dir, "draft").stdout

    assert "1 new quote for link #1, already in this draft" in out and "No new picks" not in out
    added = inserted_once(before, path.read_bytes())
    assert "> Every note is a small letter." in added
    assert "link #1, On marginalia" in added  # the block names its link ...
    assert f"> — [On marginalia]({site.url(OG)})" in added  # ... and says where the quote is from
    assert run(cli, nl_dir, "draft").stdout.startswith("No new picks")  # once
    assert path.read_text("utf-8").count("Every note is a small letter.") == 1


def test_the_bookmarklet_on_an_article_in_the_open_draft_adds_its_quote(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG))
    run(cli, nl_dir, "draft")
    nl = open_newsletter(nl_dir, env={})
    try:
        with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
            r = client.post("/collect", data={"url": site.url(OG), "title": "On marginalia",
                                              "selection": "Every note is a small letter to a future self.",
                                              "token": bookmarklet_token(nl.settings)})
            assert r.status_code == 200 and r.json()["link_id"] == 1
    finally:
        nl.close()
    out = run(cli, nl_dir, "draft").stdout
    assert "1 new quote for link #1" in out
    assert "> Every note is a small letter to a future self." in the_draft(nl_dir).read_text("utf-8")


def test_a_new_quote_for_a_link_in_a_sent_issue_starts_a_new_pick(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG), "--quote", "The margin is where the reader answers back.")
    run(cli, nl_dir, "draft")
    mark_sent(nl_dir, 1)

    run(cli, nl_dir, "add", site.url(OG), "--quote", "Every note is a small letter.")
    out = run(cli, nl_dir, "draft").stdout

    assert "Link #1 was featured in issue 1: a new pick in issue 2 with 1 new quote." in out
    text = the_draft(nl_dir, 2).read_text("utf-8")
    assert f"[On marginalia]({site.url(OG)})" in text and "> Every note is a small letter." in text
    assert "featured before in issue 1" in text
    assert "The margin is where" not in text  # the quote sent before is not repeated


def test_a_new_quote_for_a_link_in_a_ready_draft_is_reported_not_lost(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG))
    run(cli, nl_dir, "draft")
    update_front_matter(the_draft(nl_dir), status="ready")
    before = the_draft(nl_dir).read_bytes()
    run(cli, nl_dir, "add", site.url(OG), "--quote", "Every note is a small letter.")
    out = run(cli, nl_dir, "draft").stdout
    assert "1 new quote for link #1 wait: its draft (issue 1) is not open" in out
    assert the_draft(nl_dir).read_bytes() == before
    update_front_matter(the_draft(nl_dir), status="draft")
    assert "1 new quote for link #1, already in this draft" in run(cli, nl_dir, "draft").stdout


# ---------------------------------------------------------------- 9: notes are never published

def test_a_note_is_a_comment_in_the_draft_and_never_rendered(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(GERMAN), "--quote", "„Ein Zitat ist ein Satz, der zweimal lebt.“",
        "--note", "für den Schluss --> <b>nicht</b> veröffentlichen")
    run(cli, nl_dir, "draft")
    text = the_draft(nl_dir).read_text("utf-8")
    assert "<!-- note: für den Schluss -\u2010> <b>nicht</b> veröffentlichen -->" in text
    run(cli, nl_dir, "render", "1", "--out", str(nl_dir / "out"))
    rendered = [p.read_text("utf-8", errors="replace") for p in (nl_dir / "out").rglob("*") if p.is_file()]
    assert rendered and all("für den Schluss" not in r and "veröffentlichen" not in r for r in rendered)
    assert any("Ein Zitat ist ein Satz" in r for r in rendered)


def test_check_warns_about_a_note_left_inside_quoted_text(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(GERMAN), "--quote", "Ein Zitat ist ein Satz.", "--note", "kürzen")
    run(cli, nl_dir, "draft")
    path = the_draft(nl_dir)
    text = path.read_text("utf-8").replace("> Ein Zitat ist ein Satz.\n\n<!-- note: kürzen -->",
                                           "> Ein Zitat ist ein Satz.\n> <!-- note: kürzen -->")
    path.write_text(text, encoding="utf-8")
    report = json.loads(run(cli, nl_dir, "check", "1", "--no-fetch", "--json", check=False).stdout)
    assert [w["code"] for w in report["warnings"]].count("note-in-quote") == 1


# ---------------------------------------------------------------- 10: a pick fetches its page at once

def test_pick_fetches_the_page_at_once(nl_dir, site, cli):
    run(cli, nl_dir, "sources", "add", site.url("/feeds/blog.rss"))
    run(cli, nl_dir, "collect")
    inbox = run(cli, nl_dir, "links", "--inbox").stdout
    jsonld = re.search(r"^\s*(\d+)\s+inbox\s+Structured data", inbox, re.M).group(1)
    run(cli, nl_dir, "pick", jsonld)
    picked = run(cli, nl_dir, "links", "--picked").stdout
    assert "(page pending)" not in picked
    nl = open_newsletter(nl_dir, env={})
    try:
        with nl.session() as s:
            assert s.get(Link, int(jsonld)).fetch_status == "ok"
    finally:
        nl.close()


def test_a_bookmarklet_pick_has_its_title_and_site_in_the_next_draft(nl_dir, site, cli):
    nl = open_newsletter(nl_dir, env={})
    try:
        with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
            r = client.post("/collect", data={"url": site.url(OG), "selection": "The margin is where the reader",
                                              "token": bookmarklet_token(nl.settings)})
            assert r.status_code == 200
    finally:
        nl.close()
    run(cli, nl_dir, "draft")  # fetched in the background, else by the draft: either way it is there
    text = the_draft(nl_dir).read_text("utf-8")
    assert f"[On marginalia]({site.url(OG)}) — Ada Reader, Slow Reading" in text
    assert "> — [Slow Reading](" in text and "[127.0.0.1" not in text


# ---------------------------------------------------------------- 11: no empty draft from the job

def test_the_job_starts_a_draft_only_when_picks_arrive(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG))
    run(cli, nl_dir, "draft")
    update_front_matter(the_draft(nl_dir), status="ready")  # ready, not sent (the check blocks it)
    nl = open_newsletter(nl_dir, env={})
    try:
        assert "no draft changed" in collect_and_assemble(nl, MainJob())
        assert [p.name for p in (nl_dir / "drafts").glob("*.md")] == [the_draft(nl_dir).name]
        run(cli, nl_dir, "add", site.url(GERMAN), "--no-fetch")
        assert "draft 002-weekly-reads.md: 1 new link(s)" in collect_and_assemble(nl, MainJob())
    finally:
        nl.close()


# ---------------------------------------------------------------- 12: only sent issues are "featured"

def test_renumbering_a_draft_makes_no_phantom_repeats(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG))
    run(cli, nl_dir, "add", site.url(JSONLD))
    run(cli, nl_dir, "draft")
    path = the_draft(nl_dir)
    path.write_text(path.read_text("utf-8").replace("issue: 1\n", "issue: 27\n"), encoding="utf-8")

    report = json.loads(run(cli, nl_dir, "check", "27", "--no-fetch", "--json", check=False).stdout)
    assert [w for w in report["warnings"] if w["code"] == "link-featured"] == []
    run(cli, nl_dir, "draft")  # the links move with their renumbered draft
    assert re.search(r"^\s*1\s+picked\s+.*\(issue 27\)$", run(cli, nl_dir, "links", "--picked").stdout, re.M)

    update_front_matter(path, status="sent")  # issue 27 is sent (its row: see mark_sent)
    nl = open_newsletter(nl_dir, env={})
    try:
        with nl.session() as s:
            s.exec(select(Issue).where(Issue.number == 27)).one().status = "sent"  # the row draft made
    finally:
        nl.close()
    (nl_dir / "drafts" / "029-next.md").write_text(
        f"---\nissue: 29\ntitle: Next\nstatus: draft\n---\n\nAgain: [On marginalia]({site.url(OG)})\n", encoding="utf-8")
    report = json.loads(run(cli, nl_dir, "check", "29", "--no-fetch", "--json", check=False).stdout)
    featured = [w for w in report["warnings"] if w["code"] == "link-featured"]
    assert [w["details"]["issues"] for w in featured] == [[27]]
    assert "already featured in issue 27" in featured[0]["message"]


# ---------------------------------------------------------------- 13: the insertion marker

def test_new_picks_go_above_the_marker_not_below_the_sign_off(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG))
    run(cli, nl_dir, "draft")
    path = the_draft(nl_dir)
    text = path.read_text("utf-8")
    assert text.rstrip("\n").endswith("-->") and "<!-- linkletter:new-picks" in text
    path.write_text(text + "\nBis nächste Woche!\n", encoding="utf-8")
    before = path.read_bytes()
    run(cli, nl_dir, "add", site.url(GERMAN))
    run(cli, nl_dir, "draft")
    after = path.read_text("utf-8")
    added = inserted_once(before, path.read_bytes())
    assert "Über Anführungszeichen" in added
    assert after.index("Über Anführungszeichen") < after.index("<!-- linkletter:new-picks") < \
        after.index("Bis nächste Woche!")


def test_without_the_marker_new_picks_are_appended_at_the_end(nl_dir, site, cli):
    run(cli, nl_dir, "add", site.url(OG))
    run(cli, nl_dir, "draft")
    path = the_draft(nl_dir)
    path.write_text(re.sub(r"<!-- linkletter:new-picks.*-->\n", "", path.read_text("utf-8")), encoding="utf-8")
    before = path.read_bytes()
    run(cli, nl_dir, "add", site.url(GERMAN))
    run(cli, nl_dir, "draft")
    assert path.read_bytes().startswith(before) and b"Anf\xc3\xbchrungszeichen" in path.read_bytes()[len(before):]


# ---------------------------------------------------------------- managing what was collected

def test_links_show_unpick_dismiss_and_the_picked_listing(nl_dir, site, cli):
    run(cli, nl_dir, "sources", "add", site.url("/feeds/blog.rss"), "--name", "Slow Reading")
    run(cli, nl_dir, "collect")
    run(cli, nl_dir, "add", site.url(GERMAN), "--quote", "Ein Zitat.", "--note", "für den Schluss")
    shown = run(cli, nl_dir, "links", "show", "3").stdout
    assert "Über Anführungszeichen" in shown and "source:    added by hand" in shown
    assert "note:      für den Schluss" in shown and "placed:    not yet in a draft" in shown
    assert re.search(r"quote #\d+ \(cli, not drafted yet\): Ein Zitat\.", shown)
    assert "source:    #1 Slow Reading" in run(cli, nl_dir, "links", "show", "1").stdout

    assert "Dismissed 1 link(s): 2" in run(cli, nl_dir, "dismiss", "2").stdout
    assert "Structured data" not in run(cli, nl_dir, "links", "--inbox").stdout
    assert "Structured data" in run(cli, nl_dir, "links", "--dismissed").stdout
    run(cli, nl_dir, "dismiss", "--undo", "2")
    run(cli, nl_dir, "pick", "1")
    assert "Back in the inbox: 1" in run(cli, nl_dir, "unpick", "1").stdout

    run(cli, nl_dir, "draft")
    picked = run(cli, nl_dir, "links", "--picked").stdout
    assert re.search(r"^\s*3\s+picked\s+.*\(issue 1\)$", picked, re.M)
    assert "placed:    issue 1" in run(cli, nl_dir, "links", "show", "3").stdout
    refused = run(cli, nl_dir, "unpick", "3", check=False)
    assert refused.returncode == 1 and "already in a draft: #3 (issue 1)" in refused.stderr
    mark_sent(nl_dir, 1)
    assert "Anführungszeichen" not in run(cli, nl_dir, "links", "--picked").stdout  # sent: hidden
    assert re.search(r"Anführungszeichen.*\(issue 1, sent\)", run(cli, nl_dir, "links", "--picked", "--all").stdout)
    assert "placed:    issue 1 (sent)" in run(cli, nl_dir, "links", "show", "3").stdout
