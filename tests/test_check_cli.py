"""`linkletter check` as a subprocess: the readable report, --json, and the exit status
(1 on any error, 0 with warnings only)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import allow_fetch, run_cli
from tests.fixtures.check.site import FIXTURES, draft_text, start_site, write_draft


@pytest.fixture
def nl_dir(nl_dir):
    """The newsletter folder, allowed to fetch the fixture pages on loopback (no source serves them)."""
    return allow_fetch(nl_dir)


@pytest.fixture(scope="module")
def site():
    server = start_site()
    yield server
    server.stop()


def test_warnings_only_exit_0(nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = "[Gärten]({base}/alt/garten?utm_source=x)\n\n> Wer im Januar pflanzt, pflanzt für den Mai.\n"
    write_draft(nl_dir, "007-ausgabe.md", draft_text(body), base)
    proc = run_cli("--dir", str(nl_dir), "check", "7", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"007-ausgabe.md:7: warning: link {base}/alt/garten?utm_source=x redirects (301) to {base}/garten.html" \
        in proc.stdout
    assert f"007-ausgabe.md:7: warning: link {base}/alt/garten?utm_source=x carries tracking parameters (utm_source)" \
        in proc.stdout
    assert "1 verified" in proc.stdout
    assert "0 errors, 2 warnings: ready to send." in proc.stdout


def test_errors_exit_1_and_json_is_parseable(nl_dir, site):
    base = site.url_for("").rstrip("/")
    path = write_draft(nl_dir, "007-ausgabe.md", (FIXTURES / "issue-de.md").read_text("utf-8")
                       .replace("Wer im Mai erntet", "Wer im Juni erntet")
                       .replace("/bibliothek.html)", "/weg.html)", 1), base)
    proc = run_cli("--dir", str(nl_dir), "check", str(path), "--json", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is False and data["issue"] == 7
    assert sorted(e["code"] for e in data["errors"]) == ["link-dead", "quote-not-found",
                                                         "quote-source-unreachable", "quote-source-unreachable"]
    wrong = next(e for e in data["errors"] if e["code"] == "quote-not-found")
    assert wrong["details"]["closest_passage"].startswith("Wer im Januar pflanzt, pflanzt für den Mai. Wer im Mai erntet")
    assert [q["verdict"] for q in data["quotes"]] == ["verified", "not_found", "verified", "source_unreachable",
                                                      "source_unreachable", "verified"]
    assert data["summary"]["errors"] == 4

    text = run_cli("--dir", str(nl_dir), "check", "007-ausgabe.md", check=False)
    assert text.returncode == 1
    assert "error: quote not found in the text of" in text.stdout
    assert "    source:  Wer im Januar pflanzt" in text.stdout
    assert "not ready to send." in text.stdout


def test_unreadable_draft_is_a_message_not_a_trace(nl_dir):
    (nl_dir / "drafts" / "007-kaputt.md").write_text("---\nissue: sieben\n---\n", encoding="utf-8")
    proc = run_cli("--dir", str(nl_dir), "check", "007-kaputt.md", check=False)
    assert proc.returncode == 1
    assert "007-kaputt.md:2: 'issue' must be a whole number" in proc.stderr
    assert "Traceback" not in proc.stderr
    (nl_dir / "drafts" / "007-kaputt.md").unlink()
    missing = run_cli("--dir", str(nl_dir), "check", "99", check=False)
    assert missing.returncode == 1 and "no draft '99'" in missing.stderr


# ---------------------------------------------------------------- quotations in the author's prose
# („…“, "…" next to a link): checked against the linked source like blockquotes; one with no
# link in its paragraph is reported as not attributed

def check_json(nl_dir, body: str, base: str) -> dict:
    write_draft(nl_dir, "007-ausgabe.md", draft_text(body), base)
    return json.loads(run_cli("--dir", str(nl_dir), "check", "7", "--json", check=False).stdout)


def finding_codes(report: dict) -> list[tuple[str, int]]:
    return sorted((f["code"], f["line"]) for f in report["errors"] + report["warnings"])


def test_inline_quotations_next_to_their_link_are_verified(nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = ("Die [Gärtnerin]({base}/garten.html) sagt: „Wer im Januar pflanzt, pflanzt für den Mai.“\n\n"
            "\"Im Winter sieht ein Garten nach nichts aus\", schreibt [sie]({base}/garten.html).\n\n"
            "Ein „kurzes Wort“ ist kein Zitat.\n")
    report = check_json(nl_dir, body, base)
    inline = [q for q in report["quotes"] if q["inline"]]
    assert [(q["text"], q["verdict"], q["line"]) for q in inline] == [
        ("Wer im Januar pflanzt, pflanzt für den Mai.", "verified", 7),
        ("Im Winter sieht ein Garten nach nichts aus", "verified", 9)]
    assert finding_codes(report) == []


def test_a_misquotation_in_the_text_is_an_error_naming_the_closest_passage(nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = "Laut [Gärtnerin]({base}/garten.html): „Wer im Februar pflanzt, pflanzt für den Mai.“\n"
    report = check_json(nl_dir, body, base)
    [error] = report["errors"]
    assert (error["code"], error["line"], error["details"]["inline"]) == ("quote-not-found", 7, True)
    assert error["message"].startswith("quotation in the text: quote not found")
    assert error["details"]["closest_passage"].startswith("Wer im Januar pflanzt")


def test_a_quotation_without_a_link_in_its_paragraph_is_reported(nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = ("Jemand sagte einmal: „Ein Garten im Winter ist ein wartender Garten.“\n\n"
            "[Ein Link]({base}/garten.html) steht erst im nächsten Absatz.\n")
    report = check_json(nl_dir, body, base)
    [warning] = [w for w in report["warnings"] if w["code"] == "inline-quote-unattributed"]
    assert warning["line"] == 7 and "Ein Garten im Winter ist ein wartender Garten." in warning["message"]
    assert report["ok"] is True  # a warning: the author decides
