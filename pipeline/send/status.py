"""The send's side commands: a test mail, the count of a dry run, and the status of a send
(see :mod:`pipeline.send.campaign` for the send itself)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from pipeline.draft.format import read_draft
from pipeline.errors import LinkletterError
from pipeline.models import utcnow
from pipeline.send.identity import owner_is_dead
from pipeline.store import deliveries as dstore
from pipeline.store import events as estore
from pipeline.store import issues as istore


def aware(dt: datetime | None) -> datetime | None:
    """A naive time read from the database is UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def send_test(nl, draft_path, address: str, *, render: Callable | None = None) -> str:
    """One copy of the issue, marked as a test, to ``address``; no deliveries. Returns where it went."""
    from pipeline.render.issue import prepare

    prepared = prepare(nl, draft_path)
    draft = prepared.draft
    from pipeline.send.freeze import render_for_send, template_bytes
    from pipeline.send.message import MessageTemplate, fresh_message_id, smtp_address
    from pipeline.send.single import send_message

    rendered = (render or render_for_send)(nl, prepared.sent_on(utcnow()))
    template = MessageTemplate.from_settings(nl.settings, template_bytes(nl.settings, rendered, test=True), draft.issue)
    rcpt = smtp_address(address)
    name = f"test-issue-{draft.issue:04d}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.eml"
    # a Message-ID of its own each time: a corrected proof is a new message, not one the mailbox hides as a repeat
    return send_message(nl.settings, template.fill(0, rcpt, "", msgid=fresh_message_id(nl.settings)), rcpt, name=name)


def count_would_send(nl, draft_path, *, include_new: bool = False) -> int:
    """How many subscribers a send of this draft would mail now (for --dry-run)."""
    draft = read_draft(draft_path)
    with nl.engine.connect() as conn:
        row = istore.issue_by_number(conn, draft.issue)
        if row is None or row["send_started_at"] is None:
            return dstore.count_recipients(conn, None, confirmed_before=None)
        counts = dstore.counts_by_state(conn, row["id"])
        waiting = counts.get("queued", 0) + counts.get("sending", 0)
        new = dstore.count_recipients(conn, row["id"], confirmed_before=None) if include_new else 0
        return waiting + new


@dataclass
class SendStatus:
    issue: int
    status: str
    counts: dict[str, int]
    bounced: int
    started_at: datetime | None
    sent_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    events: dict[str, int] | None = None  # mail events of this issue by kind (what came back)

    def lines(self) -> list[str]:
        c = self.counts
        out = [f"Issue {self.issue}: {self.status}",
               f"  deliveries: {sum(c.values())}  sent: {c.get('sent', 0)}  queued: {c.get('queued', 0)}  "
               f"sending: {c.get('sending', 0)}  failed: {c.get('failed', 0)} ({self.bounced} bounced)"]
        if self.events is not None:
            e = self.events
            out.append(f"  came back: bounced hard: {e.get('hard_bounce', 0)}  soft: {e.get('soft_bounce', 0)}  "
                       f"delayed: {e.get('delayed', 0)}  complained: {e.get('complaint', 0)}  "
                       f"unsubscribed after this issue: {e.get('unsubscribe', 0)}  auto-replies: {e.get('auto_reply', 0)}")
        if self.started_at:
            out.append(f"  started: {self.started_at.isoformat(timespec='seconds')}")
        if self.sent_at:
            out.append(f"  finished: {self.sent_at.isoformat(timespec='seconds')}")
        if self.lease_owner:
            out.append(f"  being sent by {self.lease_owner}"
                       + (" (that process is gone)" if owner_is_dead(self.lease_owner) else ""))
        return out


def started_issues(nl, limit: int = 50) -> list[int]:
    """The numbers of the issues whose send began, newest first."""
    with nl.engine.connect() as conn:
        return istore.started_issue_numbers(conn, limit)


def send_status(nl, draft_path=None) -> SendStatus:
    """Counts of the send of ``draft_path``'s issue, or of the issue sent most recently."""
    number = read_draft(draft_path).issue if draft_path is not None else None
    return issue_status(nl, number)


def issue_status(nl, number: int | None = None) -> SendStatus:
    """Counts of the send of issue ``number``, or of the issue sent most recently."""
    with nl.engine.connect() as conn:
        if number is not None:
            row = istore.issue_by_number(conn, number)
            if row is None:
                raise LinkletterError(f"issue {number} has not been sent yet")
        else:
            row = istore.latest_sending_issue(conn)
            if row is None:
                raise LinkletterError("no issue has been sent yet")
        counts = dstore.counts_by_state(conn, row["id"])
        bounced = dstore.bounced_count(conn, row["id"])
        events = estore.counts_for_issue(conn, row["number"])
    return SendStatus(events=events, issue=row["number"], status=row["status"], counts=counts, bounced=bounced,
                      started_at=aware(row["send_started_at"]), sent_at=aware(row["sent_at"]),
                      lease_owner=row["lease_owner"], lease_expires_at=aware(row["lease_expires_at"]))
