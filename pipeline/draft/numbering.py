"""A new draft's number and title.

The number: one more than the highest issue known (a draft file in ``drafts/``, an issue in
the database: sent, imported or planned), but at least ``first_issue_number``, so a
newsletter moving in after issue 26 elsewhere starts at 27 (file ``027-...``) and numbering
goes on from the highest issue from then on: ``max(highest known, first_issue_number - 1) + 1``.

The title: the setting ``title_pattern`` (``{number}``, ``{title}`` = the newsletter's
title, ``{date}`` = the day the draft is made, written the way readers of the language write
dates), else the language's pattern (string ``draft.title``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from pipeline.i18n import format_date, t


def next_issue_number(settings, known: Iterable[int]) -> int:
    """The number of the next new draft, given every issue number known."""
    return max([*known, settings.first_issue_number - 1]) + 1


def draft_title(settings, number: int, when: datetime | None = None) -> str:
    """The title of a new draft of issue ``number`` made at ``when`` (default: now)."""
    pattern = settings.title_pattern or t(settings.locale, "draft.title")
    when = when or datetime.now().astimezone()
    return pattern.format(number=number, title=settings.title, date=format_date(settings.language, when))
