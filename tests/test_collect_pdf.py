"""Cited PDFs (a study, a report) are read for their text, within bounds, so their quotes are
checked like a page's instead of "not checked"."""

from __future__ import annotations

import time

import pytest

from pipeline.check import check_draft
from pipeline.collect import add_link, get_link
from pipeline.collect import pdf as pdf_module
from pipeline.collect.pdf import read_pdf
from pipeline.newsletter import open_newsletter
from tests.conftest import allow_fetch
from tests.fixtures.check.site import draft_text, write_draft
from tests.fixtures.collect.pdf import STUDY, build_pdf
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)

QUOTE = "Drei von vier Händlern würden wechseln, wenn sie ihre Kundschaft mitnehmen könnten."


@pytest.fixture
def pnl(nl_dir):
    nl = open_newsletter(allow_fetch(nl_dir), env={"LINKLETTER_FETCH_TIMEOUT": "2"})
    yield nl
    nl.close()


def test_a_pdf_s_text_and_document_information_are_kept(pnl, site):
    link = get_link(pnl, add_link(pnl, site.url("/pages/study.pdf")))
    assert (link.fetch_status, link.content_type) == ("ok", "application/pdf")
    assert link.title == "Plattformarbeit in Deutschland 2026" and link.author == "Institut für Netzökonomie"
    assert QUOTE in link.main_text
    assert "Offene Schnittstellen senken die Wechselkosten mehr als jede Preisregel." in link.main_text  # page 2


def test_a_quote_from_a_pdf_is_checked(pnl, nl_dir, site):
    body = f"[Plattformarbeit]({site.url('/pages/study.pdf')})\n\n> {QUOTE}\n\n" \
           f"> Vier von vier Händlern würden bleiben.\n"
    report = check_draft(pnl, write_draft(nl_dir, "007-ausgabe.md", draft_text(body)))
    assert [q.verdict for q in report.quotes] == ["verified", "not_found"], report.to_text()


def test_a_pdf_without_text_keeps_what_its_headers_tell(pnl, site):
    link = get_link(pnl, add_link(pnl, site.url("/pages/report.pdf")))
    assert (link.fetch_status, link.title, link.main_text) == ("ok", "Annual Report 2026.pdf", None)


def test_a_broken_pdf_gives_no_text_and_no_error():
    truncated = read_pdf(STUDY[: len(STUDY) // 2])  # no xref, no trailer: nothing raised
    assert truncated.main_text is None or "Plattform" in truncated.main_text  # what is there, or nothing
    assert read_pdf(b"%PDF-1.4\nnot really a pdf").main_text is None
    assert read_pdf(b"").main_text is None


def test_reading_stops_at_the_deadline_and_the_page_limit(monkeypatch):
    assert read_pdf(STUDY, deadline=time.monotonic() - 1).main_text is None  # the time is up before page 1
    monkeypatch.setattr(pdf_module, "MAX_PAGES", 1)
    text = read_pdf(STUDY).main_text
    assert QUOTE in text and "Preisregel" not in text
    many = build_pdf([[f"Seite {i}"] for i in range(5)], title="t", author="a")
    assert read_pdf(many).main_text == "Seite 0"
