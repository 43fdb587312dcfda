"""Golden files: the email HTML and text of a short English issue and of a long German one
(~25 KB of Markdown, 6 sources, 10 quotes), and both feeds.

After an intended change to the output, regenerate the goldens and review the diff:

    LINKLETTER_UPDATE_GOLDEN=1 python -m pytest tests/test_render_golden.py
    git diff tests/fixtures/render/golden/
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.render.email import render_issue
from pipeline.render.site import build_site, render_issue_page

FIXTURES = Path(__file__).parent / "fixtures" / "render"
GOLDEN = FIXTURES / "golden"
UPDATE = os.environ.get("LINKLETTER_UPDATE_GOLDEN") == "1"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, "utf-8")
        return
    assert path.is_file(), f"{path} is missing; run with LINKLETTER_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text("utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"golden/{name}", "actual", n=1))
        pytest.fail(f"{name} differs from its golden file (LINKLETTER_UPDATE_GOLDEN=1 to accept):\n{diff[:4000]}")


def newsletter(tmp_path: Path, language: str):
    title = {"de": "Wochenlese", "en": "Weekly Reads"}[language]
    root = init_newsletter(tmp_path / language, title=title, language=language, author="Die Redaktion",
                           sender=f"{title} <post@example.org>", base_url="https://news.example.org")
    for name in ("003-short.md", "012-langsamkeit.md"):
        shutil.copyfile(FIXTURES / "drafts" / name, root / "drafts" / name)
    # the German one shows the legal footer (issue 14: imprint link and postal address)
    legal = {"LINKLETTER_POSTAL_ADDRESS": "Die Redaktion, Lindenstraße 5, 37073 Göttingen",
             "LINKLETTER_IMPRINT_URL": "https://news.example.org/impressum.html"} if language == "de" else {}
    return open_newsletter(root, env=legal)


@pytest.fixture
def nl_de(tmp_path):
    nl = newsletter(tmp_path, "de")
    yield nl
    nl.close()


@pytest.fixture
def nl_en(tmp_path):
    nl = newsletter(tmp_path, "en")
    yield nl
    nl.close()


def test_long_german_issue(nl_de):
    draft = nl_de.settings.drafts_dir / "012-langsamkeit.md"
    assert 23_000 < draft.stat().st_size < 27_000
    r = render_issue(nl_de, draft)
    assert len(r.html.encode("utf-8")) < 100_000  # Gmail clips larger messages
    assert r.html.count("<blockquote") == 10 and r.html.count('<p class="attribution"') == 10
    assert "<footer" not in r.html and "<section" not in r.html  # HTML5 elements mail clients drop
    assert len(re.findall(r"^> — .+ \[\d+\]$", r.text, re.M)) == 10  # each quote's attribution
    check_golden("012-langsamkeit.email.html", r.html)
    check_golden("012-langsamkeit.email.txt", r.text)
    check_golden("012-langsamkeit.page.html", render_issue_page(nl_de, draft))


def test_short_english_issue(nl_en):
    r = render_issue(nl_en, nl_en.settings.drafts_dir / "003-short.md")
    check_golden("003-short.email.html", r.html)
    check_golden("003-short.email.txt", r.text)


def test_feeds(nl_de):
    out = build_site(nl_de)
    check_golden("feed.xml", (out / "feed.xml").read_text("utf-8"))
    check_golden("atom.xml", (out / "atom.xml").read_text("utf-8"))


def test_rendering_is_deterministic(nl_de, tmp_path):
    """Goldens only work if nothing depends on the machine: a second folder elsewhere, whose
    files were last changed decades earlier, rendered in a time zone 14 hours ahead, gives the
    same bytes. (The wall clock is covered by the goldens themselves, written on another day.)"""
    a = render_issue(nl_de, nl_de.settings.drafts_dir / "012-langsamkeit.md")
    site_a = build_site(nl_de)
    other = newsletter(tmp_path / "again", "de")
    old = 946_684_800  # 2000-01-01
    for path in other.settings.root.rglob("*"):
        os.utime(path, (old, old))
    saved_tz = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    try:
        assert time.localtime(old).tm_hour == 14  # the other time zone is in force
        b = render_issue(other, other.settings.drafts_dir / "012-langsamkeit.md")
        site_b = build_site(other)
    finally:
        if saved_tz is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = saved_tz
        time.tzset()
        other.close()
    assert (a.html, a.text) == (b.html, b.text)
    for name in ("feed.xml", "atom.xml", "index.html", "issues/12.html", "issues/3.html"):
        assert (site_a / name).read_bytes() == (site_b / name).read_bytes(), name
