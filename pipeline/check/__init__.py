"""Check before send: every quote against its source, every link, the draft's hygiene; and a
record of the sources that outlasts link rot.

    report = check_draft(nl, "drafts/012-issue.md")   # reads only, never writes
    report.ok, report.errors, report.warnings, report.to_json(), report.to_text()

    snapshot_sources(nl, draft) -> str                 # JSON for Issue.snapshot at send time
    archive_url(url, when) -> str                      # Web Archive address for a date
"""

from pipeline.check.checker import check_draft
from pipeline.check.report import CheckReport, Finding, LinkResult, QuoteResult
from pipeline.check.snapshot import archive_url, snapshot_sources

__all__ = ["check_draft", "CheckReport", "Finding", "QuoteResult", "LinkResult", "snapshot_sources", "archive_url"]
