"""The send job: each due draft on its own. A draft the check refuses neither holds up the
others nor gets re-checked (its cited pages fetched again) until the author changes it; a draft
being edited (broken front matter) does not stop the others either."""

from __future__ import annotations

import os

import pytest

from pipeline.mainjob import jobs
from pipeline.draft.format import read_draft
from pipeline.errors import LinkletterError
from tests.conftest import allow_fetch
from tests.smtp_behaviours import add_subscribers


@pytest.fixture
def nl_dir(nl_dir):
    """The newsletter folder, allowed to fetch the cited pages served on loopback (no source serves them)."""
    return allow_fetch(nl_dir, "localhost")


PAGE = "<html><body><article><p>Slow pages are read slowly, and that is fine.</p><p>More text.</p></article></body></html>"


def _draft(path, issue: int, quote: str, base: str) -> None:
    path.write_text(f"---\nissue: {issue}\ntitle: \"Issue {issue}\"\nstatus: ready\n---\nIntro.\n\n"
                    f"[A page]({base}/page)\n\n> {quote}\n\nCommentary.\n", encoding="utf-8")


@pytest.fixture
def job():
    """The state one main-job process owns, fresh for each test."""
    return jobs.MainJob()


def test_a_refused_draft_does_not_hold_up_the_next_and_is_not_rechecked_until_changed(nl, httpserver, job):
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    base = httpserver.url_for("").rstrip("/")
    add_subscribers(nl.engine, 2)
    drafts = nl.settings.drafts_dir
    bad, good = drafts / "011-bad.md", drafts / "012-good.md"
    _draft(bad, 11, "Fast pages are read slowly, and that is fine.", base)
    _draft(good, 12, "Slow pages are read slowly, and that is fine.", base)

    with pytest.raises(LinkletterError, match=r"011-bad.md.*quote not found"):
        jobs.send_due(nl, job)
    assert read_draft(good).status == "sent" and read_draft(bad).status == "ready"
    assert "Issue 12" in (nl.settings.site_dir / "feed.xml").read_text("utf-8")  # rebuilt after the send
    requests_so_far = len(httpserver.log)

    with pytest.raises(LinkletterError, match="011-bad.md"):
        jobs.send_due(nl, job)
    assert len(httpserver.log) == requests_so_far  # unchanged draft: not checked again

    _draft(bad, 11, "Slow pages are read slowly, and that is fine.", base)
    os.utime(bad, (bad.stat().st_atime, bad.stat().st_mtime + 5))
    assert "Issue 11:" in jobs.send_due(nl, job)
    assert read_draft(bad).status == "sent"


def test_a_draft_being_edited_does_not_stop_a_ready_one(nl, httpserver, job):
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    base = httpserver.url_for("").rstrip("/")
    add_subscribers(nl.engine, 1)
    ready = nl.settings.drafts_dir / "012-good.md"
    _draft(ready, 12, "Slow pages are read slowly, and that is fine.", base)
    (nl.settings.drafts_dir / "013-wip.md").write_text("---\nissue: 13\ntitle: [unclosed\n---\n", encoding="utf-8")
    with pytest.raises(LinkletterError, match=r"013-wip.md:\d+: the front matter is not valid YAML"):
        jobs.send_due(nl, job)
    assert read_draft(ready).status == "sent"
    assert "Issue 12" in (nl.settings.site_dir / "feed.xml").read_text("utf-8")  # the site was rebuilt


def test_the_rebuild_keeps_the_old_site_when_a_sent_draft_is_broken(nl, httpserver, job):
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    base = httpserver.url_for("").rstrip("/")
    add_subscribers(nl.engine, 1)
    first = nl.settings.drafts_dir / "011-first.md"
    _draft(first, 11, "Slow pages are read slowly, and that is fine.", base)
    jobs.send_due(nl, job)
    feed = (nl.settings.site_dir / "feed.xml").read_bytes()
    assert b"Issue 11" in feed
    first.write_text(first.read_text("utf-8").replace("title:", "title: [", 1), encoding="utf-8")  # now broken
    _draft(nl.settings.drafts_dir / "012-next.md", 12, "Slow pages are read slowly, and that is fine.", base)
    with pytest.raises(LinkletterError, match=r"011-first.md:\d+"):
        jobs.send_due(nl, job)
    assert (nl.settings.site_dir / "feed.xml").read_bytes() == feed  # not rebuilt without issue 11
