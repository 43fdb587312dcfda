"""The archive shows what was mailed (issue #11, item 5): the site page and the feeds of a
sent issue come from its frozen body, so later edits of the draft change nothing until a
correction, an explicit step, records itself and freezes the new text."""

from __future__ import annotations

import json

from sqlmodel import select

from pipeline.models import Issue
from pipeline.newsletter import open_newsletter
from pipeline.render.site import build_site
from pipeline.send.campaign import send_issue
from tests.conftest import clean_env, run_cli
from tests.smtp_behaviours import add_subscribers

DRAFT = "---\nissue: 7\ntitle: \"Weekly Reads #7\"\nstatus: ready\n---\nThe mailed sentence.\n"


def _site(nl_dir) -> tuple[str, str]:
    return ((nl_dir / "site" / "issues" / "7.html").read_text("utf-8"), (nl_dir / "site" / "feed.xml").read_text("utf-8"))


def test_a_sent_issue_is_archived_as_mailed_until_a_recorded_correction(nl_dir):
    path = nl_dir / "drafts" / "007-slow.md"
    path.write_text(DRAFT, encoding="utf-8")
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 2)
    assert send_issue(nl, path, force=True).finished
    text = path.read_text("utf-8")  # now 'status: sent' with its date
    path.write_text(text.replace("The mailed sentence.", "An edited sentence.").replace("Weekly Reads #7", "Edited"),
                    encoding="utf-8")

    build_site(nl)
    page, feed = _site(nl_dir)
    assert "The mailed sentence." in page and "An edited sentence." not in page
    assert "The mailed sentence." in feed and "An edited sentence." not in feed
    assert "Weekly Reads #7" in page and "Edited" not in page

    out = run_cli("--dir", str(nl_dir), "render", "7", "--correct", "reworded the intro", env=clean_env()).stdout
    assert "corrected text" in out
    page, feed = _site(nl_dir)
    assert "An edited sentence." in page and "The mailed sentence." not in page
    assert "An edited sentence." in feed
    with nl.session() as s:
        issue = s.exec(select(Issue).where(Issue.number == 7)).one()
    (record,) = json.loads(issue.snapshot)["corrections"]
    assert record["note"] == "reworded the intro" and "The mailed sentence." in record["previous_html"]
    assert record["previous_title"] == "Weekly Reads #7"
    assert b"The mailed sentence." in issue.frozen_mime  # the message as mailed is kept as it was
    nl.close()


def test_an_issue_never_sent_cannot_be_corrected(nl_dir):
    (nl_dir / "drafts" / "007-slow.md").write_text(DRAFT, encoding="utf-8")
    proc = run_cli("--dir", str(nl_dir), "render", "7", "--correct", "why", env=clean_env(), check=False)
    assert proc.returncode == 1 and "never sent" in proc.stderr and "Traceback" not in proc.stderr
