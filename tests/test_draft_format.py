"""The draft file format: front matter read with clear file:line errors; updates keep the body."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pipeline.draft.format import list_drafts, read_draft, update_front_matter
from pipeline.errors import DraftError

GOOD = """---
issue: 7
title: "Weekly Reads #7"
subject: „Langsamkeit“ und Ärger
status: ready
send_at: 2026-12-01T07:00:00+01:00
---
Intro with „German quotes“ and a non\u00a0breaking space.

> A quote.
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_front_matter_and_body(tmp_path):
    d = read_draft(write(tmp_path, "007-slow.md", GOOD))
    assert (d.issue, d.title, d.status, d.slug) == (7, "Weekly Reads #7", "ready", "slow")
    assert d.subject_line == "„Langsamkeit“ und Ärger"
    assert d.send_at == datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
    assert d.body.startswith("Intro with „German quotes“")
    assert d.body_line == 8


@pytest.mark.parametrize("text, line, words", [
    ("no front matter\n", 1, "must start with front matter"),
    ("---\nissue: 1\ntitle: x\n", 1, "never closed"),
    ("---\nissue: 1\ntitle: [unclosed\n---\nbody\n", 4, "not valid YAML"),
    ("---\nissue: 1\ntitle: x\nstatus: done\n---\n", 4, "unknown status 'done'"),
    ("---\ntitle: x\nissue: zwei\n---\n", 3, "'issue' must be a whole number"),
    ("---\nissue: 1\nstauts: draft\n---\n", 3, "unknown front matter key 'stauts'"),
    ("---\nissue: 1\nsend_at: 2026-12-01T07:00:00\n---\n", 3, "needs an offset"),
    ("---\nissue: 1\nsend_at: next tuesday\n---\n", 3, "ISO 8601"),
])
def test_broken_drafts_name_file_and_line(tmp_path, text, line, words):
    p = write(tmp_path, "001-x.md", text)
    with pytest.raises(DraftError) as e:
        read_draft(p)
    assert str(e.value).startswith(f"{p}:{line}: ")
    assert words in str(e.value)


def test_two_drafts_with_one_issue_number(tmp_path):
    write(tmp_path, "007-a.md", GOOD)
    b = write(tmp_path, "007-b.md", GOOD.replace("status: ready", "status: draft"))
    with pytest.raises(DraftError, match="issue 7 is already used by 007-a.md") as e:
        list_drafts(tmp_path)
    assert str(e.value).startswith(f"{b}:2:")


def test_update_front_matter_keeps_every_other_byte(tmp_path):
    p = write(tmp_path, "007-slow.md", GOOD)
    before = p.read_bytes()
    when = datetime(2026, 12, 1, 7, 0, 12, tzinfo=timezone(timedelta(hours=1)))
    d = update_front_matter(p, status="sent", date=when)
    assert (d.status, d.date) == ("sent", when)
    after = p.read_bytes()
    assert after.split(b"---\n", 2)[2] == before.split(b"---\n", 2)[2]
    assert b"status: sent\n" in after and b"date: 2026-12-01T07:00:12+01:00\n" in after
    assert after.replace(b"status: sent", b"status: ready").replace(b"date: 2026-12-01T07:00:12+01:00\n", b"") == before


def test_editor_lock_files_and_a_readme_are_not_drafts(tmp_path):
    write(tmp_path, "007-slow.md", GOOD)
    write(tmp_path, "README.md", "How to write drafts\n")
    (tmp_path / ".#007-slow.md").symlink_to(tmp_path / "nowhere")
    assert [d.issue for d in list_drafts(tmp_path)] == [7]


def test_new_files_get_the_usual_mode_and_replaced_files_keep_theirs(tmp_path):
    import os
    import stat

    from pipeline.files import write_atomic

    old = os.umask(0o022)
    try:
        new = tmp_path / "feed.xml"
        write_atomic(new, b"<rss/>")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # a web server user can read the site
        kept = tmp_path / "private.md"
        kept.write_bytes(b"x")
        kept.chmod(0o600)
        write_atomic(kept, b"y")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    finally:
        os.umask(old)
