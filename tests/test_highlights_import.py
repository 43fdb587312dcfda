"""Highlight files imported as links with quotes and notes: Readwise CSV (export and import
template), Instapaper CSV and Kindle's My Clippings.txt in English and German, from real-format
fixtures (byte-order marks, Windows line ends, quoted commas and line breaks); broken rows are
reported by line and nothing is half-written; everything dedups with what is already there."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.collect import add_link, list_links
from pipeline.collect.fragments import text_fragment_url
from pipeline.collect.highlights.api import book_url
from pipeline.collect.urls import canonicalize
from pipeline.collect.highlights.files import ImportFileError, detect, import_highlights, read_text
from pipeline.collect.highlights.kindle import parse_date

from tests.fixtures.collect.stored import links_by_canonical, quotes_of

FIX = Path(__file__).resolve().parent / "fixtures" / "highlights"
HOBBIT = "https://openlibrary.org/search?title=The%20Hobbit&author=J.%20R.%20R.%20Tolkien"
GEB = canonicalize(book_url("Gödel, Escher, Bach: an Eternal Golden Braid", "Hofstadter, Douglas R."))


_links, _quotes = links_by_canonical, quotes_of


def test_readwise_csv_export_keeps_quotes_notes_and_order(nl):
    report = import_highlights(nl, FIX / "readwise-export.csv")
    assert (report.format, report.entries, report.new_links, report.new_quotes, report.skipped) == (
        "readwise", 4, 2, 4, 1)
    links = _links(nl)
    hobbit = links[HOBBIT]
    assert (hobbit.title, hobbit.author, hobbit.state) == ("The Hobbit", "J. R. R. Tolkien", "inbox")
    quotes = _quotes(nl, hobbit.id)
    assert [q.text for q in quotes] == [  # by location: 90, 180, 181
        'Map of the "Lonely Mountain"',
        "In a hole in the ground there lived a hobbit.",
        "Not a nasty, dirty, wet hole, filled with the ends of worms and an oozy smell, nor yet a dry, bare, "
        "sandy hole.",
    ]
    assert [q.note for q in quotes] == [None, "the opening line", "two lines, one passage"]
    assert quotes[0].highlighted_at.isoformat() == "2025-03-03T10:05:00+00:00"  # "March 3, 2025 10:05 AM"
    assert quotes[1].highlighted_at.isoformat() == "2025-03-03T10:02:11+00:00"
    assert all(q.origin == "highlight" for q in quotes)
    geb = links[canonicalize(book_url("Gödel, Escher, Bach", "Douglas R. Hofstadter"))]
    assert geb.title == "Gödel, Escher, Bach"


def test_readwise_import_template_links_its_urls(nl):
    import_highlights(nl, FIX / "readwise-template.csv")
    [link] = list_links(nl)
    assert link.url == "https://example.org/marginalia"  # tracking parameters stripped
    [quote] = _quotes(nl, link.id)
    assert (quote.text, quote.note) == ("The margin is where the reader answers back.", "for the intro, maybe")


def test_instapaper_csv_pages_with_their_selections(nl):
    report = import_highlights(nl, FIX / "instapaper.csv", pick=True)
    assert (report.format, report.new_links, report.new_quotes) == ("instapaper", 3, 2)
    links = _links(nl)
    long_read = links["https://example.net/long-read"]
    assert long_read.title == "The long read, reconsidered" and long_read.state == "picked"
    [quote] = _quotes(nl, long_read.id)
    assert quote.text == 'He said: "read slowly", and left.'
    assert quote.highlighted_at.isoformat() == "2025-11-28T08:00:00+00:00"  # Unix time 1764316800
    assert _quotes(nl, links["https://example.com/no-selection"].id) == []


def test_kindle_clippings_in_english(nl):
    report = import_highlights(nl, FIX / "My Clippings.txt")
    assert report.format == "kindle"
    links = _links(nl)
    hobbit = links[HOBBIT]
    assert (hobbit.title, hobbit.author) == ("The Hobbit", "J. R. R. Tolkien")  # no BOM left in the title
    quotes = _quotes(nl, hobbit.id)
    assert [(q.text, q.note) for q in quotes] == [
        ("Map of the Lonely Mountain", None),  # location 44 comes first
        ("In a hole in the ground there lived a hobbit.", "the opening line"),  # the note at its last location
    ]
    assert quotes[1].highlighted_at.isoformat() == "2025-03-03T10:02:11+00:00"
    geb = links[GEB]
    [q] = _quotes(nl, geb.id)  # the clipping-limit message is no quote
    assert q.text == "Meaning lies as much in the mind of the reader as in the Haiku."
    assert q.highlighted_at.isoformat() == "2025-03-04T21:15:42+00:00"  # 9:15:42 PM
    # a note at no highlight is the book's note; bookmarks and the limit message are skipped
    anon = links["https://openlibrary.org/search?title=Notes%20without%20a%20highlight&author=Anon"]
    assert anon.note == "A thought of my own." and _quotes(nl, anon.id) == []
    assert report.skipped == 2


def test_kindle_clippings_in_german(nl):
    import_highlights(nl, FIX / "My Clippings de.txt")
    [book] = list_links(nl)
    assert (book.title, book.author) == ("Der Hobbit", "Tolkien, J.R.R.")
    quotes = _quotes(nl, book.id)
    assert [(q.text, q.note) for q in quotes] == [
        ("Beutlin von Beutelsend", None),
        ("In einer Höhle in der Erde, da lebte ein Hobbit.", "der erste Satz"),
    ]
    assert quotes[0].highlighted_at.isoformat() == "2025-03-02T21:47:05+00:00"


@pytest.mark.parametrize("text,expected", [
    ("Monday, 3 March 2025 10:02:11", "2025-03-03T10:02:11"),
    ("Monday, March 3, 2025 10:02:11 PM", "2025-03-03T22:02:11"),
    ("Wednesday, March 5, 2025, 12:30 AM", "2025-03-05T00:30:00"),
    ("Montag, 3. März 2025 10:02:11", "2025-03-03T10:02:11"),
    ("lundi 3 mars 2025 10:02:11", "2025-03-03T10:02:11"),
    ("lunes, 3 de marzo de 2025 10:02:11", "2025-03-03T10:02:11"),
])
def test_kindle_dates_in_the_devices_languages(text, expected):
    assert parse_date(text).isoformat() == expected + "+00:00"


def test_a_kindle_note_is_not_a_date_in_another_month():
    assert parse_date("someday") is None and parse_date("Monday, 31 February 2025 10:00:00") is None


def test_importing_twice_adds_nothing(nl):
    import_highlights(nl, FIX / "My Clippings.txt")
    again = import_highlights(nl, FIX / "My Clippings.txt")
    assert (again.new_links, again.new_quotes) == (0, 0)


def test_the_same_book_from_kindle_and_readwise_is_one_link_with_each_passage_once(nl):
    import_highlights(nl, FIX / "My Clippings.txt")
    report = import_highlights(nl, FIX / "readwise-export.csv")
    assert HOBBIT in _links(nl) and report.new_links == 1  # only Gödel, Escher, Bach (titled otherwise) is new
    texts = [q.text for q in _quotes(nl, _links(nl)[HOBBIT].id)]
    assert texts.count("In a hole in the ground there lived a hobbit.") == 1
    assert len(texts) == 4  # Kindle's two, and Readwise's "Lonely Mountain" and "nasty, dirty, wet hole"


def test_a_page_added_by_hand_and_imported_from_instapaper_is_one_link(nl):
    add_link(nl, "https://example.org/marginalia?utm_source=x", quotes=["The margin is where the reader answers back."],
             fetch=False)
    report = import_highlights(nl, FIX / "instapaper.csv")
    assert report.new_links == 2 and report.new_quotes == 1  # the marginalia passage was there
    [link] = [lk for lk in list_links(nl) if lk.canonical_url == "https://example.org/marginalia"]
    assert link.state == "picked"  # what the author picked stays picked
    assert len(_quotes(nl, link.id)) == 1


def test_broken_rows_are_reported_by_line_and_nothing_is_written(nl):
    with pytest.raises(ImportFileError) as e:
        import_highlights(nl, FIX / "broken-readwise.csv")
    message = str(e.value)
    assert "2 broken row(s), nothing imported" in message
    assert f"{FIX / 'broken-readwise.csv'}:3: 1 cell(s) more than the header names" in message
    assert f"{FIX / 'broken-readwise.csv'}:4: not a web address: 'javascript:alert(1)'" in message
    assert list_links(nl) == []
    report = import_highlights(nl, FIX / "broken-readwise.csv", skip_broken=True)
    assert report.new_quotes == 2 and len(report.errors) == 2
    assert [lk.url for lk in list_links(nl)] == ["https://example.org/good"]


def test_a_broken_clipping_is_reported_with_its_line(nl):
    with pytest.raises(ImportFileError, match=r"broken-clippings.txt:6: no '- Your Highlight on"):
        import_highlights(nl, FIX / "broken-clippings.txt")
    assert list_links(nl) == []


def test_files_that_are_none_of_the_formats(nl, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("just some notes\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="cannot tell what this file is; say --from readwise"):
        import_highlights(nl, other)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("URL,Title,Selection,Folder,Timestamp\nhttps://example.org/,Caf\xe9,,,\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match=r"latin1.csv:2: not UTF-8 text"):
        import_highlights(nl, latin)
    with pytest.raises(ImportFileError, match="cannot read it"):
        import_highlights(nl, tmp_path / "missing.csv")


def test_formats_are_told_by_header_or_content():
    assert detect(read_text(FIX / "readwise-export.csv")) == "readwise"
    assert detect(read_text(FIX / "readwise-template.csv")) == "readwise"
    assert detect(read_text(FIX / "instapaper.csv")) == "instapaper"
    assert detect(read_text(FIX / "My Clippings de.txt")) == "kindle"


def test_the_import_command(nl_dir, cli):
    out = cli("--dir", str(nl_dir), "import", str(FIX / "My Clippings.txt"), "--pick")
    assert "(kindle): 3 entries, 3 new link(s), 3 new quote(s); 2 without text" in out.stdout
    bad = cli("--dir", str(nl_dir), "import", str(FIX / "broken-readwise.csv"), check=False)
    assert bad.returncode == 1 and "broken-readwise.csv:3:" in bad.stderr and "Traceback" not in bad.stderr
    some = cli("--dir", str(nl_dir), "import", str(FIX / "broken-readwise.csv"), "--skip-broken")
    assert "broken-readwise.csv:4: not a web address" in some.stderr and "2 new quote(s)" in some.stdout
    forced = cli("--dir", str(nl_dir), "import", str(FIX / "instapaper.csv"), "--from", "instapaper")
    assert "(instapaper)" in forced.stdout


@pytest.mark.parametrize("selection,prefix,suffix,expected", [
    ("short passage", None, None, "short%20passage"),
    ("short passage", "artial words before ", " after this word and mo", "words%20before-,short%20passage,-after%20this%20word"),
    ("one two three four five six seven eight nine", None, None, "one%20two%20three%20four,six%20seven%20eight%20nine"),
    ("a-b, c&d", "", "", "a%2Db%2C%20c%26d"),
])
def test_text_fragments_use_whole_words_of_context(selection, prefix, suffix, expected):
    url = text_fragment_url("https://example.org/p#old", selection, prefix=prefix, suffix=suffix)
    assert url == f"https://example.org/p#:~:text={expected}"


def test_a_file_that_stops_being_csv_is_refused_at_that_line(nl, tmp_path):
    bad = tmp_path / "export.csv"
    bad.write_text("Highlight,Title,Author,URL\nfine,Page,,https://example.org/a\n\"" + "x" * 200_000 + "\",Page,,"
                   "https://example.org/b\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"export.csv:3: not readable as CSV from here on"):
        import_highlights(nl, bad)
    assert list_links(nl) == []
