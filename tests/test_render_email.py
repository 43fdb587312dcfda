"""The issue email: contract with the send stage (placeholder, MIME), localization, system mails,
template overrides and template errors."""

from __future__ import annotations

import email
import re
import email.policy
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.draft.format import read_draft
from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.errors import LinkletterError
from pipeline.render import UNSUBSCRIBE_PLACEHOLDER
from pipeline.render.email import build_message, render_issue, render_system_mail
from pipeline.render.templates import TemplateError

DRAFTS = Path(__file__).parent / "fixtures" / "render" / "drafts"


def add_draft(nl, name: str) -> Path:
    target = nl.settings.drafts_dir / name
    shutil.copyfile(DRAFTS / name, target)
    return target


@pytest.fixture
def nl_de(tmp_path):
    root = init_newsletter(tmp_path / "wochenlese", title="Wochenlese", language="de",
                           sender="Wochenlese Redaktion <post@example.de>", base_url="https://lese.example.de")
    newsletter = open_newsletter(root, env={})
    yield newsletter
    newsletter.close()


class _Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [v for k, v in attrs if k == "href" and v]


def hrefs(html: str) -> list[str]:
    p = _Hrefs()
    p.feed(html)
    return p.hrefs


def test_render_issue_fields_and_placeholder(nl):
    path = add_draft(nl, "003-short.md")
    r = render_issue(nl, path)
    assert (r.issue, r.subject) == (3, "Small tools, and why they last")
    assert r.web_url == "https://news.example.org/issues/3.html"
    assert r.preheader.startswith("This week: small tools")  # past the greeting "Hello again."
    # the placeholder is a literal href value in the HTML and a literal line in the text
    assert UNSUBSCRIBE_PLACEHOLDER in hrefs(r.html)
    assert f'href="{UNSUBSCRIBE_PLACEHOLDER}"' in r.html
    assert f"Unsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n" in r.text
    # view in browser links to the issue's web page, in both parts
    assert r.web_url in hrefs(r.html) and f"View in browser: {r.web_url}" in r.text
    # the same draft given as a Draft object gives the same email
    assert render_issue(nl, read_draft(path)) == r


def test_email_structure_quote_block_and_header(nl):
    r = render_issue(nl, add_draft(nl, "003-short.md"))
    assert "Weekly Reads · Issue 3 · 13 November 2026" in r.html
    assert "Weekly Reads #3: Small tools</h1>" in r.html
    # the preheader is the hidden preview text
    assert ">Hello again. This week: small tools" in r.html
    # the quote: cite, a visible left rule and its own colours, inline on its table cell (Outlook
    # for Windows pads only cells); the attribution a styled paragraph (clients drop <footer>)
    start = r.html.index("<blockquote")
    quote = r.html[start:r.html.index("</blockquote>", start)]
    assert 'cite="https://example.org/unix#:~:text=Write%20programs,together"' in quote
    cell = re.search(r"<td style=\"([^\"]*)\">", quote).group(1)
    assert "border-left: 4px solid" in cell and "background-color:" in cell and "color: #262626" in cell
    assert "padding: 12px 16px" in cell
    assert '<p class="attribution" style="margin: 0;font-size: 14px;color: #595959;">' in quote
    assert "Doug McIlroy</a></p>" in quote and "<footer" not in r.html and "<section" not in r.html
    # typography passes through unchanged: the non-breaking space stays a character
    assert "the non\u00a0breaking space" in r.html and "the non\u00a0breaking space" in r.text
    assert "you subscribed to Weekly Reads" in r.html
    # the table survives as a table, with its alignment
    start = r.html.index("<table style=\"border-collapse")
    table = r.html[start:r.html.index("</table>", start)]
    assert ">Tool</th>" in table and "text-align: right" in table and ">4500</td>" in table


def test_plain_text_is_written_for_reading(nl):
    r = render_issue(nl, add_draft(nl, "003-short.md"))
    text = r.text
    assert "> Write programs that do one thing and do it well." in text
    assert "> — Doug McIlroy [2]" in text
    assert "The Unix philosophy, revisited [1]\n----" in text
    links = text[text.index("Links:"):]
    assert "[1] https://example.org/unix?utm=none&ref=1\n" in links
    assert "[2] https://example.org/unix#:~:text=Write%20programs,together\n" in links
    assert "<" not in text.replace("<https", "")  # no markup left over
    assert all(len(line) <= 72 or "://" in line for line in text.splitlines())


def test_mime_message_round_trip(nl_de):
    path = add_draft(nl_de, "003-short.md")
    text = path.read_text("utf-8").replace('subject: "Small tools, and why they last"',
                                           'subject: „Kleine Werkzeuge“ – Ärger mit Überlänge')
    path.write_text(text, "utf-8")
    r = render_issue(nl_de, path)
    msg = build_message(nl_de, r, to="Jörg Müller <joerg@example.de>")
    raw = msg.as_bytes()
    assert b"\xc3" not in raw.split(b"\n\n", 1)[0]  # headers are ASCII (RFC 2047)
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert back["Subject"] == "„Kleine Werkzeuge“ – Ärger mit Überlänge"
    assert back["From"].addresses[0].addr_spec == "post@example.de"
    assert back["To"].addresses[0].display_name == "Jörg Müller"
    assert back.get_content_type() == "multipart/alternative"
    parts = list(back.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p["Content-Transfer-Encoding"] in ("quoted-printable", "base64") for p in parts)
    assert parts[0].get_content() == r.text and parts[1].get_content() == r.html
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    # localized footer
    assert "Sie erhalten diese E-Mail, weil Sie Wochenlese abonniert haben." in r.text
    assert "Abbestellen" in r.html and "Im Browser ansehen" in r.html


@pytest.mark.parametrize("language, words", [
    ("en", ("Please confirm your subscription to", "nothing happens")),
    ("de", ("Bitte bestätigen Sie Ihr Abonnement von", "Es passiert nichts")),
])
def test_confirm_mail(tmp_path, language, words):
    root = init_newsletter(tmp_path / "n", title="Reads", language=language, sender="Reads <r@example.org>",
                           base_url="https://r.example.org")
    nl = open_newsletter(root, env={})
    try:
        url = "https://r.example.org/confirm/abc.DEF-123"
        msg = render_system_mail(nl, "confirm", to="reader@example.com", confirm_url=url)
        back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
        assert back["Subject"] == f"{words[0]} Reads"
        assert back["To"] == "reader@example.com" and back["Message-ID"] and back["Date"]
        text = back.get_body(("plain",)).get_content()
        html = back.get_body(("html",)).get_content()
        assert url in text and words[1] in text
        assert hrefs(html).count(url) == 2  # the button and the link below it
        assert words[1] in html
    finally:
        nl.close()


def test_unknown_system_mail(nl):
    with pytest.raises(LinkletterError, match="'welcome' has no subject"):  # never sent, so no longer shipped
        render_system_mail(nl, "welcome", to="a@example.com")
    with pytest.raises(TemplateError, match=r"email/nosuch\.mjml.*not found"):
        render_system_mail(nl, "nosuch", to="a@example.com", subject="x")


def test_folder_template_overrides_the_shipped_one(nl):
    path = add_draft(nl, "003-short.md")
    own = nl.settings.templates_dir / "email"
    own.mkdir(parents=True)
    (own / "issue.txt").write_text("CUSTOM {{ title }}\n{{ body }}\n{{ unsubscribe_url }}\n", "utf-8")
    r = render_issue(nl, path)
    assert r.text.startswith("CUSTOM Weekly Reads #3: Small tools\n")
    assert "Weekly Reads · Issue 3" in r.html  # the HTML template is still the shipped one


def test_unknown_template_variable_names_file_and_line(nl):
    path = add_draft(nl, "003-short.md")
    own = nl.settings.templates_dir / "email"
    own.mkdir(parents=True)
    (own / "issue.txt").write_text("line one\n{{ title }}\n{{ no_such_thing }}\n", "utf-8")
    with pytest.raises(TemplateError) as e:
        render_issue(nl, path)
    assert str(e.value).startswith(f"{own / 'issue.txt'}:3: ")
    assert "no_such_thing" in str(e.value)


def test_invalid_mjml_names_file_and_line(nl):
    path = add_draft(nl, "003-short.md")
    own = nl.settings.templates_dir / "email"
    own.mkdir(parents=True)
    (own / "issue.mjml").write_text(
        "<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n<mj-text>{{ content }}</mj-text>\n"
        "</mj-section>\n</mj-body>\n</mjml>\n", "utf-8")
    with pytest.raises(TemplateError) as e:
        render_issue(nl, path)
    assert str(e.value).startswith(f"{own / 'issue.mjml'}:4: invalid MJML")


@pytest.mark.parametrize("broken, line, words", [
    ("<mj-column>\n<mj-text>{{ content }}</mj-text>\n</mj-colum>\n", 6, "unknown tag </mj-colum>"),
    ("<mj-column>\n<mj-bogus>x</mj-bogus>\n<mj-text>{{ content }}</mj-text>\n</mj-column>\n", 5, "unknown tag <mj-bogus>"),
])
def test_mjml_mistakes_mrml_would_let_pass_are_errors(nl, broken, line, words):
    path = add_draft(nl, "003-short.md")
    own = nl.settings.templates_dir / "email"
    own.mkdir(parents=True)
    (own / "issue.mjml").write_text("<mjml>\n<mj-body>\n<mj-section>\n" + broken + "</mj-section>\n</mj-body>\n</mjml>\n",
                                    "utf-8")
    with pytest.raises(TemplateError) as e:
        render_issue(nl, path)
    assert str(e.value).startswith(f"{own / 'issue.mjml'}:{line}: invalid MJML: {words}")


def test_the_inbox_preview_without_a_preheader_skips_the_greeting():
    """An issue without a ``preheader`` previews its first sentence of substance, not the
    salutation it opens with (the archive's summary rule)."""
    from pipeline.render.issue import default_preheader

    text = "Hallo zusammen,\n\ndiese Woche geht es um Plattformen, Mieten und Feeds. Dann mehr.\n\n> Ein Zitat."
    assert default_preheader(text) == "Diese Woche geht es um Plattformen, Mieten und Feeds."
    assert default_preheader("> Nur ein Zitat.") == ""
