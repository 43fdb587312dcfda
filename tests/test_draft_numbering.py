"""A new draft's number and title: the settings first_issue_number and title_pattern, with
the real assembler writing the real file (pipeline/draft/numbering.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline.draft.assemble import assemble
from pipeline.draft.format import read_draft
from pipeline.draft.numbering import draft_title, next_issue_number
from pipeline.models import Issue
from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.settings import SettingsError, load_settings


def _folder(tmp_path, language="en", **settings) -> object:
    title = {"en": "Krasse Links", "de": "Krasse Links"}[language]
    root = init_newsletter(tmp_path / "nl", title=title, language=language, sender=f"{title} <k@example.org>")
    with (root / "linkletter.toml").open("a", encoding="utf-8") as f:
        for key, value in settings.items():
            f.write(f"{key} = {value!r}\n".replace("'", '"'))
    return root


def test_a_newsletter_moving_in_at_issue_27_starts_its_files_at_027(tmp_path):
    nl = open_newsletter(_folder(tmp_path, first_issue_number=27, title_pattern="{title} No {number}"), env={})
    try:
        r = assemble(nl)
    finally:
        nl.close()
    assert (r.issue, r.path.name) == (27, "027-krasse-links.md")
    d = read_draft(r.path)
    assert (d.issue, d.title) == (27, "Krasse Links No 27")


def test_numbering_goes_on_after_the_highest_known_issue_even_above_the_first_number(tmp_path):
    nl = open_newsletter(_folder(tmp_path, first_issue_number=27), env={})
    try:
        with nl.session() as s:  # e.g. an imported archive: issues 1..40 were sent elsewhere
            s.add(Issue(number=40, slug="imported", title="Krasse Links 40", status="sent"))
        r = assemble(nl)
    finally:
        nl.close()
    assert (r.issue, r.path.name) == (41, "041-krasse-links.md")


def test_the_rule_is_max_of_highest_known_and_first_minus_one_plus_one(tmp_path):
    settings = load_settings(_folder(tmp_path, first_issue_number=27), env={})
    assert next_issue_number(settings, []) == 27
    assert next_issue_number(settings, [3, 12]) == 27
    assert next_issue_number(settings, [26]) == 27
    assert next_issue_number(settings, [27]) == 28
    assert next_issue_number(settings, [0, 99]) == 100


def test_the_title_pattern_knows_number_title_and_date(tmp_path):
    when = datetime(2026, 12, 4, 7, 0, tzinfo=timezone.utc)
    de = load_settings(_folder(tmp_path, "de", title_pattern="{title} Nr. {number:03d} vom {date}"), env={})
    assert draft_title(de, 28, when) == "Krasse Links Nr. 028 vom 4. Dezember 2026"
    default_de = load_settings(_folder(tmp_path / "2", "de"), env={})
    assert draft_title(default_de, 28, when) == "Krasse Links, Ausgabe 28"  # the language's own
    default_en = load_settings(_folder(tmp_path / "3"), env={})
    assert draft_title(default_en, 28, when) == "Krasse Links #28"


@pytest.mark.parametrize("key, value, words", [
    ("title_pattern", "{title} vom {date}", "must contain {number}"),
    ("title_pattern", "{title} No {issue}", "got {issue}"),
    ("title_pattern", "{title} No {number", "not a valid pattern"),
    ("title_pattern", "{number:q}", "not a valid pattern"),
    ("first_issue_number", 0, "must be 1 or more"),
    ("first_issue_number", "siebenundzwanzig", "whole number"),
])
def test_bad_values_are_refused_with_key_file_and_line(tmp_path, key, value, words):
    root = _folder(tmp_path, **{key: value})
    with pytest.raises(SettingsError) as e:
        load_settings(root, env={})
    assert f"setting {key!r}" in str(e.value) and words in str(e.value)
    assert "linkletter.toml:" in str(e.value)
