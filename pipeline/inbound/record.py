"""One record-and-act function for everything that came back, whichever way it came in
(:func:`record_event`): the event is stored once (its ``event_key``), tied to its delivery,
issue and subscriber, and the suppression rules are applied in the same transaction:

- ``hard_bounce``: the subscriber is ``bounced`` at once;
- ``soft_bounce``: ``bounced`` once ``soft_bounce_limit`` of them came within ``soft_bounce_days``
  (counted from the author's last reactivation, if later);
- ``complaint``: ``complained`` at once;
- ``unsubscribe``: ``unsubscribed``;
- ``delayed``, ``auto_reply``, ``other``: stored, nothing changes.

A suppressed address is mailed by no path again (sends take only ``active`` subscribers; add,
import and the form leave bounced and complained people as they are) until the author runs
``linkletter subscribers reactivate``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from pipeline.models import utcnow
from pipeline.states import MailEventKind, SubscriberStatus
from pipeline.store import events as estore
from pipeline.store import subscribers as sstore

MAX_REASON = 1000  # characters of a raw reason that are kept
MAX_KEY = 200
REACTIVATED = "reactivate"  # the source of the author's reactivation, an 'other' event

# kind -> (new status, the statuses it may come from)
_MOVES = {
    MailEventKind.HARD_BOUNCE: (SubscriberStatus.BOUNCED, ("active", "pending")),
    MailEventKind.SOFT_BOUNCE: (SubscriberStatus.BOUNCED, ("active", "pending")),
    MailEventKind.COMPLAINT: (SubscriberStatus.COMPLAINED, ("active", "pending", "unsubscribed", "bounced")),
    MailEventKind.UNSUBSCRIBE: (SubscriberStatus.UNSUBSCRIBED, ("active", "pending")),
}


@dataclass(frozen=True)
class InboundEvent:
    """An event already classified (a webhook's, or one the intake read from a message).

    Who it is about, most certain first: ``verp`` (an address with a signed delivery tag),
    ``delivery_id`` (from a trusted source only), ``message_id`` (a Message-ID this newsletter
    wrote), ``subscriber_id`` (trusted), ``address`` (the address the event named, matched
    exactly). ``event_key`` makes it idempotent (a provider's event id; see :func:`event_key`)."""

    kind: str
    source: str
    event_key: str
    reason: str = ""
    address: str | None = None
    delivery_id: int | None = None
    verp: str | None = None
    message_id: str | None = None
    subscriber_id: int | None = None
    issue_number: int | None = None


@dataclass(frozen=True)
class RecordResult:
    recorded: bool  # False: an event with this key was recorded before (nothing done again)
    event_id: int | None
    kind: str  # as stored ('other' when the event could not be trusted)
    subscriber_id: int | None
    issue_number: int | None
    delivery_id: int | None
    new_status: str | None  # the subscriber's status when this event changed it
    note: str = ""  # why nothing was changed, for logs and the CLI


def event_key(*parts: object) -> str:
    """A stable key from the parts that identify one event (e.g. message id, recipient, kind)."""
    return "h:" + hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "replace")).hexdigest()[:40]


def bounded(text: str | None, limit: int = MAX_REASON) -> str:
    return (text or "").replace("\x00", "")[:limit]


def _resolve(conn, settings, ev: InboundEvent) -> tuple[str, int | None, int | None, int | None, str]:
    """(kind, subscriber id, issue, delivery id, note) the event is about."""
    from pipeline.inbound.addresses import read_message_id, read_tag
    from pipeline.subscribers.addresses import SubscriberError, normalize_email

    kind, sid, issue, did, note = ev.kind, ev.subscriber_id, ev.issue_number, ev.delivery_id, ""
    if ev.verp:
        tag = read_tag(settings, ev.verp)
        if tag is None or tag.kind == "forged":
            return MailEventKind.OTHER, None, None, None, f"not applied ({kind}): {ev.verp[:120]!r} is no bounce address of ours"
        if tag.kind == "verp":
            did = tag.delivery_id
        else:
            sid, issue = tag.subscriber_id, tag.issue
    if did is not None and sid is None:
        target = estore.delivery_target(conn, did)
        if target is None:
            return MailEventKind.OTHER, None, None, did, f"not applied ({kind}): no delivery #{did} (removed, or never ours)"
        sid, issue = target
    if sid is None and ev.message_id:
        found = read_message_id(settings, ev.message_id)
        if found is not None:
            issue, sid = found
            did = estore.delivery_of(conn, issue, sid)
    if sid is None and ev.address:
        try:
            sub = sstore.get_by_email(conn, normalize_email(ev.address))
        except SubscriberError:
            sub = None
        sid = sub.id if sub is not None else None
        if sid is None:
            note = "names no subscriber"
    return kind, sid, issue, did, note


def record_event(nl, event: InboundEvent) -> RecordResult:
    """Store ``event`` once and apply the suppression rules (module docstring), in one
    transaction. Idempotent by ``event.event_key``. Raises sqlalchemy's OperationalError
    when the database is busy or locked (the caller retries later)."""
    settings = nl.settings
    with nl.session() as s:
        kind, sid, issue, did, note = _resolve(s, settings, event)
        if kind not in set(MailEventKind):
            kind, note = MailEventKind.OTHER, f"unknown kind {event.kind[:40]!r}"
        now = utcnow()
        if issue is None and sid is not None and kind == MailEventKind.UNSUBSCRIBE:
            issue = estore.latest_issue_sent_to(s, sid)
        values = dict(kind=str(kind), subscriber_id=sid, issue_number=issue, delivery_id=did,
                      address=bounded(event.address, 320) or None, source=bounded(event.source, 60),
                      reason=bounded("; ".join(x for x in (note, event.reason) if x)) or None,
                      event_key=bounded(event.event_key, MAX_KEY), created_at=now)
        eid = estore.insert_event(s, values)
        if eid is None:
            return RecordResult(False, None, str(kind), sid, issue, did, None, "recorded before")
        new = apply_rules(s, settings, kind, sid, now) if sid is not None else None
        return RecordResult(True, eid, str(kind), sid, issue, did, new, note)


def apply_rules(conn, settings, kind: str, sid: int, now) -> str | None:
    """Change the subscriber's status as the event kind says; the new status, or None."""
    move = _MOVES.get(kind)
    if move is None:
        return None
    status, sources = move
    if kind == MailEventKind.SOFT_BOUNCE:
        since = now - timedelta(days=settings.soft_bounce_days)
        reactivated = estore.last_event_at(conn, sid, MailEventKind.OTHER, REACTIVATED)
        if reactivated is not None and _aware(reactivated) > since:
            since = _aware(reactivated)
        if estore.count_kind_since(conn, sid, MailEventKind.SOFT_BOUNCE, since) < max(settings.soft_bounce_limit, 1):
            return None
    times = {"unsubscribed_at": now} if status == SubscriberStatus.UNSUBSCRIBED else {}
    return str(status) if sstore.set_status(conn, sid, str(status), from_statuses=sources, **times) else None


def _aware(dt):
    from datetime import timezone

    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
