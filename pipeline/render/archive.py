"""The archive shows what was mailed.

When an issue goes out, the send freezes its body on the issue row (``frozen_html``, the
sanitized HTML body; ``frozen_text``, the plain text body; ``title``). The site's page of a
sent issue, its index entry and its feed items are made from that frozen body, not from the
draft as it is now: editing a sent draft changes nothing a reader of the archive sees.

A correction is an explicit, recorded step: :func:`correct_issue` (``linkletter render N
--correct "why"``) freezes the draft's current body in place of the old one and appends a
record (when, why, and the body it replaced) to the issue's snapshot JSON under
``corrections``. The message as mailed (``frozen_mime``) is never touched.

The preheader is the draft's ``preheader`` if it sets one (there is no column for it), else
the first paragraph of the frozen text; the summary (pipeline/render/summary.py) is the draft's
``summary``, else that preheader, else the first sentence of substance of the frozen text. Issues frozen before this rule (whose ``frozen_html`` is a whole email document) are shown
from their draft, as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from pipeline.errors import LinkletterError
from pipeline.render.issue import PreparedIssue, default_preheader, prepare
from pipeline.render.summary import summary_of
from pipeline.store import issues as istore


def _is_body(html: str | None) -> bool:
    return html is not None and not html.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


def as_mailed(nl, issues: list[PreparedIssue]) -> list[PreparedIssue]:
    """Each issue whose send began with its frozen body and title in place of the draft's."""
    with nl.engine.connect() as conn:
        frozen = istore.frozen_issues(conn)
    out = []
    for p in issues:
        row = frozen.get(p.number)
        if row is not None and _is_body(row["frozen_html"]):
            draft = replace(p.draft, title=row["title"]) if row["title"] else p.draft
            text = row["frozen_text"] or p.text
            preheader = draft.preheader if draft.preheader is not None else default_preheader(text)
            summary = summary_of(draft.summary, draft.preheader, text)
            p = replace(p, draft=draft, html=row["frozen_html"], text=text, preheader=preheader, summary=summary)
        out.append(p)
    return out


@dataclass(frozen=True)
class Correction:
    issue: int
    at: datetime
    note: str
    changed: bool  # False: the draft's body was what the archive showed already


def correct_issue(nl, draft, note: str) -> Correction:
    """Freeze the current body of ``draft`` (a path or a prepared issue) as the archived
    version of its sent issue, and record the correction. ``note`` says why (required)."""
    note = " ".join((note or "").split())
    if not note:
        raise LinkletterError("a correction needs a note saying what was corrected and why")
    prepared = prepare(nl, draft)
    with nl.engine.connect() as conn:
        row = istore.issue_by_number(conn, prepared.number)
    if row is None or row["send_started_at"] is None:
        raise LinkletterError(f"issue {prepared.number} was never sent: there is nothing to correct "
                              f"(the archive shows a draft's current text until it is sent)")
    at = datetime.now(timezone.utc).replace(microsecond=0)
    old_html, old_text = row["frozen_html"], row["frozen_text"]
    changed = old_html != prepared.html or (row["title"] or "") != prepared.draft.title
    try:
        record = json.loads(row["snapshot"]) if row["snapshot"] else {}
    except ValueError:
        record = {"unreadable_snapshot": row["snapshot"]}
    record.setdefault("corrections", []).append({
        "at": at.isoformat(), "note": note, "previous_title": row["title"],
        "previous_html": old_html if _is_body(old_html) else None, "previous_text": old_text,
    })
    with nl.engine.begin() as conn:
        istore.correct_frozen(conn, row["id"], html=prepared.html, text=prepared.text, title=prepared.draft.title,
                              snapshot=json.dumps(record, ensure_ascii=False))
    return Correction(issue=prepared.number, at=at, note=note, changed=changed)
