"""``linkletter render``: one draft's email HTML, plain text and web page, written to a folder
for looking at them before sending."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.draft.format import Draft
from pipeline.render.email import email_from
from pipeline.render.issue import load, prepare
from pipeline.render.site import page_from
from pipeline.render.writer import Writer

EMAIL_HTML, EMAIL_TEXT, PAGE = "email.html", "email.txt", "page.html"


def default_out_dir(settings, draft: Draft) -> Path:
    return settings.root / "build" / f"{draft.issue:03d}-{draft.slug}"


def write_issue_files(nl, draft: Draft | str | os.PathLike, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """Render the draft (any status) and write email.html, email.txt and page.html into
    ``out_dir`` (default ``build/NNN-slug/`` in the folder). Nothing is written unless all
    three rendered."""
    draft = load(draft)
    prepared = prepare(nl, draft)
    email = email_from(nl, prepared)
    page = page_from(nl, prepared)
    writer = Writer(Path(out_dir) if out_dir is not None else default_out_dir(nl.settings, draft))
    writer.add(EMAIL_HTML, email.html)
    writer.add(EMAIL_TEXT, email.text)
    writer.add(PAGE, page)
    return writer.commit()
