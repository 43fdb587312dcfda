"""With `archive_links = true`, each cited link on a published issue's web page gets a Web
Archive link for the send date; the email and unpublished pages stay as they are."""

from __future__ import annotations

import re

from pipeline.newsletter import open_newsletter
from pipeline.render.site import build_site, render_issue_page

DRAFT = """---
issue: 3
title: "Weekly Reads #3"
status: sent
date: 2026-11-20T07:30:00+01:00
---
Read [the essay](https://example.org/essay?a=1&b=2) and [our archive](https://news.example.org/issues/2.html).

> A quote.
>
> — [Example](https://example.org/essay)
"""


def test_archive_links_for_the_send_date(nl_dir):
    (nl_dir / "drafts" / "003-weekly.md").write_text(DRAFT, encoding="utf-8")
    nl = open_newsletter(nl_dir, env={"LINKLETTER_ARCHIVE_LINKS": "true"})
    try:
        build_site(nl)
        page = (nl.settings.site_dir / "issues" / "3.html").read_text("utf-8")
        archived = re.findall(r'href="(https://web\.archive\.org/web/[^"]+)"', page)
        # the send date 07:30 +01:00 is 06:30 UTC; the &amp; in the page is a & in the URL
        assert archived == ["https://web.archive.org/web/20261120063000/https://example.org/essay?a=1&amp;b=2",
                            "https://web.archive.org/web/20261120063000/https://example.org/essay"]
        assert page.count(">archived copy</a>") == 2
    finally:
        nl.close()


def test_no_archive_links_by_default_or_for_unpublished_drafts(nl_dir):
    path = nl_dir / "drafts" / "003-weekly.md"
    path.write_text(DRAFT, encoding="utf-8")
    nl = open_newsletter(nl_dir, env={})
    try:
        assert "web.archive.org" not in render_issue_page(nl, path)
    finally:
        nl.close()
    path.write_text(DRAFT.replace("status: sent", "status: ready"), encoding="utf-8")
    nl = open_newsletter(nl_dir, env={"LINKLETTER_ARCHIVE_LINKS": "true"})
    try:
        assert "web.archive.org" not in render_issue_page(nl, path)
    finally:
        nl.close()
