"""Postmark: ``POST /webhooks/postmark``.

Postmark signs nothing. Its webhooks can carry HTTP Basic credentials written into the
webhook URL (``https://postmark:SECRET@news.example.org/webhooks/postmark``) or custom headers;
so the endpoint takes the secret ``webhook_postmark_secret`` as the Basic password (any user
name) or as the ``X-Linkletter-Token`` header, compared in constant time. Without a signature
and a signed time a captured call could be sent again: that changes nothing, because every
event is recorded once by its Postmark ``ID``; and the secret travels only over HTTPS.

Payloads (Postmark's "Bounce webhook", "Spam complaint webhook" and, for broadcast streams,
"Subscription change webhook"): one JSON object per call, ``RecordType`` ``Bounce``,
``SpamComplaint`` or ``SubscriptionChange``. Bounce ``Type`` ``HardBounce``, ``BadEmailAddress``,
``ManuallyDeactivated`` are hard; ``SoftBounce``, ``DnsError`` ... soft; ``Transient`` (delayed) a delay;
``SpamNotification``/``SpamComplaint`` a complaint; auto-responders and the like are skipped.
"""

from __future__ import annotations

import base64
import binascii

from pipeline.web.webhooks.events import (COMPLAINT, DELAYED, HARD_BOUNCE, SOFT_BOUNCE, Refused, Verified,
                                          WebhookEvent, address, equal, iso_time, parse_json, text)

NAME = "postmark"
TOKEN_HEADER = "x-linkletter-token"
_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked", "DMARCPolicy"}
_SOFT = {"SoftBounce", "DnsError", "Unknown", "Undeliverable"}
_COMPLAINT = {"SpamNotification", "SpamComplaint"}


def enabled(settings) -> bool:
    return bool(settings.webhook_postmark_secret)


def _authenticated(settings, headers) -> bool:
    secret = settings.webhook_postmark_secret
    token = headers.get(TOKEN_HEADER)
    if token is not None:
        return equal(token, secret)
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return equal(decoded.partition(":")[2], secret)


def verify(settings, body: bytes, headers, **_) -> Verified:
    if not _authenticated(settings, headers):
        raise Refused(401, "missing or wrong credentials (basic auth password or X-Linkletter-Token)")
    doc = parse_json(body)
    if not isinstance(doc, dict):
        raise Refused(400, "not a Postmark webhook object")
    out = Verified()
    record = doc.get("RecordType")
    addr = address(doc.get("Email") if record != "SubscriptionChange" else doc.get("Recipient"))
    ident = text(doc.get("ID"), 100)
    pm_id = text(doc.get("MessageID"), 200)
    if record == "SubscriptionChange":
        if doc.get("SuppressSending") is not True:
            out.skipped.append("a subscription change that lifts a suppression")
            return out
        reason = text(doc.get("SuppressionReason"), 100)
        kind = {"HardBounce": HARD_BOUNCE, "SpamComplaint": COMPLAINT}.get(reason)
        ident = f"change:{pm_id}:{text(doc.get('ChangedAt'), 60)}"
        when = iso_time(doc.get("ChangedAt"))
    elif record in ("Bounce", "SpamComplaint"):
        bounce_type = text(doc.get("Type"), 60)
        kind = (COMPLAINT if record == "SpamComplaint" or bounce_type in _COMPLAINT else HARD_BOUNCE
                if bounce_type in _HARD else SOFT_BOUNCE if bounce_type in _SOFT else None)
        if bounce_type == "Transient":  # "message delayed": Postmark still tries
            kind = DELAYED
        reason = "; ".join(x for x in (bounce_type, text(doc.get("Description")), text(doc.get("Details"))) if x)
        when = iso_time(doc.get("BouncedAt"))
    else:
        out.skipped.append(f"RecordType {text(record, 40) or '(none)'} (not a bounce or complaint)")
        return out
    if kind is None:
        out.skipped.append(f"a {reason or 'record'} (not a bounce or complaint)")
    elif addr is None or not ident:
        out.skipped.append("an event without one address or without an ID")
    else:
        out.events.append(WebhookEvent(kind=kind, address=addr, key=f"postmark:{ident}", provider_message_id=pm_id,
                                       reason=reason, timestamp=when))
    return out
