"""The plain text part and the line-break rule (issue 14: items 6, 12-15, 18): a golden file
of a German issue with footnotes, emphasis, two tables (one too wide), spaced guillemets, a
poem and a sign-off; the same line breaks in email, page, feeds and text; the summary.

Regenerate the golden after an intended change (and review the diff):

    LINKLETTER_UPDATE_GOLDEN=1 python -m pytest tests/test_render_text.py
"""

from __future__ import annotations

import re
import shutil

import feedparser
import pytest

from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.render.email import render_issue
from pipeline.render.markdown import parse, render_html
from pipeline.render.plaintext import to_text
from pipeline.render.site import build_site
from pipeline.render.summary import first_sentence, summary_of
from pipeline.render.texttable import display_width, render_table
from pipeline.render.wrapping import wrap
from tests.test_render_golden import FIXTURES, check_golden

LABELS = {"notes": "Notes", "image": "Image"}
DRAFT = "014-klartext.md"


@pytest.fixture
def nl_de(tmp_path):
    root = init_newsletter(tmp_path / "de", title="Wochenlese", language="de", author="Die Redaktion",
                           sender="Wochenlese <post@example.org>", base_url="https://news.example.org")
    shutil.copyfile(FIXTURES / "drafts" / DRAFT, root / "drafts" / DRAFT)
    nl = open_newsletter(root, env={})
    yield nl
    nl.close()


def text(md: str) -> str:
    return to_text(parse(md), LABELS).body


def test_golden_plain_text_of_footnotes_emphasis_tables_guillemets_and_sign_off(nl_de):
    r = render_issue(nl_de, nl_de.settings.drafts_dir / DRAFT)
    check_golden("014-klartext.email.txt", r.text)
    body = r.text.split("\n-- \n")[0]
    assert "[^" not in body and "¹" in body and "\n¹ Die erste Anmerkung" in body
    assert "*wichtig*" in body and "_nur betont_" in body and "*sehr wichtig*" in body
    assert "Herzlich,\nIhre Redaktion der Wochenlese\nPostfach 12 34\n37073 Göttingen" in body
    for line in body.split("\n"):
        assert len(line) <= 72 or " " not in line.strip(), line
        assert not re.search(r"(^|\s)[„«‹‚]$", line), f"a line ends with an opening mark: {line!r}"
        assert not re.match(r"^\s*[»“›]($|\s)", line), f"a line starts with a closing mark: {line!r}"


def test_the_same_line_breaks_in_email_page_feeds_and_text(nl_de):
    r = render_issue(nl_de, nl_de.settings.drafts_dir / DRAFT)
    site = build_site(nl_de)
    page = (site / "issues" / "14.html").read_text("utf-8")
    rss = feedparser.parse((site / "feed.xml").read_bytes()).entries[0].content[0].value
    atom = feedparser.parse((site / "atom.xml").read_bytes()).entries[0].content[0].value
    sign_off = re.compile(r"Herzlich,<br\s*/?>\s*Ihre Redaktion der Wochenlese<br\s*/?>\s*Postfach 12 34<br\s*/?>\s*"
                          r"37073 Göttingen</p>")
    for name, html in (("page", page), ("rss", rss), ("atom", atom)):
        assert sign_off.search(html), name
    assert re.search(r"Herzlich,<br\s*/?>\s*Ihre Redaktion der Wochenlese<br\s*/?>", r.html)
    assert "Der Zug steht still vor Göttingen,<br>" in page  # a poem in a quote too
    assert "> Der Zug steht still vor Göttingen,\n> die Tauben" in r.text


def test_a_typed_newline_is_a_line_break_and_a_blank_line_a_paragraph():
    assert render_html("Herzlich,\nIhre Redaktion") == "<p>Herzlich,<br>\nIhre Redaktion</p>"
    assert render_html("Eins.\n\nZwei.") == "<p>Eins.</p>\n<p>Zwei.</p>"
    assert text("Herzlich,\nIhre Redaktion") == "Herzlich,\nIhre Redaktion"
    assert text("- Punkt eins\n  geht weiter") == "- Punkt eins\n  geht weiter"


def test_emphasis_keeps_the_mark_the_author_typed():
    assert text("Ich las nicht *für* etwas, sondern _einfach so_ und **ganz**.") == \
        "Ich las nicht *für* etwas, sondern _einfach so_ und *ganz*."


def test_footnotes_are_numbered_notes_and_never_look_like_link_numbers():
    t = to_text(parse("Eins[^a], [Link](https://x.example), zwei[^b], eins[^a].\n\n[^a]: A.\n[^b]: B."), LABELS)
    assert t.body == "Eins¹, Link [1], zwei², eins¹.\n\nNotes:\n\n¹ A.\n² B."
    assert t.links == ["https://x.example"]
    many = "".join(f"w[^{i}] " for i in range(1, 13)) + "\n\n" + "\n".join(f"[^{i}]: N{i}." for i in range(1, 13))
    assert "w¹¹ w¹²\n" in text(many) and "\n¹² N12." in text(many)


def test_tables_align_their_columns_under_a_header_rule():
    t = text("| Name | Zahl | Mitte |\n|:--|--:|:-:|\n| Apfel | 3 | x |\n| Birne | 120 | yy |")
    assert t == ("Name   Zahl  Mitte\n"
                 "-----  ----  -----\n"
                 "Apfel     3    x\n"
                 "Birne   120   yy")


def test_a_table_too_wide_becomes_a_list_of_header_value_lines():
    head = ["Spalte eins", "Spalte zwei"]
    rows = [["a" * 40, "b" * 40]]
    assert render_table(head, rows, ["none", "none"], 72) == f"Spalte eins: {'a' * 40}\nSpalte zwei: {'b' * 40}"
    assert render_table(head, rows, ["none", "none"], 200).split("\n")[1] == "-" * 40 + "  " + "-" * 40


def test_wide_characters_count_twice_in_a_table():
    assert display_width("日本") == 4 and display_width("e\u0301") == 1
    t = render_table(["A", "B"], [["日本", "x"], ["ab", "y"]], ["none", "none"], 72)
    assert t.split("\n")[2] == "日本  x" and t.split("\n")[3] == "ab    y"


@pytest.mark.parametrize("width", range(20, 73))
def test_the_wrapper_never_breaks_inside_spaced_quotation_marks(width):
    line = "Lüthis Antwort: « Non. Elles écrivent deux livres, moi j’en vis un. » – und „ Ja “ sagt sie."
    out = wrap(line, width).split("\n")
    assert " ".join(out) == line  # nothing lost, nothing added
    for ln in out:
        assert not re.search(r"(^|\s)[„«]$", ln), (width, out)
        assert not re.match(r"^[»“]($|[\s.,])", ln), (width, out)


def test_the_wrapper_glues_an_opening_mark_to_its_word():
    assert wrap("aaaa bbbb cccc: « Non", 20) == "aaaa bbbb cccc:\n« Non"
    assert wrap("aaaa bbbb cccc ddd »,", 20) == "aaaa bbbb cccc\nddd »,"
    assert wrap("Er sagt »Hallo« und geht.", 20) == "Er sagt »Hallo« und\ngeht."


SUMMARY_CASES = [
    ("Hallo zusammen,\n\ndiese Woche geht es ums Warten. Und mehr.", "Diese Woche geht es ums Warten."),
    ("Liebe Leserinnen und Leser,\ndiese Woche war eine Woche des Wartens.", "Diese Woche war eine Woche des Wartens."),
    ("Hello again. This week: small tools that do one thing well.", "This week: small tools that do one thing well."),
    ("Titel\n=====\n\n> Ein Zitat zuerst.\n\nAb dem 1. Dezember erscheint sie *freitags* [2]. Dann mehr.",
     "Ab dem 1. Dezember erscheint sie freitags."),
    ("Ein Satz mit Fußnote¹ und Dr. Müller, der spricht. Zweiter Satz.\n\nNotes:\n\n¹ Die Note.",
     "Ein Satz mit Fußnote und Dr. Müller, der spricht."),
    ("Die Wohnung hat 40 m² und zwei Fenster¹. Mehr nicht.\n\nNotes:\n\n¹ Die Note.",
     "Die Wohnung hat 40 m² und zwei Fenster."),
    ("", ""),
]


@pytest.mark.parametrize("plain, expected", SUMMARY_CASES)
def test_the_summary_is_the_first_sentence_of_substance(plain, expected):
    assert first_sentence(plain) == expected


def test_the_authors_summary_comes_first_then_the_preheader():
    assert summary_of("Selbst gesagt.", "Vorschau", "Hallo,\n\nText.") == "Selbst gesagt."
    assert summary_of(None, "Vorschau", "Hallo,\n\nText hier drin.") == "Vorschau"
    assert summary_of(None, None, "Hallo,\n\nText hier drin.") == "Text hier drin."
    long = "Wort " * 80
    assert len(first_sentence(long)) <= 200 and first_sentence(long).endswith("…")


def test_the_archive_index_feeds_and_page_use_the_summary(nl_de):
    drafts = nl_de.settings.drafts_dir
    site = build_site(nl_de)
    expected = "Diese Ausgabe prüft, was vom Text übrig bleibt, wenn eine E-Mail ohne HTML gelesen wird."
    index = (site / "index.html").read_text("utf-8")
    assert f'<p class="summary">{expected}</p>' in index and "Hallo zusammen" not in index
    assert f'<meta name="description" content="{expected}">' in (site / "issues" / "14.html").read_text("utf-8")
    assert feedparser.parse((site / "feed.xml").read_bytes()).entries[0].summary == expected
    assert feedparser.parse((site / "atom.xml").read_bytes()).entries[0].summary == expected

    path = drafts / DRAFT
    path.write_text(path.read_text("utf-8").replace("status: sent\n", "status: sent\nsummary: \"Was übrig bleibt.\"\n"),
                    "utf-8")
    site = build_site(nl_de)
    assert '<p class="summary">Was übrig bleibt.</p>' in (site / "index.html").read_text("utf-8")
    assert feedparser.parse((site / "feed.xml").read_bytes()).entries[0].summary == "Was übrig bleibt."


def test_a_summary_that_is_not_one_line_of_text_is_an_error_with_its_line(nl_de):
    from pipeline.draft.format import read_draft
    from pipeline.errors import DraftError

    path = nl_de.settings.drafts_dir / DRAFT
    path.write_text(path.read_text("utf-8").replace("status: sent\n", "status: sent\nsummary: [eins, zwei]\n"), "utf-8")
    with pytest.raises(DraftError) as e:
        read_draft(path)
    assert e.value.line == 5 and "'summary' must be text" in str(e.value)


def test_a_hostile_summary_is_text_in_the_index_page_and_feeds(nl_de):
    path = nl_de.settings.drafts_dir / DRAFT
    hostile = '<script>alert(1)</script> \\" onload=x & <b>fett</b>'
    path.write_text(path.read_text("utf-8").replace("status: sent\n", f'status: sent\nsummary: "{hostile}"\n'), "utf-8")
    site = build_site(nl_de)
    index = (site / "index.html").read_text("utf-8")
    page = (site / "issues" / "14.html").read_text("utf-8")
    for html in (index, page):
        assert "<script>alert" not in html and "<b>fett" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<meta name="description" content="&lt;script&gt;alert(1)&lt;/script&gt; &#34; onload=x' in page
    # RSS readers take <description> as HTML: the summary is escaped for it, so they show the text
    rss = feedparser.parse((site / "feed.xml").read_bytes())
    assert rss.bozo == 0 and rss.entries[0].summary_detail.type == "text/html"
    assert rss.entries[0].summary.startswith("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "&lt;b&gt;fett&lt;/b&gt;" in rss.entries[0].summary
    # Atom's <summary> is text (no type attribute): escaped once, read back as the very text
    atom = feedparser.parse((site / "atom.xml").read_bytes())
    assert atom.bozo == 0 and atom.entries[0].summary_detail.type == "text/plain"
    assert atom.entries[0].summary == '<script>alert(1)</script> " onload=x & <b>fett</b>'
