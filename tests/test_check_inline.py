"""Quotations in the author's prose („…“, "…" next to a link), checked against the linked
source like blockquotes, through `linkletter check` against the check fixture pages on
loopback; a quotation with no link in its paragraph is reported as not attributed."""

from __future__ import annotations

import json

import pytest

from tests.conftest import allow_fetch, run_cli
from tests.fixtures.check.site import draft_text, start_site, write_draft


@pytest.fixture
def nl_dir(nl_dir):
    return allow_fetch(nl_dir)


@pytest.fixture(scope="module")
def site():
    server = start_site()
    yield server
    server.stop()


def check(nl_dir, body: str, base: str) -> dict:
    write_draft(nl_dir, "007-ausgabe.md", draft_text(body), base)
    return json.loads(run_cli("--dir", str(nl_dir), "check", "7", "--json", check=False).stdout)


def codes(report: dict) -> list[tuple[str, int]]:
    return sorted((f["code"], f["line"]) for f in report["errors"] + report["warnings"])


def test_inline_quotations_next_to_their_link_are_verified(nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = ("Die [Gärtnerin]({base}/garten.html) sagt: „Wer im Januar pflanzt, pflanzt für den Mai.“\n\n"
            "\"Im Winter sieht ein Garten nach nichts aus\", schreibt [sie]({base}/garten.html).\n\n"
            "Ein „kurzes Wort“ ist kein Zitat.\n")
    report = check(nl_dir, body, base)
    inline = [q for q in report["quotes"] if q["inline"]]
    assert [(q["text"], q["verdict"], q["line"]) for q in inline] == [
        ("Wer im Januar pflanzt, pflanzt für den Mai.", "verified", 7),
        ("Im Winter sieht ein Garten nach nichts aus", "verified", 9)]
    assert codes(report) == []


def test_a_misquotation_in_the_text_is_an_error_naming_the_closest_passage(nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = "Laut [Gärtnerin]({base}/garten.html): „Wer im Februar pflanzt, pflanzt für den Mai.“\n"
    report = check(nl_dir, body, base)
    [error] = report["errors"]
    assert (error["code"], error["line"], error["details"]["inline"]) == ("quote-not-found", 7, True)
    assert error["message"].startswith("quotation in the text: quote not found")
    assert error["details"]["closest_passage"].startswith("Wer im Januar pflanzt")


def test_a_quotation_without_a_link_in_its_paragraph_is_reported(nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = ("Jemand sagte einmal: „Ein Garten im Winter ist ein wartender Garten.“\n\n"
            "[Ein Link]({base}/garten.html) steht erst im nächsten Absatz.\n")
    report = check(nl_dir, body, base)
    [warning] = [w for w in report["warnings"] if w["code"] == "inline-quote-unattributed"]
    assert warning["line"] == 7 and "Ein Garten im Winter ist ein wartender Garten." in warning["message"]
    assert report["ok"] is True  # a warning: the author decides
