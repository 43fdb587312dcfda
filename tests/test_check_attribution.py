"""The check reads a draft as the renderer does: an attribution may be the quote's last line,
and a footnote mark is not part of the quoted words."""

from __future__ import annotations

from pipeline.render.cites import parse_body
from pipeline.render import markdown


BODY = """[Essay](https://example.org/essay)

> „Aufmerksamkeit ist eine Form von Großzügigkeit.“
> — [The essay](https://example.org/other)

> Wer langsam liest, liest zweimal.[^1]

[^1]: Eine Fußnote.
"""


def test_an_attribution_on_the_quotes_last_line_is_its_source():
    first, second = parse_body(BODY).quotes
    assert first.text == "„Aufmerksamkeit ist eine Form von Großzügigkeit.“"
    assert first.attribution_url == first.source_url == "https://example.org/other"
    # the renderer agrees: the same line becomes the quote's footer and cite
    html = markdown.to_html(markdown.parse(BODY))
    assert 'cite="https://example.org/other"' in html and "<footer>" in html


def test_a_footnote_mark_is_not_quoted_text():
    second = parse_body(BODY).quotes[1]
    assert second.text == "Wer langsam liest, liest zweimal."
    assert second.source_url == "https://example.org/other"  # the nearest link before it
