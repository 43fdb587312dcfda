"""One subscriber's life: added, subscribed on the form, confirmed, unsubscribed, removed,
their links revoked; and the confirmation mail (see the state machine in ``__init__``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator, Protocol

from pipeline.models import Subscriber, utcnow
from pipeline.store import subscribers as store
from pipeline.subscribers.addresses import (LEFT, MAX_TEXT, MAX_USER_AGENT, STATUSES, SubscriberError, _one_line,
                                            clean_name, email_hash, normalize_email)

# ------------------------------------------------------------------ one subscriber

@dataclass(frozen=True)
class Added:
    subscriber: Subscriber
    outcome: str  # 'added' | 'activated' | 'unchanged'


def add_subscriber(nl, email: str, *, name: str = "", status: str = "active", source: str = "cli",
                   consent_text: str | None = None) -> Added:
    """Add one subscriber by hand (active or pending). A pending address becomes active when
    added as active; people who left or were removed are refused with a SubscriberError."""
    if status not in ("active", "pending"):
        raise SubscriberError(f"status must be active or pending, got {status!r}")
    addr = normalize_email(email)
    name = clean_name(name)
    now = utcnow()
    with nl.session() as s:
        if store.is_suppressed(s, email_hash(addr)):
            raise SubscriberError(f"{addr} was removed at the person's request and is never added again")
        sub = store.get_by_email(s, addr)
        if sub is not None:
            if sub.status in LEFT:
                raise SubscriberError(f"{addr} is {sub.status}; it is not made active again "
                                      f"(only the person can subscribe again, through the form)")
            if sub.status == "pending" and status == "active":
                store.set_status(s, sub.id, "active", from_statuses=("pending",), confirmed_at=now)
                s.refresh(sub)
                return Added(sub, "activated")
            return Added(sub, "unchanged")
        sub = store.insert_one(s, dict(
            email=addr, name=name, status=status, created_at=now,
            confirmed_at=now if status == "active" else None,
            consent_source=source, consent_text=consent_text or "added with linkletter subscribers add",
            consent_at=now))
        return Added(sub, "added")


def get_subscriber(nl, subscriber_id: int) -> Subscriber | None:
    with nl.session() as s:
        return store.get_by_id(s, subscriber_id)


def find_subscriber(nl, email: str) -> Subscriber | None:
    with nl.session() as s:
        return store.get_by_email(s, normalize_email(email))


def list_subscribers(nl, status: str | None = None) -> Iterator[dict]:
    """Every subscriber as a dict of its columns, in id order, streamed (bounded memory)."""
    if status is not None and status not in STATUSES:
        raise SubscriberError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    with nl.engine.connect() as conn:
        yield from store.iter_subscribers(conn, status)


def count_subscribers(nl) -> dict[str, int]:
    """Subscribers per status, every status present (0 when none)."""
    with nl.session() as s:
        counts = store.count_by_status(s)
    return {st: counts.get(st, 0) for st in STATUSES}


def remove_subscriber(nl, email: str) -> bool:
    """GDPR erasure: delete the person's row and deliveries, keep only a hash of the address
    so it is never mailed or imported again. True if someone was removed; the hash is kept
    even when the address was unknown (the request still says: never mail this address)."""
    addr = normalize_email(email)
    with nl.session() as s:
        sub = store.get_by_email(s, addr)
        if sub is not None:
            store.delete_subscriber(s, sub.id)
        from pipeline.store import events as estore

        estore.delete_events_of(s, sub.id if sub is not None else -1, addr)  # they name the person too
        store.add_suppression(s, email_hash(addr), "removed")
    if sub is not None:  # the file outbox holds copies of the mails sent to them: those go too
        for path in nl.settings.outbox_dir.glob(f"issue-*-sub-{sub.id:08d}.eml"):
            path.unlink(missing_ok=True)
    return sub is not None


# ------------------------------------------------------------------ the web's state changes

# A pending address gets at most one confirmation mail in this time (its consent_at is when the
# last one was asked for). Long enough to stop mail bombing, short enough for a person whose
# mail got lost to try again.
CONFIRMATION_INTERVAL = timedelta(minutes=10)


def _mailed_recently(consent_at: datetime | None, now: datetime) -> bool:
    if consent_at is None:
        return False
    if consent_at.tzinfo is None:  # a driver handing back naive UTC
        consent_at = consent_at.replace(tzinfo=timezone.utc)
    return now - consent_at < CONFIRMATION_INTERVAL


class Throttle(Protocol):
    def allow(self, addr: str) -> bool: ...  # counts one confirmation mail to addr; False: none may go


@dataclass(frozen=True)
class Subscribed:
    subscriber_id: int | None
    send_confirmation: bool  # False: nothing to mail (already active, or blocked)
    outcome: str  # 'new' | 'pending-again' | 'recently-mailed' | 'resubscribed' | 'already-active' | 'blocked'
    #               | 'throttled'


def subscribe(nl, email: str, name: str = "", *, ip: str | None, user_agent: str | None,
              consent_text: str, throttle: Throttle | None = None, page: str | None = None) -> Subscribed:
    """A person asked through the form. Records consent (source 'form', IP, user agent, the
    text shown, ``page``: the site page the form was reached from) and says whether a confirmation mail should go out: not for a pending address
    mailed less than CONFIRMATION_INTERVAL ago, and not when ``throttle`` refuses (then nothing
    is stored either: outcome 'throttled'). See the module docstring for which statuses may
    subscribe again."""
    addr = normalize_email(email)
    name = clean_name(name)
    now = utcnow()
    consent = dict(consent_source="form", consent_ip=_one_line(ip, 64),
                   consent_user_agent=_one_line(user_agent, MAX_USER_AGENT),
                   consent_text=(consent_text or "")[:MAX_TEXT], consent_at=now, consent_page=_one_line(page, 200))
    with nl.session() as s:
        if store.is_suppressed(s, email_hash(addr)):
            return Subscribed(None, False, "blocked")
        sub = store.get_by_email(s, addr)
        if sub is None:
            if throttle is not None and not throttle.allow(addr):
                return Subscribed(None, False, "throttled")
            sub = store.insert_one(s, dict(email=addr, name=name, status="pending", created_at=now, **consent))
            return Subscribed(sub.id, True, "new")
        if sub.status == "active":
            return Subscribed(sub.id, False, "already-active")
        if sub.status in ("bounced", "complained"):
            return Subscribed(sub.id, False, "blocked")
        if sub.status == "pending" and _mailed_recently(sub.consent_at, now):
            # Someone posting the form again and again must not flood the address (the rate limit
            # is per IP only). Nothing changes, so the window runs from the last mail sent; the
            # page is the same as for every outcome (no enumeration).
            return Subscribed(sub.id, False, "recently-mailed")
        if throttle is not None and not throttle.allow(addr):
            return Subscribed(sub.id, False, "throttled")
        outcome = "pending-again" if sub.status == "pending" else "resubscribed"
        store.update_fields(s, sub.id, dict(status="pending", name=name or sub.name, **consent))
        return Subscribed(sub.id, True, outcome)


def confirm(nl, subscriber_id: int) -> str:
    """The person pressed the confirm button: pending → active.
    Returns 'confirmed', 'already-active', or 'not-pending' (unknown, left, or removed)."""
    with nl.session() as s:
        if store.set_status(s, subscriber_id, "active", from_statuses=("pending",), confirmed_at=utcnow()):
            return "confirmed"
        sub = store.get_by_id(s, subscriber_id)
        return "already-active" if sub is not None and sub.status == "active" else "not-pending"


def unsubscribe(nl, subscriber_id: int, *, source: str = "web") -> str:
    """Unsubscribe (idempotent). Returns 'unsubscribed' or 'already' (also for removed people:
    they get no mail either way). Recorded as a mail event of the last issue they were sent
    (for "unsubscribed after this issue"); ``source``: web (the page and RFC 8058 one-click)."""
    from pipeline.inbound.record import event_key
    from pipeline.store import events as estore

    with nl.session() as s:
        now = utcnow()
        if store.set_status(s, subscriber_id, "unsubscribed", from_statuses=("active", "pending"), unsubscribed_at=now):
            issue = estore.latest_issue_sent_to(s, subscriber_id)
            estore.insert_event(s, dict(kind="unsubscribe", subscriber_id=subscriber_id, issue_number=issue,
                                        source=source, reason="unsubscribe link", created_at=now,
                                        event_key=event_key("unsubscribe", subscriber_id, issue)))
            return "unsubscribed"
        return "already"


def revoke_links(nl, email: str) -> int:
    """Make every unsubscribe link mailed to ``email`` so far invalid (a leaked link, without
    rotating the secret key for everyone); the next mails carry new ones. Returns the new
    link generation; SubscriberError for an address that is not a subscriber."""
    addr = normalize_email(email)
    with nl.session() as s:
        sub = store.get_by_email(s, addr)
        if sub is None:
            raise SubscriberError(f"{addr} is not a subscriber")
        return store.raise_link_generation(s, sub.id)


def subscriber_for_unsubscribe(nl, token: str) -> int:
    """The subscriber id of an unsubscribe token that is genuine and of its subscriber's current
    link generation (TokenError otherwise). A removed person's genuine token is accepted: they
    get no mail either way, and saying so tells nothing."""
    from pipeline.tokens import TokenError, verify_unsubscribe_link

    sid, generation = verify_unsubscribe_link(nl.settings.secret_key, token)
    with nl.session() as s:
        current = store.link_generation(s, sid)
    if current is not None and current != generation:
        raise TokenError("this unsubscribe link is not valid")
    return sid


def send_confirmation(nl, subscriber_id: int) -> str | None:
    """Mail the double opt-in link to a pending subscriber. Returns where the mail went.
    Built and sent like an issue: one builder, one signer, one transport."""
    from pipeline.render.email import system_mail
    from pipeline.send.single import send_message
    from pipeline.tokens import confirm_url

    sub = get_subscriber(nl, subscriber_id)
    if sub is None or sub.status != "pending":
        return None
    data = system_mail(nl, "confirm", to_addr=sub.email, to_name=sub.name or "",
                       confirm_url=confirm_url(nl.settings, sub.id))
    return send_message(nl.settings, data, sub.email)


# ------------------------------------------------------------------ what came back (issue 15)

def subscriber_events(nl, email: str) -> tuple[Subscriber, list[dict]]:
    """The subscriber of ``email`` and every mail event about them (bounces, complaints,
    unsubscribes, auto-replies), newest first; SubscriberError for an address that is not one."""
    from pipeline.store import events as estore

    addr = normalize_email(email)
    with nl.session() as s:
        sub = store.get_by_email(s, addr)
        if sub is None:
            raise SubscriberError(f"{addr} is not a subscriber")
        return sub, estore.events_of_subscriber(s, sub.id, addr)


def reactivate(nl, email: str) -> str:
    """The author's deliberate decision to mail a bounced or complained address again: it
    becomes active, and the soft bounces before now no longer count. Returns the old status;
    SubscriberError for anyone else (unsubscribed people come back only through the form)."""
    from pipeline.inbound.record import REACTIVATED, event_key
    from pipeline.store import events as estore

    addr = normalize_email(email)
    now = utcnow()
    with nl.session() as s:
        sub = store.get_by_email(s, addr)
        if sub is None:
            raise SubscriberError(f"{addr} is not a subscriber")
        old = sub.status
        if old not in ("bounced", "complained"):
            raise SubscriberError(f"{addr} is {old}; only bounced or complained addresses are reactivated")
        store.set_status(s, sub.id, "active", from_statuses=(old,), confirmed_at=sub.confirmed_at or now)
        estore.insert_event(s, dict(kind="other", subscriber_id=sub.id, address=addr, source=REACTIVATED,
                                    reason=f"reactivated by the author (was {old})", created_at=now,
                                    event_key=event_key("reactivate", sub.id, now.isoformat())))
        return old
