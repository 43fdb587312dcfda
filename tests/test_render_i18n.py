"""Everything readers see besides the author's text comes in German and English."""

from __future__ import annotations

import re
import string
from datetime import datetime, timezone

import feedparser
import pytest

from pipeline.i18n import LANGUAGES, STRINGS, VARIANTS, format_date, t
from pipeline.templates import FOLDER as TEMPLATES
from pipeline.render.site import build_site


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_string_in_both_languages_with_the_same_placeholders(key):
    assert set(STRINGS[key]) - set(VARIANTS) == set(LANGUAGES)  # + de_du, the informal German (test_i18n_address.py)
    assert all(STRINGS[key][lang].strip() for lang in LANGUAGES)
    assert fields(STRINGS[key]["de"]) == fields(STRINGS[key]["en"])


def test_every_key_the_templates_use_exists():
    used = set()
    for path in TEMPLATES.glob("*/*"):
        if path.parent.name in ("email", "site"):
            used |= set(re.findall(r"t\('([a-z_.]+)'", path.read_text("utf-8")))
    assert used and used <= set(STRINGS), used - set(STRINGS)


def test_lookup_and_dates():
    assert t("de", "issue.number", number=7) == "Ausgabe 7"
    assert t("en", "issue.number", number=7) == "Issue 7"
    when = datetime(2026, 3, 1, 7, 0, tzinfo=timezone.utc)
    assert format_date("de", when) == "1. März 2026" and format_date("en", when) == "1 March 2026"
    with pytest.raises(KeyError):
        t("fr", "issue.number", number=1)
    with pytest.raises(KeyError):
        t("en", "no.such.key")


def test_a_site_without_published_issues(nl):
    out = build_site(nl)
    assert "No issues have been published yet." in (out / "index.html").read_text("utf-8")
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert feed.bozo == 0 and feed.entries == []
    assert not (out / "issues").exists()
