"""A generic signed JSON webhook: ``POST /webhooks/generic``, for a relay or a script of the
author's own (documented in the README, "Webhooks").

Header ``X-Linkletter-Signature: t=<UNIX seconds>,v1=<hex HMAC-SHA256>``, the HMAC taken with
``webhook_generic_secret`` over ``<t>.<body>`` (the timestamp, a dot, the raw body bytes).
A ``t`` older than ``webhook_max_age`` is refused. The body::

    {"events": [{"id": "evt-1", "type": "hard_bounce", "email": "reader@example.net",
                 "message_id": "<issue-7.sub-42.abcd@example.org>", "reason": "550 5.1.1 no such user",
                 "timestamp": 1764633600}]}

``type``: ``hard_bounce``, ``soft_bounce``, ``complaint``, ``unsubscribe`` or ``delayed``; ``id``
identifies the event (the same id twice is recorded once); ``message_id`` and ``reason`` are
optional.
"""

from __future__ import annotations

import hashlib
import hmac

from pipeline.web.webhooks.events import (COMPLAINT, DELAYED, HARD_BOUNCE, MAX_EVENTS, SOFT_BOUNCE, UNSUBSCRIBE,
                                          Refused, Verified, WebhookEvent, address, check_age, equal, from_unix,
                                          parse_json, text, unix_time)

NAME = "generic"
HEADER = "x-linkletter-signature"
KINDS = (HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT, UNSUBSCRIBE, DELAYED)


def enabled(settings) -> bool:
    return bool(settings.webhook_generic_secret)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (what a sender computes)."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(settings, body: bytes, headers, **_) -> Verified:
    value = headers.get(HEADER, "")
    parts = dict(p.strip().partition("=")[::2] for p in value.split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or len(stamp) > 12 or not given:
        raise Refused(401, "no signature (X-Linkletter-Signature: t=...,v1=...)")
    if not equal(sign(settings.webhook_generic_secret, int(stamp), body), f"t={stamp},v1={given.lower()}"):
        raise Refused(401, "bad signature")
    check_age(unix_time(stamp), settings.webhook_max_age)
    doc = parse_json(body)
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise Refused(400, 'the body has no "events" list')
    out = Verified()
    for ev in events[:MAX_EVENTS]:
        if not isinstance(ev, dict) or ev.get("type") not in KINDS:
            out.skipped.append("an event that is not an object with a known type")
            continue
        addr, ident = address(ev.get("email")), text(ev.get("id"), 200)
        if addr is None or not ident:
            out.skipped.append("an event without one address or without an id")
            continue
        out.events.append(WebhookEvent(kind=ev["type"], address=addr, key=f"generic:{ident}",
                                       message_id=text(ev.get("message_id"), 300), reason=text(ev.get("reason")),
                                       timestamp=from_unix(ev.get("timestamp"))))
    if len(events) > MAX_EVENTS:
        out.skipped.append(f"{len(events) - MAX_EVENTS} events over the limit of {MAX_EVENTS} per call")
    return out
