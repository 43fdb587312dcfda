"""`linkletter send` runs the pre-send check first: errors stop it (nothing frozen, nothing
sent) unless --force; a draft that passes goes out, with its cited sources kept as a snapshot."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from pipeline.errors import LinkletterError
from pipeline.models import Delivery, Issue
from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import send_issue
from tests.conftest import allow_fetch, clean_env, run_cli
from tests.smtp_behaviours import add_subscribers


@pytest.fixture
def nl_dir(nl_dir):
    """The newsletter folder, allowed to fetch the cited pages served on loopback (no source serves them)."""
    return allow_fetch(nl_dir, "localhost")

PAGE = ("<html><head><title>Slow pages</title><meta property='og:site_name' content='Example'></head><body><article>"
        "<p>Pages that load slowly are read slowly, and that is not always bad.</p>"
        "<p>A second paragraph, so the page has a main text worth keeping.</p></article></body></html>")


def draft_text(base: str, quote: str) -> str:
    return ("---\nissue: 7\ntitle: \"Weekly Reads #7\"\nsubject: Über Langsamkeit\nstatus: ready\n---\n"
            "A short intro.\n\n"
            f"[The slow web]({base}/slow) — Example\n\n> {quote}\n>\n> — [Example]({base}/slow)\n\nMy commentary.\n")


@pytest.fixture
def letter(nl_dir, httpserver):
    httpserver.expect_request("/slow").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    base = httpserver.url_for("").rstrip("/")
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 3)
    yield nl, base
    nl.close()


def _deliveries(nl) -> int:
    with nl.session() as s:
        return len(s.exec(select(Delivery)).all())


def test_a_misquote_stops_the_send_and_nothing_is_frozen(letter, nl_dir):
    nl, base = letter
    path = nl_dir / "drafts" / "007-slow.md"
    path.write_text(draft_text(base, "Pages that load quickly are read slowly."), encoding="utf-8")
    with pytest.raises(LinkletterError, match=r"(?s)pre-send check found problems.*007-slow.md:11: quote not found"):
        send_issue(nl, path)
    assert _deliveries(nl) == 0
    assert list(nl.settings.outbox_dir.glob("*.eml")) == []

    proc = run_cli("--dir", str(nl_dir), "send", "7", env=clean_env(), check=False)
    assert proc.returncode == 1 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert _deliveries(nl) == 0

    out = run_cli("--dir", str(nl_dir), "send", "7", "--force", env=clean_env()).stdout
    assert "3 sent" in out
    assert len(list(nl.settings.outbox_dir.glob("*.eml"))) == 3


def test_a_draft_that_passes_is_sent_with_a_snapshot_of_its_sources(letter, nl_dir):
    nl, base = letter
    path = nl_dir / "drafts" / "007-slow.md"
    path.write_text(draft_text(base, "Pages that load slowly are read slowly, and that is not always bad."),
                    encoding="utf-8")
    report = send_issue(nl, path)
    assert report.sent == 3 and report.finished
    with nl.session() as s:
        issue = s.exec(select(Issue).where(Issue.number == 7)).one()
    snap = json.loads(issue.snapshot)
    (source,) = snap["sources"]
    assert source["url"] == f"{base}/slow"
    assert "Pages that load slowly are read slowly" in source["text"]


def test_a_started_send_resumes_without_checking_again(letter, nl_dir, httpserver):
    import threading

    nl, base = letter
    path = nl_dir / "drafts" / "007-slow.md"
    path.write_text(draft_text(base, "Pages that load slowly are read slowly, and that is not always bad."),
                    encoding="utf-8")
    stopped = threading.Event()
    stopped.set()
    first = send_issue(nl, path, stop_event=stopped)  # checked, frozen and queued; nothing sent yet
    assert first.sent == 0 and first.pending == 3
    httpserver.clear()  # the cited page is gone now
    httpserver.expect_request("/slow").respond_with_data("gone", status=404)
    report = send_issue(nl, path)
    assert report.sent == 3 and report.finished
