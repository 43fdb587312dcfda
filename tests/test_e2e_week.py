"""A week of picking, end to end through the real CLI against the collect fixture feeds on
loopback (tests/fixtures/collect: an RSS blog in the inbox, a Hypothesis highlight stream in
auto mode, later an Atom essay feed): collect, pick, add with notes, draft, the author edits
(intro, commentary, a sign-off below the marker, a block moved), new quotes for links already
in the draft, a new pick, draft again. The author's text stays byte for byte; every quote and
every note of every pick is in the draft exactly once, the notes only as comments.
(The lead extends it with the other source kinds.)"""

from __future__ import annotations

import re

from pipeline.collect import link_quotes, list_links
from pipeline.draft.blocks import note_comment, text_paragraphs
from pipeline.newsletter import open_newsletter
from tests.conftest import allow_fetch, clean_env, inserted_once
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)


def everything_once(nl_dir, text: str, quotes_at_least: int) -> None:
    """Every quote and note of every pick appears exactly once in ``text``."""
    nl = open_newsletter(nl_dir, env={})
    try:
        picks = list_links(nl, "picked")
        quotes = link_quotes(nl, [lk.id for lk in picks])
        for lk in picks:
            if lk.note:
                assert text.count(note_comment(lk.note, "en")) == 1, lk.note
            for q in quotes[lk.id]:
                first = text_paragraphs(q.text)[0][0]
                assert text.count("> " + first + "\n") == 1, q.text
                if q.note:
                    assert text.count(note_comment(q.note, "en")) == 1, q.note
        assert picks and sum(len(v) for v in quotes.values()) >= quotes_at_least
    finally:
        nl.close()


def test_a_week_of_picks(nl_dir, site, cli):
    allow_fetch(nl_dir, "127.0.0.1")
    env = clean_env(LINKLETTER_FETCH_TIMEOUT="5")

    def run(*args: str) -> str:
        return cli("--dir", str(nl_dir), *args, env=env).stdout

    # Monday: the feeds come in; the highlight stream picks by itself
    run("sources", "add", site.url("/feeds/blog.rss"), "--name", "Slow Reading")
    run("sources", "add", site.url("/feeds/highlights.atom"), "--mode", "auto")
    run("collect")
    inbox = run("links", "--inbox")
    jsonld = re.search(r"^\s*(\d+)\s+inbox\s+Structured data", inbox, re.M).group(1)

    # Tuesday: a pick from the inbox, one by hand with a note and a quote note of its own
    run("pick", jsonld)
    run("add", site.url("/pages/german.html"), "--quote", "„Ein Zitat ist ein Satz, der zweimal lebt.“",
        "--note", "für den Schluss")
    assert "(page pending)" not in run("links", "--picked")

    # Wednesday: the draft, then the author writes
    assert "Created drafts/001-weekly-reads.md (issue 1) with 4 new links." in run("draft")
    (path,) = (nl_dir / "drafts").glob("*.md")
    text = path.read_text("utf-8")
    everything_once(nl_dir, text, 4)
    start = text.index("[Über Anführungszeichen")
    german = text[start:text.index("<!-- your commentary -->", start) + len("<!-- your commentary -->")]
    edited = (text.replace("<!-- Intro: a few words on what this issue is about. -->",
                           "Diese Woche: Ränder, Zitate und „langsames“ Lesen.\u00a0Viel Freude…", 1)
              .replace("<!-- your commentary -->", "Mein Kommentar, von Hand.", 1)
              .replace(german + "\n\n", "", 1))
    edited = edited.replace("Viel Freude…\n\n", "Viel Freude…\n\n" + german + "\n\n", 1)  # moved to the top
    edited += "\nBis nächste Woche!\n— Ada\n"
    path.write_text(edited, encoding="utf-8")
    authored = path.read_bytes()

    # Thursday: new quotes for links already in the draft (one with a note), and a new feed
    run("add", site.url("/pages/og.html"), "--quote", "Scholars now collect these notes as evidence of how people actually read.",
        "--note", "end with this")
    run("add", site.url("/pages/german.html"), "--quote", "Wer Zitate sammelt, sammelt Stimmen")
    run("sources", "add", site.url("/feeds/essays.atom"))
    run("collect")
    latin = re.search(r"^\s*(\d+)\s+picked\s+.*latin1", run("links", "--picked"), re.M)
    assert latin  # already picked by the highlight stream: the essay feed adds no second link
    assert "Structured data" in run("links", "--picked")

    # Friday: draft again
    out = run("draft")
    assert "1 new quote for link #1, already in this draft" in out
    after = path.read_bytes()
    added = inserted_once(authored, after)
    assert "> Scholars now collect these notes as evidence of how people actually read." in added
    assert "> Wer Zitate sammelt, sammelt Stimmen" in added
    final = after.decode("utf-8")
    assert final.index(added) < final.index("Bis nächste Woche!")  # above the sign-off
    everything_once(nl_dir, final, 6)

    # and again: nothing new, nothing changes
    assert run("draft").startswith("No new picks")
    assert path.read_bytes() == after
    assert len(list((nl_dir / "drafts").glob("*.md"))) == 1


def test_a_week_with_five_kinds_of_sources(nl_dir, site, cli):
    """The feeds such an author really has (tests/fixtures/collect/sources/: a Hypothesis
    stream, Pinboard bookmarks, a JSON Feed link blog, a Mastodon account, a WordPress blog):
    every author right (the page's, never the curator's), every quote and note once, the
    author's text unchanged when new quotes for drafted links arrive."""
    allow_fetch(nl_dir, "127.0.0.1")
    env = clean_env(LINKLETTER_FETCH_TIMEOUT="5")

    def run(*args: str) -> str:
        return cli("--dir", str(nl_dir), *args, env=env).stdout

    run("sources", "add", site.url("/hypothesis/stream.atom"), "--mode", "auto")  # annotations: picks
    run("sources", "add", site.url("/pinboard/u:jkrause"), "--mode", "auto")  # bookmarks: picks
    run("sources", "add", site.url("/linus/feed.json"))  # a link blog: inbox
    run("sources", "add", site.url("/@jkrause.rss"))  # a microblog: inbox
    run("sources", "add", site.url("/blog/feed/"), "--no-discover")  # a WordPress blog: inbox
    out = run("collect")
    assert "error" not in out.lower(), out
    picked = run("links", "--picked")
    assert "Why Feeds Outlive Platforms" in picked and "Die Plattform als Vermieter" in picked
    assert "hypothes.is" not in picked and "(no title)" not in run("links", "--inbox")

    assert "Created drafts/001-" in run("draft")
    (path,) = (nl_dir / "drafts").glob("*.md")
    text = path.read_text("utf-8")
    everything_once(nl_dir, text, 3)
    heads = [line for line in text.splitlines() if line.startswith("[")]
    assert any(h.endswith("Sam Whitfield, The Long Web") for h in heads), heads
    assert any("Anna Berger" in h for h in heads), heads
    assert not any("jkrause" in h or "Linus Linkblog" in h for h in heads), heads  # curators are not authors

    path.write_text(text.replace("<!-- Intro: a few words on what this issue is about. -->",
                                 "This week: feeds, platforms, rent.", 1) + "\nUntil next week,\nAda\n",
                    encoding="utf-8")
    authored = path.read_bytes()
    run("add", site.url("/netzpolitik/plattform-als-vermieter.html"),
        "--quote", "Wer die Plattform besitzt, bestimmt die Miete.", "--note", "zum Schluss")
    out = run("draft")
    assert "already in this draft" in out, out
    after = path.read_bytes()
    added = inserted_once(authored, after)
    assert "> Wer die Plattform besitzt, bestimmt die Miete." in added
    everything_once(nl_dir, after.decode("utf-8"), 4)
    assert run("draft").startswith("No new picks") and path.read_bytes() == after
