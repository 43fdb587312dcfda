"""Quote matching: normalization, ellipses, closest passages; and quotes checked against the
main text stored at collect time (no network)."""

from __future__ import annotations

import pytest

from pipeline.check import check_draft
from pipeline.render.cites import parse_body
from pipeline.check.quotes import SourceText, closest_passage, normalize, split_parts, split_quote
from pipeline.models import Link
from tests.fixtures.check.site import draft_text, write_draft

STORED = ("Nachts, wenn die letzten Leser gegangen sind, gehört die Biblio\u00adthek den Büchern.\n\n"
          "Die Biblio\u00adthekarin erzählt, dass sie in 27\u00a0Jahren nie ein Buch verloren habe \u2013 wohl aber "
          "3\u00a0Leser, die über der Lektüre die Schließ\u00adzeit vergessen hatten.\n\n"
          "»Eine Signatur ist ein Versprechen«, sagt sie: dass man das Buch morgen am selben Platz "
          "wieder\u00adfindet. Wer’s nicht glaubt, soll es ausprobieren.")


@pytest.mark.parametrize("quote, source", [
    ("„Ein ‚wartender‘ Garten“", '"Ein \'wartender\' Garten"'),
    ("Ein Garten im Winter", "ein Garten\n  im\tWinter"),
    ("Bibliothek", "Biblio\u00adthek"),
    ("27 Jahren", "27\u00a0Jahren"),
    ("habe – wohl", "habe - wohl"),
    ("habe—wohl", "habe -- wohl"),
    ("»Zitat«", "«Zitat»"),
    ("Wer’s", "Wer's"),
    ("STRASSE", "Straße"),
])
def test_normalize_removes_typography_only(quote, source):
    assert normalize(quote) == normalize(source)


@pytest.mark.parametrize("quote, other", [
    ("ein wartender Garten", "ein leerer Garten"),
    ("27 Jahren", "28 Jahren"),
    ("nie verloren", "nie gefunden"),
])
def test_normalize_keeps_words(quote, other):
    assert normalize(quote) != normalize(other)


def test_ellipsis_forms_split_a_quote_into_parts():
    assert split_parts("Eins zwei … drei vier") == ["eins zwei", "drei vier"]
    assert split_parts("Eins zwei ... drei [...] vier […] fünf (…) sechs") == ["eins zwei", "drei", "vier", "fünf", "sechs"]
    assert split_parts("„Eins zwei.“") == ["eins zwei"]
    assert split_parts(" … ") == []
    assert split_quote("„Eins, zwei … drei.“") == [("Eins, zwei", "eins, zwei"), ("drei", "drei")]


def test_parts_must_appear_in_order_and_as_whole_words():
    src = SourceText(STORED)
    assert src.find("Nachts, wenn die letzten Leser … die Schließzeit vergessen hatten")[0]
    verified, missing, _parts = src.find("die Schließzeit vergessen hatten … Nachts, wenn die letzten Leser")
    assert not verified and missing == 1
    assert not src.find("Leser gegangen sin")[0]  # "sin" is not the word "sind"


def test_closest_passage_is_the_sources_own_wording():
    src = SourceText(STORED)
    verified, missing, parts = src.find("dass sie in 27 Jahren nie ein Buch vergessen habe")
    assert not verified
    passage = closest_passage(parts[missing], src)
    assert passage.text == "dass sie in 27\u00a0Jahren nie ein Buch verloren habe".replace("\u00a0", " ")
    assert 0.8 < passage.similarity < 1


def test_closest_passage_of_an_empty_source_is_none():
    assert closest_passage("irgendwas", SourceText("")) is None


def test_blockquotes_attribution_and_nearest_link():
    body = ("Intro [Erster Artikel](https://a.example/1) text.\n\n"
            "> Ein Zitat\n> über zwei Zeilen\n\n"
            "[Zweiter](https://b.example/2)\n\n"
            "> Noch ein Zitat\n>\n> — [Quelle](https://c.example/3#:~:text=Noch)\n\n"
            "> Ein \\# escaptes Zitat\n")
    doc = parse_body(body, body_line=6)
    assert [(q.text, q.source_url, q.line) for q in doc.quotes] == [
        ("Ein Zitat über zwei Zeilen", "https://a.example/1", 8),
        ("Noch ein Zitat", "https://c.example/3#:~:text=Noch", 13),
        ("Ein # escaptes Zitat", "https://c.example/3#:~:text=Noch", 17),
    ]
    assert [link.line for link in doc.links] == [6, 11, 15]


def _stored(nl, url, text, **extra):
    with nl.session() as s:
        s.add(Link(url=url, canonical_url=url, main_text=text, fetch_status="ok", **extra))


def test_quotes_checked_against_stored_text_without_network(nl, nl_dir):
    url = "http://127.0.0.1:9/bibliothek"  # nothing listens there: the stored text must do
    _stored(nl, url, STORED, title="Die Bibliothek bei Nacht")
    body = (f"## [Die Bibliothek bei Nacht]({url})\n\n"
            "> Die Bibliothekarin erzählt, dass sie in 27 Jahren nie ein Buch verloren habe - wohl aber\n"
            "> 3 Leser, die über der Lektüre die Schließzeit vergessen hatten.\n\n"
            "> „Eine Signatur ist ein Versprechen“, sagt sie … Wer's nicht glaubt, soll es ausprobieren.\n\n"
            "> Eine Signatur ist eine Drohung.\n")
    report = check_draft(nl, write_draft(nl_dir, "007-x.md", draft_text(body)), fetch=False)
    assert [q.verdict for q in report.quotes] == ["verified", "verified", "not_found"]
    assert {q.source_origin for q in report.quotes} == {"stored"}
    bad = report.quotes[2]
    assert bad.closest_passage == "»Eine Signatur ist ein Versprechen«, sagt"
    assert [f.code for f in report.errors] == ["quote-not-found"]
    assert report.errors[0].line == 14  # front matter: 6 lines; the body starts on line 7
    assert report.error_messages() == [f"007-x.md:14: quote not found in the stored text of {url}"]


def test_quote_found_through_canonical_url(nl, nl_dir):
    _stored(nl, "https://example.org/bibliothek", STORED)
    body = ("[Artikel](https://EXAMPLE.org/bibliothek?utm_source=feed)\n\n"
            "> Nachts, wenn die letzten Leser gegangen sind\n")
    report = check_draft(nl, write_draft(nl_dir, "007-x.md", draft_text(body)), fetch=False)
    assert report.quotes[0].verdict == "verified"
    assert [f.code for f in report.warnings] == ["link-tracking"]


def test_without_fetching_an_uncollected_source_is_a_warning(nl, nl_dir):
    body = "[Artikel](https://example.org/nie-gesammelt)\n\n> Ein Zitat\n\n> Und ohne Quelle davor?\n"
    text = "> Ein Zitat ohne jede Quelle\n\n" + body
    report = check_draft(nl, write_draft(nl_dir, "007-x.md", draft_text(text)), fetch=False)
    assert [q.verdict for q in report.quotes] == ["no_source", "source_unreachable", "source_unreachable"]
    assert report.ok
    assert {f.code for f in report.warnings} == {"quote-no-source", "quote-source-unreachable"}


def test_an_empty_blockquote_is_a_warning_not_a_quote(nl, nl_dir):
    body = "[Artikel](https://example.org/a)\n\n> — [Quelle](https://example.org/a)\n"
    report = check_draft(nl, write_draft(nl_dir, "007-x.md", draft_text(body)), fetch=False)
    assert report.quotes == []
    assert [(f.code, f.line) for f in report.warnings] == [("quote-empty", 9)]


def test_french_spacing_inside_guillemets_and_before_punctuation_does_not_matter():
    from pipeline.check.quotes import SourceText

    source = SourceText("Il a dit\u00a0: «\u00a0La patience est un arbre dont la racine est amère, mais dont le "
                        "fruit est très doux\u00a0!\u00a0» Puis il partit.")
    assert source.find("„La patience est un arbre dont la racine est amère, mais dont le fruit est très doux!“")[0]
    assert source.find("Il a dit: «La patience est un arbre")[0]
    assert not source.find("„La patience est un arbre dont la racine est sucrée“")[0]
