"""Assembling picks into the draft: append-only and idempotent, byte for byte, whatever the
author did to the file; numbering; --print; broken drafts; hostile titles and quotes."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it_pyrs import MarkdownIt
from sqlmodel import select

from pipeline.collect.urls import url_key
from pipeline.draft.assemble import assemble
from pipeline.draft.format import read_draft
from pipeline.models import Issue, Link, Quote
from pipeline.newsletter import init_newsletter, open_newsletter

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def pick(nl, url: str, *, title: str | None = "A page", quotes=(), state: str = "picked", canonical: str | None = None,
         **fields) -> int:
    """Insert a picked link (as collection would) with its quotes; returns its id.
    ``quotes`` holds texts or (text, source_url) pairs."""
    with nl.session() as s:
        n = len(s.exec(select(Link)).all())
        link = Link(url=url, canonical_url=canonical or url, title=title, state=state,
                    picked_at=T0 + timedelta(minutes=n), **fields)
        s.add(link)
        s.flush()
        for q in quotes:
            text, source = (q, None) if isinstance(q, str) else q
            s.add(Quote(link_id=link.id, text=text, text_hash=hashlib.sha256(text.encode()).hexdigest(),
                        source_url=source))
        return link.id


def issue_numbers(nl) -> dict[int, int | None]:
    with nl.session() as s:
        return {link.id: link.issue_number for link in s.exec(select(Link))}


def issues(nl) -> list[tuple[int, str, str]]:
    with nl.session() as s:
        return [(i.number, i.status, i.draft_path) for i in s.exec(select(Issue).order_by(Issue.number))]


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class _Html(HTMLParser):
    """Collects the tags and the text of rendered HTML."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def rendered(markdown: str) -> _Html:
    """The block as CommonMark with tables, strikethrough and footnotes would render it."""
    md = MarkdownIt("commonmark").enable_many(["table", "strikethrough", "footnote"])
    parser = _Html()
    parser.feed(md.render(markdown))
    return parser


# ---------------------------------------------------------------- creating the first draft


def test_first_run_creates_the_next_draft_with_front_matter_and_blocks(nl):
    a = pick(nl, "https://example.org/slow?utm_source=feed", canonical="https://example.org/slow",
             title="On slowness", site_name="Example Blog", author="Jane Doe",
             quotes=["First paragraph.\n\nSecond paragraph.",
                     ("A highlighted line.", "https://example.org/slow#:~:text=A%20highlighted")])
    b = pick(nl, "https://other.example/b", title="Second")
    pick(nl, "https://inbox.example/c", state="inbox")

    r = assemble(nl)

    path = nl.settings.drafts_dir / "001-weekly-reads.md"
    assert (r.path, r.issue, r.created, r.placed, r.written) == (path, 1, True, (a, b), True)
    d = read_draft(path)
    assert (d.issue, d.title, d.status) == (1, "Weekly Reads #1", "draft")
    assert "<!-- Intro:" in d.body
    assert path.read_text("utf-8") == r.text
    assert r.blocks[0] == (
        "[On slowness](https://example.org/slow) — Jane Doe, Example Blog\n\n"
        "> First paragraph.\n>\n> Second paragraph.\n\n"
        "> A highlighted line.\n>\n> — [Example Blog](https://example.org/slow#:~:text=A%20highlighted)\n\n"
        "<!-- your commentary -->\n")
    assert r.blocks[1] == "[Second](https://other.example/b)\n\n<!-- your commentary -->\n"
    assert d.body.index("On slowness") < d.body.index("Second")
    assert issue_numbers(nl) == {a: 1, b: 1, 3: None}
    assert issues(nl) == [(1, "draft", "drafts/001-weekly-reads.md")]


def test_german_newsletter_gets_german_title_slug_and_placeholders(tmp_path):
    root = init_newsletter(tmp_path / "brief", title="Wöchentliche Lektüre", language="de",
                           sender="Lektüre <post@example.org>")
    nl = open_newsletter(root, env={})
    try:
        pick(nl, "https://example.de/a", title="Über Muße", author="Erika Muster", site_name="Beispiel")
        r = assemble(nl)
    finally:
        nl.close()
    assert r.path.name == "001-woechentliche-lektuere.md"
    assert read_draft(r.path).title == "Wöchentliche Lektüre, Ausgabe 1"
    assert "<!-- Einleitung" in r.text and "<!-- dein Kommentar -->" in r.text
    assert "[Über Muße](https://example.de/a) – Erika Muster, Beispiel\n" in r.text


def test_without_picks_a_new_draft_is_still_created_and_an_open_one_left_alone(nl):
    r = assemble(nl)
    assert r.created and r.blocks == () and r.path.is_file()
    before = r.path.read_bytes()
    again = assemble(nl)
    assert (again.path, again.created, again.text) == (r.path, False, "")
    assert r.path.read_bytes() == before


# ---------------------------------------------------------------- append-only and idempotent


def test_running_twice_changes_nothing(nl):
    pick(nl, "https://example.org/a", quotes=["Quote."])
    first = assemble(nl)
    before = snapshot(nl.settings.drafts_dir)
    second = assemble(nl)
    assert second.blocks == () and second.placed == ()
    assert snapshot(nl.settings.drafts_dir) == before
    assert first.path.read_bytes() == before[first.path.name]


def test_author_edits_moves_and_deletions_stay_byte_for_byte(nl):
    a = pick(nl, "https://example.org/a", title="Alpha", quotes=["Alpha quote."])
    b = pick(nl, "https://example.org/b", title="Beta", quotes=["Beta quote."])
    c = pick(nl, "https://example.org/c", title="Gamma", quotes=["Gamma quote."])
    r = assemble(nl)
    text = r.path.read_text("utf-8")
    block_a, block_b, block_c = r.blocks
    # the author writes an intro and commentary, moves Gamma to the top, deletes Beta, and
    # leaves the file without a final newline
    edited = (text.replace("<!-- Intro: a few words on what this issue is about. -->", "This week: „slowness“.")
              .replace(block_b, "")
              .replace(block_c, "")
              .replace("<!-- your commentary -->", "I *loved* this.", 1))
    edited = edited.replace("This week: „slowness“.\n", "This week: „slowness“.\n\n" + block_c).rstrip("\n")
    write(r.path, edited)
    d = pick(nl, "https://example.org/d", title="Delta", quotes=["Delta quote."])

    r2 = assemble(nl)

    after = r2.path.read_text("utf-8")
    # inserted above the marker the new draft ended with, every other byte as the author left it
    marker = edited.index("<!-- linkletter:new-picks")
    assert r2.at == len(edited[:marker].encode()) and r2.text == r2.blocks[0] + "\n"
    assert after == edited[:marker] + r2.blocks[0] + "\n" + edited[marker:]
    assert r2.placed == (d,) and "Delta" in r2.blocks[0]
    assert after.count("https://example.org/b") == 0  # deleted, not re-added
    for url in ("https://example.org/a", "https://example.org/c", "https://example.org/d"):
        assert after.count(f"({url})") == 1
    assert issue_numbers(nl) == {a: 1, b: 1, c: 1, d: 1}

    before = r2.path.read_bytes()
    assert assemble(nl).blocks == ()
    assert r2.path.read_bytes() == before


@pytest.mark.parametrize("pasted", [
    "See [this](https://example.org/pasted) too.",
    "Bare: https://example.org/pasted.",
    "Tracking and slash: <https://www.example.org/pasted/?utm_source=x&utm_medium=y>",
    "A quote link: [here](https://example.org/pasted#:~:text=word)",
    "Canonical differs: https://example.org/pasted",
])
def test_link_pasted_by_hand_is_not_added_again(nl, pasted):
    first = assemble(nl)
    write(first.path, first.path.read_text("utf-8") + "\n" + pasted + "\n")
    url = "https://example.org/pasted?ref=feed" if pasted.startswith("Canonical") else "https://example.org/pasted"
    pasted_id = pick(nl, url, canonical="https://example.org/pasted", quotes=["Q."])
    other = pick(nl, "https://example.org/pasted-not", title="Other")
    before = first.path.read_bytes()

    r = assemble(nl)

    assert r.placed == (other,) and r.found == (pasted_id,)
    assert first.path.read_bytes() == before[:r.at] + (r.blocks[0] + "\n").encode() + before[r.at:]
    assert before[r.at:].startswith(b"<!-- linkletter:new-picks")
    assert issue_numbers(nl)[pasted_id] == 1  # recorded as placed in the draft that holds it


def test_a_longer_url_in_a_draft_does_not_count_as_the_picked_one(nl):
    first = assemble(nl)
    write(first.path, first.path.read_text("utf-8") + "\nhttps://example.org/page-two and "
                                                       "https://example.org/page?id=2\n")
    a = pick(nl, "https://example.org/page")
    assert assemble(nl).placed == (a,)


def test_link_already_in_a_sent_issue_is_recorded_there_not_added(nl):
    write(nl.settings.drafts_dir / "004-old.md",
          "---\nissue: 4\ntitle: Old\nstatus: sent\n---\nBack then: [x](https://example.org/again)\n")
    again = pick(nl, "https://example.org/again")
    r = assemble(nl)
    assert r.issue == 5 and r.placed == () and r.found == (again,)
    assert "example.org/again" not in r.path.read_text("utf-8")
    assert issue_numbers(nl)[again] == 4


def test_a_run_that_stopped_before_recording_does_not_duplicate(nl):
    a = pick(nl, "https://example.org/a(1)_b", title="Parens", quotes=["Q."])
    r = assemble(nl)
    assert "(https://example.org/a%281%29_b)" in r.text
    before = r.path.read_bytes()
    with nl.session() as s:  # as if the process died between writing the file and the database
        s.get(Link, a).issue_number = None

    r2 = assemble(nl)

    assert r2.placed == () and r2.found == (a,)
    assert r.path.read_bytes() == before
    assert issue_numbers(nl)[a] == 1


def test_crlf_draft_keeps_its_bytes_and_line_endings(nl):
    path = write(nl.settings.drafts_dir / "001-win.md",
                 "---\r\nissue: 1\r\ntitle: Win\r\nstatus: draft\r\n---\r\nIntro „hier“.\r\n")
    before = path.read_bytes()
    pick(nl, "https://example.org/a", quotes=["One.\n\nTwo."])
    r = assemble(nl)
    after = path.read_bytes()
    assert r.path == path and after.startswith(before)
    assert b"\n" not in after[len(before):].replace(b"\r\n", b"")
    assert after[len(before):] == ("\n" + r.blocks[0]).replace("\n", "\r\n").encode()


# ---------------------------------------------------------------- which draft, which number


def test_numbering_follows_the_highest_issue_in_drafts_including_sent(nl):
    folder = nl.settings.drafts_dir
    write(folder / "003-a.md", "---\nissue: 3\ntitle: A\nstatus: sent\n---\n")
    write(folder / "009-b.md", "---\nissue: 9\ntitle: B\nstatus: sent\n---\n")
    write(folder / "007-c.md", "---\nissue: 7\ntitle: C\nstatus: ready\n---\n")
    r = assemble(nl)
    assert (r.issue, r.path.name, r.created) == (10, "010-weekly-reads.md", True)


def test_numbering_follows_the_issues_table_too(nl):
    with nl.session() as s:
        s.add(Issue(number=12, slug="gone", title="Gone", status="sent"))
    write(nl.settings.drafts_dir / "002-a.md", "---\nissue: 2\ntitle: A\nstatus: sent\n---\n")
    assert assemble(nl).path.name == "013-weekly-reads.md"
    assert [n for n, _s, _p in issues(nl)] == [12, 13]


def test_picks_go_to_the_open_draft_not_a_new_one(nl):
    folder = nl.settings.drafts_dir
    write(folder / "005-sent.md", "---\nissue: 5\ntitle: S\nstatus: sent\n---\n")
    open_one = write(folder / "006-mine.md", "---\nissue: 6\ntitle: Mine\nstatus: draft\n---\nMy text.\n")
    write(folder / "007-later.md", "---\nissue: 7\ntitle: Later\nstatus: draft\n---\n")
    a = pick(nl, "https://example.org/a")
    r = assemble(nl)
    assert (r.path, r.issue, r.created, r.placed) == (open_one, 6, False, (a,))
    assert open_one.read_text("utf-8") == "---\nissue: 6\ntitle: Mine\nstatus: draft\n---\nMy text.\n\n" + r.blocks[0]
    assert issues(nl) == [(6, "draft", "drafts/006-mine.md")]


def test_a_draft_whose_issue_is_already_sent_gets_no_new_picks(nl):
    stale = write(nl.settings.drafts_dir / "002-x.md", "---\nissue: 2\ntitle: X\nstatus: draft\n---\n")
    with nl.session() as s:
        s.add(Issue(number=2, slug="x", title="X", status="sent"))
    pick(nl, "https://example.org/a")
    r = assemble(nl)
    assert r.issue == 3 and r.created
    assert stale.read_text("utf-8") == "---\nissue: 2\ntitle: X\nstatus: draft\n---\n"


# ---------------------------------------------------------------- hostile and typographic text


HOSTILE_TITLE = "Click](javascript:alert(1)) ![img](https://evil.example/x.png) <script>alert(2)</script> *em* `code` &amp; [^1]"
HOSTILE_QUOTE = """# Heading?
- a list?
+ another
1. ordered?
2) ordered too
<div onclick="x()">raw html</div>
    indented code?
> nested quote?
```
fence
```
a | b
--- | ---
===
Text with <img src=x onerror=alert(3)> and [a link](https://evil.example) and &copy;
[ref]: https://evil.example
\\ trailing backslash \\"""


def test_hostile_titles_and_quotes_stay_text(nl):
    pick(nl, "https://example.org/a", title=HOSTILE_TITLE, site_name="Site <b>bold</b>", author="*Eve*",
         quotes=[HOSTILE_QUOTE], note="My note with <em>html</em> and # hash")
    r = assemble(nl)
    block = r.blocks[0]
    html = rendered(block)

    links = [a for tag, a in html.tags if tag == "a"]
    assert links == [{"href": "https://example.org/a"}]
    assert {tag for tag, _ in html.tags} <= {"p", "a", "blockquote"}
    assert HOSTILE_TITLE in html.text
    assert "Site <b>bold</b>" in html.text and "*Eve*" in html.text
    for line in HOSTILE_QUOTE.splitlines():
        assert line.strip() in html.text, line
    assert "My note" not in html.text  # the author's note is a comment: never published
    # exactly the paragraph, the quote and the note; the quote is one blockquote
    assert [tag for tag, _ in html.tags].count("blockquote") == 1


@pytest.mark.parametrize("title", ["[", "]", "a]b", "a\\", "\\]", "x)(y", "<https://x.example>", "a\nb", "``"])
def test_no_title_can_break_the_link(nl, title):
    pick(nl, "https://example.org/t", title=title)
    html = rendered(assemble(nl).blocks[0])
    assert [a for tag, a in html.tags if tag == "a"] == [{"href": "https://example.org/t"}]
    assert " ".join(title.split()) in html.text


def test_german_typography_passes_through_unchanged(nl):
    title = "„Langsamkeit“ – ‚eine‘ Frage…\u00a0oder — nicht?"
    quote = "Er sagte: „Das ist\u00a0es.“\n\n‚Halbe‘ Anführungszeichen – Gedankenstrich — und…\u00a0mehr."
    pick(nl, "https://example.de/ä", title=title, site_name="Die Zeit\u00a0Online", author="Jörg Müßig",
         quotes=[quote])
    r = assemble(nl)
    raw = r.path.read_bytes().decode("utf-8")
    assert f"[{title}](https://example.de/ä) — Jörg Müßig, Die Zeit\u00a0Online\n" in raw
    assert "> Er sagte: „Das ist\u00a0es.“\n>\n> ‚Halbe‘ Anführungszeichen – Gedankenstrich — und…\u00a0mehr.\n" in raw
    assert title in rendered(raw.split("---\n", 2)[2]).text


def test_url_key_ignores_only_what_does_not_change_the_page():
    same = ["https://example.org/a/b/", "http://www.example.org/a/b", "https://example.org/a/b?utm_source=x#frag",
            "https://EXAMPLE.org:443/a/%62"]
    assert len({url_key(u) for u in same}) == 1
    assert url_key("https://example.org/a/b?page=2") != url_key("https://example.org/a/b")
    assert url_key("https://example.org/a/bc") != url_key("https://example.org/a/b")


# ---------------------------------------------------------------- the real command


def test_cli_draft_appends_and_says_where(nl, nl_dir, cli):
    a = pick(nl, "https://example.org/a", title="Alpha")
    proc = cli("--dir", str(nl_dir), "draft")
    assert proc.stdout == "Created drafts/001-weekly-reads.md (issue 1) with 1 new link.\n"
    assert "[Alpha](https://example.org/a)" in (nl_dir / "drafts/001-weekly-reads.md").read_text("utf-8")
    assert issue_numbers(nl)[a] == 1
    proc = cli("--dir", str(nl_dir), "draft")
    assert proc.stdout == "No new picks; the open draft is drafts/001-weekly-reads.md (issue 1).\n"


def test_cli_print_writes_nothing(nl, nl_dir, cli):
    assemble(nl)
    a = pick(nl, "https://example.org/a", title="Alpha", quotes=["Q."])
    before_files = snapshot(nl.settings.drafts_dir)
    before_issues = issues(nl)

    proc = cli("--dir", str(nl_dir), "draft", "--print")

    assert snapshot(nl.settings.drafts_dir) == before_files
    assert issue_numbers(nl)[a] is None and issues(nl) == before_issues
    assert "Would append 1 new link to drafts/001-weekly-reads.md" in proc.stderr
    r = assemble(nl)  # what is then really appended is what --print showed
    assert proc.stdout == r.text and r.placed == (a,)


def test_cli_print_of_a_new_draft_creates_no_file(nl, nl_dir, cli):
    pick(nl, "https://example.org/a", title="Alpha")
    proc = cli("--dir", str(nl_dir), "draft", "--print")
    assert proc.stdout.startswith("---\nissue: 1\n") and "[Alpha](https://example.org/a)" in proc.stdout
    assert list(nl.settings.drafts_dir.iterdir()) == [] and issues(nl) == []


@pytest.mark.parametrize("name, text, line, words", [
    ("002-x.md", "---\nissue: 2\ntitle: [oops\n---\n", 4, "not valid YAML"),
    ("002-x.md", "---\nissue: 2\ntitle: X\nstatus: finished\n---\n", 4, "unknown status 'finished'"),
    ("002-x.md", "---\nissue: 2\ntitle: X\n", 1, "never closed"),
    ("009-dup.md", "---\ntitle: Dup\nissue: 1\nstatus: draft\n---\n", 3, "issue 1 is already used by 001-ok.md"),
])
def test_cli_broken_draft_is_an_error_with_file_and_line_and_nothing_is_written(nl, nl_dir, cli, name, text, line, words):
    folder = nl.settings.drafts_dir
    write(folder / "001-ok.md", "---\nissue: 1\ntitle: OK\nstatus: draft\n---\nMine.\n")
    bad = write(folder / name, text)
    a = pick(nl, "https://example.org/a")
    before = snapshot(folder)

    proc = cli("--dir", str(nl_dir), "draft", check=False)

    assert proc.returncode == 1
    assert re.search(rf"Error: {re.escape(str(bad))}:{line}: .*{re.escape(words)}", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(folder) == before
    assert issue_numbers(nl)[a] is None and issues(nl) == []


def test_pasted_url_with_brackets_counts_as_placed(nl):
    first = assemble(nl)
    write(first.path, first.path.read_text("utf-8") + "\nSee https://example.org/q?a[]=1&b=[x] here.\n")
    a = pick(nl, "https://example.org/q?a[]=1&b=[x]")
    r = assemble(nl)
    assert (r.placed, r.found) == ((), (a,))


def test_a_link_that_is_not_http_is_shown_as_text_only(nl):
    pick(nl, "javascript:alert(1)", title="1. Click me")
    html = rendered(assemble(nl).blocks[0])
    assert {tag for tag, _ in html.tags} == {"p"}
    assert "1. Click me javascript:alert(1)" in html.text


def test_the_authors_notes_are_comments_and_the_placeholder_stays(nl):
    pick(nl, "https://example.org/n", title="Noted", note="Why I picked it.",
         quotes=[("Passage.", "https://example.org/n")])
    block = assemble(nl).blocks[0]
    assert block == ("[Noted](https://example.org/n)\n\n> Passage.\n\n<!-- note: Why I picked it. -->\n\n"
                     "<!-- your commentary -->\n")


def test_print_records_nothing_for_links_pasted_by_hand(nl):
    first = assemble(nl)
    write(first.path, first.path.read_text("utf-8") + "\nhttps://example.org/p\n")
    a = pick(nl, "https://example.org/p")
    r = assemble(nl, write=False)
    assert (r.found, r.written, r.text) == ((a,), False, "")
    assert issue_numbers(nl)[a] is None


def test_concurrent_runs_place_each_pick_once(nl, nl_dir):
    import threading

    ids = [pick(nl, f"https://example.org/c/{i}", title=f"C{i}") for i in range(40)]
    results, errors = [], []

    def run():
        other = open_newsletter(nl_dir, env={})
        try:
            results.append(assemble(other))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            other.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    text = (nl.settings.drafts_dir / "001-weekly-reads.md").read_text("utf-8")
    assert all(text.count(f"(https://example.org/c/{i})") == 1 for i in range(40))
    assert sorted(i for r in results for i in r.placed) == ids
    assert [r.created for r in results].count(True) == 1


def test_a_follow_up_for_a_hostile_link_stays_a_comment_and_text(nl):
    """The comment naming the link carries its (outside) title: nothing in it can end the
    comment and let markup through; the quote is escaped like any other."""
    from pipeline.collect import add_quote
    from pipeline.render.markdown import parse, to_html

    title = "x --> <script>alert(1)</script> --!> <!-- y"
    a = pick(nl, "https://example.org/h", title=title, quotes=["First."])
    assemble(nl)
    add_quote(nl, a, HOSTILE_QUOTE, note="mine --> <b>visible?</b>")
    r = assemble(nl)
    (block,) = r.blocks
    assert block.startswith("<!-- new quote for link #") and block.count("-->") == 2  # its comment and the note's
    html = to_html(parse(block))
    assert "<script" not in html and "visible?" not in html and "alert(1)" not in html.split("<blockquote")[0]
    assert "Heading?" in html and "<blockquote" in html
