"""Markdown → HTML and text: quote attributions, links as references, wrapping, typography."""

from __future__ import annotations

import pytest

from pipeline.render.markdown import parse, render_html
from pipeline.render.plaintext import to_text

LABELS = {"notes": "Notes", "image": "Image"}


def text(md: str):
    return to_text(parse(md), LABELS)


@pytest.mark.parametrize("md", [
    "> Quote.\n>\n> — [Source](https://s.example/a)",  # its own paragraph
    "> Quote.\n> — [Source](https://s.example/a)",  # the last line of the quote's paragraph
    "> Quote.\n>\n> -- [Source](https://s.example/a)",
    "> Quote.\n>\n> – [Source](https://s.example/a)",
])
def test_attribution_becomes_footer_and_cite(md):
    html = render_html(md)
    assert html == ('<blockquote cite="https://s.example/a">\n<p>Quote.</p>\n'
                    f'<footer>{md.split(chr(10))[-1][2:].split(" ")[0]} <a href="https://s.example/a">Source</a></footer>\n'
                    '</blockquote>')
    assert text(md).body == "> Quote.\n>\n> " + md.split("\n")[-1][2:].split(" ")[0] + " Source [1]"


def test_no_attribution_without_dash_or_link():
    assert "<footer" not in render_html("> Quote.\n>\n> [Source](https://s.example/a)")
    assert "<footer" not in render_html("> Quote.\n>\n> — Source, no link")
    html = render_html("> Quote.\n>\n> — [Mail me](mailto:a@b.example)")
    assert "<footer>" in html and "cite=" not in html  # cite only for web addresses


def test_links_are_numbered_once_per_url_and_autolinks_show_themselves():
    t = text("[One](https://a.example) and [again](https://a.example), [two](https://b.example), "
             "<https://c.example/x> and [in page](#top).")
    assert t.body == ("One [1] and again [1], two [2], https://c.example/x and in page.")
    assert t.links == ["https://a.example", "https://b.example"]


def test_wrapping_keeps_words_and_non_breaking_spaces():
    long_word = "https://example.org/" + "x" * 90
    t = text(f"{'Wort ' * 20}10\u00a0%\u00a0mehr {long_word} Ende").body
    lines = t.split("\n")
    assert all(len(line) <= 72 for line in lines if long_word not in line)
    assert long_word in lines and "10\u00a0%\u00a0mehr" in t


def test_footnotes_and_tables_in_text():
    t = text("Claim[^n].\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n[^n]: The note.").body
    assert t == "Claim¹.\n\na  b\n-  -\n1  2\n\nNotes:\n\n¹ The note."


def test_raw_html_blocks_become_their_text():
    t = text("<div class=\"x\">Kept <b>text</b><script>gone()</script></div>\n\nNext.").body
    assert t == "Kept text\n\nNext."


def test_nested_quote_and_lists():
    t = text("> Outer\n>\n> > Inner\n\n1. one\n2. two\n   - sub").body
    assert t == "> Outer\n>\n> > Inner\n\n1. one\n2. two\n   - sub"
