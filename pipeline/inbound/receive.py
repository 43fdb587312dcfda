"""The intake: one message that came back by mail (a pipe from the MTA, the IMAP poll), read,
classified, tied to its delivery and recorded through :func:`pipeline.inbound.record.record_event`
(the same function the webhooks call). What cannot be used is kept for the author in
``inbound/kept/`` (owner-only), never lost and never bounced back.

Who a bounce is about, most certain first: the signed delivery tag of the bounce address it
came to (VERP); a Message-ID of ours in the returned original; with no ``bounce_address`` set,
the address the report names, matched exactly against the subscribers. With ``bounce_address``
set, a bounce that proves neither is recorded as ``other`` and changes nobody: the bounce
address is public, and an unproven report must not suppress a reader.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from pipeline.inbound.addresses import Tag, read_message_id, read_tag
from pipeline.inbound.classify import Finding, Reading, classify
from pipeline.inbound.record import InboundEvent, RecordResult, bounded, event_key, record_event
from pipeline.states import MailEventKind

_BOUNCES = ("hard_bounce", "soft_bounce", "delayed", "complaint")
_SEVERITY = ("complaint", "hard_bounce", "unsubscribe", "soft_bounce", "delayed", "auto_reply", "other")


@dataclass(frozen=True)
class InboundResult:
    kind: str  # the weightiest kind recorded (complaint > hard_bounce > unsubscribe > ... > other)
    events: list[RecordResult] = field(default_factory=list)
    kept: Path | None = None  # where the message was kept for the author, if it was
    note: str = ""  # why it was kept or changed nothing

    @property
    def duplicate(self) -> bool:
        """Every event of this message had been recorded before (read twice)."""
        return bool(self.events) and not any(e.recorded for e in self.events)

    def summary(self) -> str:
        changed = [f"#{e.subscriber_id} {e.new_status}" for e in self.events if e.new_status]
        parts = [self.kind, f"{len(self.events)} event(s)" + (" (seen before)" if self.duplicate else "")]
        if changed:
            parts.append("now " + ", ".join(changed))
        if self.kept:
            parts.append(f"kept as {self.kept.name}")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


def kept_dir(settings) -> Path:
    return settings.root / "inbound" / "kept"


def keep(settings, data: bytes, key: str) -> Path:
    """Keep a message for the author (owner-only, written atomically, one file per message)."""
    from pipeline.send.transports import write_outbox

    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.eml"
    return write_outbox(kept_dir(settings), data, name)


def receive_message(nl, raw: bytes, *, source: str = "inbound", recipients: Sequence[str] = ()) -> InboundResult:
    """Read, classify and record one message that came back (see the module docstring).
    ``recipients``: envelope recipients the MTA told us (Postfix and Exim export $RECIPIENT),
    looked at before the headers. Raises sqlalchemy's OperationalError when the database is
    busy or locked (a pipe then exits EX_TEMPFAIL so that the MTA retries)."""
    settings = nl.settings
    limit = max(settings.inbound_max_bytes, 1024)
    data = raw[:limit]
    reading = classify(data, recipients=list(recipients), truncated=len(raw) > limit)
    base = reading.message_id or "sha256:" + hashlib.sha256(data).hexdigest()
    tags = [t for t in (read_tag(settings, a) for a in reading.recipients) if t is not None]
    events = [_event(nl, reading, f, tags, source, base) for f in _findings(reading, tags)]
    results = [record_event(nl, ev) for ev in events]
    kinds = [r.kind for r in results] or ["other"]
    kind = min(kinds, key=_SEVERITY.index)
    note = reading.problem or "; ".join(r.note for r in results if r.note)
    kept = None
    if kind == MailEventKind.OTHER and any(r.recorded for r in results):
        kept = keep(settings, data, base)
    return InboundResult(kind=kind, events=results, kept=kept, note=bounded(note, 300))


def _findings(reading: Reading, tags: list[Tag]) -> list[Finding]:
    if reading.problem:
        return [Finding("other", None, reading.problem)]
    bounces = [f for f in reading.findings if f.kind in _BOUNCES]
    unsub = next((t for t in tags if t.kind == "unsubscribe"), None)
    if unsub is not None and not bounces:
        if reading.auto_submitted:  # RFC 3834: a machine's answer is not the person leaving
            return [Finding("auto_reply", None, "an automatic message to an unsubscribe address")]
        return [Finding("unsubscribe", None, f"mailto unsubscribe (subject: {reading.subject[:120]})")]
    if reading.findings:
        return reading.findings
    return [Finding("other", None, f"not a bounce, complaint or unsubscribe (from {reading.sender[:120]}, "
                                   f"subject {reading.subject[:120]})")]


def _event(nl, reading: Reading, f: Finding, tags: list[Tag], source: str, base: str) -> InboundEvent:
    settings = nl.settings
    key = event_key("mail", base, f.kind, (f.address or "").lower())
    common = dict(source=source, event_key=key, reason=f.reason, address=f.address)
    if f.kind == "unsubscribe":
        tag = next(t for t in tags if t.kind == "unsubscribe")
        if not _current_generation(nl, tag):
            return InboundEvent(kind="other", **{**common, "reason": "a revoked unsubscribe address; " + f.reason})
        return InboundEvent(kind="unsubscribe", subscriber_id=tag.subscriber_id, issue_number=tag.issue,
                            **{**common, "event_key": event_key("unsubscribe", tag.subscriber_id, tag.issue)})
    if f.kind == "other":
        return InboundEvent(kind="other", **common)
    verp = next((t for t in tags if t.kind in ("verp", "forged")), None)
    if verp is not None:
        return InboundEvent(kind=f.kind, verp=verp.address, **common)
    ours = next((m for m in reading.original_ids if read_message_id(settings, m)), None)
    if ours is not None:
        return InboundEvent(kind=f.kind, message_id=ours, **common)
    if settings.bounce_address and f.kind in _BOUNCES:
        return InboundEvent(kind="other", **{**common, "reason": f"not applied ({f.kind}): it came to no signed "
                                                               f"bounce address and returns no mail of ours; {f.reason}"})
    if f.kind == "auto_reply":
        return InboundEvent(kind="auto_reply", **common)
    return InboundEvent(kind=f.kind, **common)


def _current_generation(nl, tag: Tag) -> bool:
    """A mailto unsubscribe address is revoked with its subscriber's links (revoke-links)."""
    from pipeline.store import subscribers as sstore

    with nl.session() as s:
        current = sstore.link_generation(s, tag.subscriber_id)
    return current is None or current == tag.generation
