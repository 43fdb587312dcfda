"""Moving in: earlier issues from the platform an author leaves become sent issues here.

``import_archive(nl, source, ...)`` reads an export (pipeline/backissues/readers/: WordPress
WXR, a feed file, Substack, Buttondown, Curated, a folder of Markdown or HTML), converts HTML
to clean Markdown (markdown.py), numbers the issues (plan.py) and writes each as a draft with
``status: sent``, its original date and ``imported_from`` (its old address). It records them
as sent issues (so numbering continues after them) and registers their links and quotes (so
the repeat-link warning of ``check`` knows them). Nothing is mailed; the site shows them in
date order and redirects their old addresses (pipeline/render/redirects.py).

Everything is read and checked before anything is written; importing again changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pipeline.backissues.plan import PlannedIssue, plan_import
from pipeline.backissues.readers import ExportError, OldIssue, detect, open_container, read_export

__all__ = ["ExportError", "ImportReport", "import_archive"]


@dataclass
class ImportReport:
    platform: str
    found: int
    planned: list[PlannedIssue]
    already: list[tuple[OldIssue, object]] = field(default_factory=list)  # (old issue, the draft holding it)
    links: int = 0
    quotes: int = 0
    written: bool = False


def import_archive(nl, source: str | os.PathLike, *, platform: str | None = None, category: str | None = None,
                   title: str | None = None, old_site: str | None = None, first_number: int | None = None,
                   dry_run: bool = False) -> ImportReport:
    """Import the earlier issues in ``source`` (a file, folder or zip). ``platform`` is
    detected when not given; ``category``/``title`` keep only matching posts (WordPress,
    feeds; title also elsewhere); ``old_site`` is a Substack publication's address."""
    from pipeline.backissues.record import record_drafts, record_imported
    from pipeline.draft.format import list_drafts
    from pipeline.files import private_dir
    from pipeline.store.issues import issue_numbers

    container = open_container(source)
    platform = platform or detect(container)
    old = read_export(container, platform, category=category, title=title, old_site=old_site)
    folder = nl.settings.drafts_dir
    drafts = list_drafts(folder) if folder.is_dir() else []
    with nl.engine.connect() as conn:
        taken = issue_numbers(conn)
    planned, again = plan_import(old, drafts, taken, folder, first_number=first_number)
    report = ImportReport(platform=platform, found=len(old), planned=planned, already=again)
    if dry_run:
        return report
    if again:  # a run stopped between the files and the database is finished now; else a no-op
        record_drafts(nl, [draft for _old, draft in again])
    if planned:
        private_dir(folder)
        report.links, report.quotes = record_imported(nl, planned)
        report.written = True
    return report
