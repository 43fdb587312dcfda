"""check_draft end to end against fixture pages on a loopback server: a German issue whose
quotes the pages print with other typography, a changed word, ellipses, dead links,
redirects, earlier issues, hygiene; and that a check changes nothing."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from pipeline.check import archive_url, check_draft, snapshot_sources
from pipeline.check.links import probe_links
from pipeline.collect.destinations import Allowed, FetchPolicy
from pipeline.models import Issue, Link
from tests.conftest import allow_fetch
from tests.fixtures.check.site import FIXTURES, draft_text, start_site, write_draft
from tests.smtp import free_port


@pytest.fixture
def nl_dir(nl_dir):
    """The newsletter folder, allowed to fetch the fixture pages on loopback (no source serves them)."""
    return allow_fetch(nl_dir)


@pytest.fixture(scope="module")
def site():
    server = start_site()
    yield server
    server.clear_log()
    server.stop()


def _check(nl, nl_dir, body, base, **fm):
    return check_draft(nl, write_draft(nl_dir, "007-ausgabe.md", draft_text(body, **fm), base))


def test_german_issue_with_other_typography_is_all_verified(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    path = write_draft(nl_dir, "007-ausgabe.md", (FIXTURES / "issue-de.md").read_text("utf-8"), base)
    report = check_draft(nl, path)
    assert [(q.verdict, q.source_origin) for q in report.quotes] == [("verified", "fetched")] * 6, report.to_text()
    assert report.quotes[1].source_url == f"{base}/garten.html#:~:text=Wer%20im%20Januar"  # its attribution line
    assert report.quotes[5].source_url == f"{base}/briefe.html"  # the Latin-1 page
    assert report.errors == [] and report.warnings == [], report.to_text()
    assert report.ok
    assert all(link.checked and link.status == 200 for link in report.links)


def test_one_changed_word_is_not_found_and_the_closest_passage_shows_the_original(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = ("[Gärten im Winter]({base}/garten.html)\n\n"
            "> Am Ende des Winters ist man nicht klüger, aber zufriedener geworden.\n")
    report = _check(nl, nl_dir, body, base)
    q = report.quotes[0]
    assert q.verdict == "not_found"
    assert q.closest_passage == "Am Ende des Winters ist man nicht klüger, aber geduldiger geworden."
    assert 0.8 < q.similarity < 1
    [error] = report.errors
    assert error.code == "quote-not-found" and error.line == 9
    assert error.details["closest_passage"] == q.closest_passage
    assert "geduldiger" in report.to_text()


def test_a_quote_shortened_with_an_ellipsis_is_verified_but_not_reordered(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = ("[Gärten]({base}/garten.html)\n\n"
            "> Im Winter sieht ein Garten nach nichts aus. … wer vorbeigeht, hält das für Stillstand.\n\n"
            "> wer vorbeigeht, hält das für Stillstand … Im Winter sieht ein Garten nach nichts aus.\n")
    report = _check(nl, nl_dir, body, base)
    assert [q.verdict for q in report.quotes] == ["verified", "not_found"]
    assert report.quotes[1].missing_part == "Im Winter sieht ein Garten nach nichts aus"
    assert report.errors[0].message.endswith("(this part: Im Winter sieht ein Garten nach nichts aus)")


def test_dead_link_and_unreachable_source_are_errors(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    closed = f"http://127.0.0.1:{free_port()}/nichts"
    body = ("[Verschwunden]({base}/weg.html)\n\n> Ein Satz von einer Seite, die es nicht mehr gibt.\n\n"
            f"[Kein Server]({closed})\n")
    report = _check(nl, nl_dir, body, base)
    assert report.quotes[0].verdict == "source_unreachable"
    assert "404" in report.quotes[0].reason
    codes = {(f.code, f.line) for f in report.errors}
    assert codes == {("link-dead", 7), ("quote-source-unreachable", 9), ("link-unreachable", 11)}
    dead = next(f for f in report.errors if f.code == "link-dead")
    assert dead.details["status"] == 404
    assert "connection refused" in next(f for f in report.errors if f.code == "link-unreachable").message
    assert not report.ok


def test_redirect_is_reported_with_its_final_url(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    report = _check(nl, nl_dir, "Umgezogen: [Gärten]({base}/alt/garten)\n", base)
    [warning] = report.warnings
    assert warning.code == "link-redirect"
    assert warning.details["final_url"] == f"{base}/garten.html"
    assert warning.details["redirects"] == [301]
    assert report.links[0].status == 200
    assert report.ok  # a redirect alone does not stop a send


def test_a_server_refusing_head_is_asked_with_get(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    report = _check(nl, nl_dir, "[Nur GET]({base}/nur-get)\n", base)
    assert (report.links[0].checked, report.links[0].status) == (True, 200)
    assert report.findings == []


def test_tracking_parameters_and_earlier_issues_are_warnings(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    with nl.session() as s:
        s.add(Link(url=f"{base}/bibliothek.html", canonical_url=f"{base}/bibliothek.html", issue_number=3))
        s.add(Issue(number=3, status="sent"))  # only sent issues count as featured
        s.add(Link(url=f"{base}/garten.html", canonical_url=f"{base}/garten.html", issue_number=7))  # this issue
    write_draft(nl_dir, "005-alt.md", draft_text("[Briefe]({base}/briefe.html#oben)\n", issue=5, status="sent"), base)
    write_draft(nl_dir, "009-neu.md", draft_text("[Gärten]({base}/garten.html)\n", issue=9, status="sent"), base)
    body = ("[Gärten]({base}/garten.html?utm_source=newsletter&utm_medium=email&id=4)\n\n"
            "[Bibliothek]({base}/bibliothek.html)\n\n[Briefe]({base}/briefe.html)\n")
    report = _check(nl, nl_dir, body, base)
    assert report.ok
    found = {(f.code, f.line): f.details for f in report.warnings}
    assert set(found) == {("link-tracking", 7), ("link-featured", 9), ("link-featured", 11)}
    assert found[("link-tracking", 7)]["parameters"] == ["utm_source", "utm_medium"]
    assert found[("link-featured", 9)]["issues"] == [3]
    assert found[("link-featured", 11)]["issues"] == [5]


def test_hygiene(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    body = ("<!-- Intro: a few words on what this issue is about. -->\n\n"
            "[Gärten]({base}/garten.html)\n\n<!-- your commentary -->\n\n"
            "![]({base}/briefe.jpg)\n\n[]({base}/bibliothek.html)\n\nTK: Schluss schreiben. TODO\n\n"
            "Ein Link auf [Seite TK]({base}/garten.html?TK=1)\n")
    report = _check(nl, nl_dir, body, base, title="", subject="Sehr " * 20 + "lang")
    errors = [(f.code, f.line) for f in report.errors]
    # "TK: Schluss schreiben." and "Seite TK": TK is also a German abbreviation, so a warning
    assert errors == [("title-missing", 1), ("placeholder", 7), ("placeholder", 11), ("link-empty-text", 15),
                      ("placeholder", 17)]
    assert [(f.code, f.line) for f in report.warnings] == [("subject-long", 1), ("image-alt", 13), ("placeholder", 17),
                                                          ("placeholder", 19)]


def test_check_changes_nothing(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    with nl.session() as s:
        s.add(Link(url=f"{base}/garten.html", canonical_url=f"{base}/garten.html", fetch_status="pending"))
    path = write_draft(nl_dir, "007-ausgabe.md", (FIXTURES / "issue-de.md").read_text("utf-8"), base)
    before = path.read_bytes(), sorted(p.name for p in (nl_dir / "drafts").iterdir())
    db_before = _dump(nl_dir)
    report = check_draft(nl, path)
    assert report.quotes[0].source_origin == "fetched"
    assert (path.read_bytes(), sorted(p.name for p in (nl_dir / "drafts").iterdir())) == before
    with nl.session() as s:
        [link] = s.exec(select(Link)).all()
        assert (link.main_text, link.fetch_status, link.fetched_at) == (None, "pending", None)
    assert _dump(nl_dir) == db_before


def _dump(nl_dir):
    """Every row of every table, as SQL."""
    with closing(sqlite3.connect(nl_dir / "linkletter.db")) as conn:
        return list(conn.iterdump())


def test_snapshot_keeps_each_cited_sources_text_and_metadata(nl, nl_dir, site):
    base = site.url_for("").rstrip("/")
    fetched = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
    with nl.session() as s:
        s.add(Link(url=f"{base}/garten.html", canonical_url=f"{base}/garten.html", title="Gärten im Winter",
                   site_name="Das Gartenjournal", author="Marta Beet", fetched_at=fetched,
                   main_text="Gespeicherter Text.", fetch_status="ok"))
    path = write_draft(nl_dir, "007-ausgabe.md", (FIXTURES / "issue-de.md").read_text("utf-8"), base)
    data = json.loads(snapshot_sources(nl, path))
    assert data["issue"] == 7
    by_url = {s["url"]: s for s in data["sources"]}
    assert list(by_url) == [f"{base}/garten.html", f"{base}/bibliothek.html", f"{base}/briefe.html"]
    garden = by_url[f"{base}/garten.html"]
    assert (garden["title"], garden["site"], garden["author"], garden["text"]) == \
        ("Gärten im Winter", "Das Gartenjournal", "Marta Beet", "Gespeicherter Text.")
    assert datetime.fromisoformat(garden["fetched_at"]).replace(tzinfo=timezone.utc) == fetched
    letters = by_url[f"{base}/briefe.html"]  # never collected: fetched for the snapshot
    assert "«Ein Brief darf warten», sagte mein Großvater" in letters["text"]
    assert letters["title"] == "Über Briefe"


def test_archive_url_uses_the_utc_time():
    when = datetime(2026, 12, 1, 7, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert archive_url("https://example.org/a?b=1", when) == "https://web.archive.org/web/20261201060005/https://example.org/a?b=1"


def test_links_to_one_host_are_requested_at_most_per_host_connections_at_a_time():
    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self):  # noqa: N802
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            time.sleep(0.05)  # hold the request, so that parallel ones would overlap
            with lock:
                state["now"] -= 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.request_queue_size = 64
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        statuses = probe_links([f"{base}/{i}" for i in range(10)], timeout=5, workers=8, per_host=2,
                               policy=FetchPolicy([Allowed.parse("127.0.0.1")]))
    finally:
        server.shutdown()
        server.server_close()
    assert [s.status for s in statuses.values()] == [200] * 10
    assert 1 <= state["most"] <= 2
