"""SendGrid (Twilio SendGrid Event Webhook): ``POST /webhooks/sendgrid``.

The Signed Event Webhook (SendGrid, "Getting Started with the Event Webhook Security
Features"): SendGrid signs ``timestamp + body`` (the raw bytes) with ECDSA P-256 / SHA-256;
the signature (base64 DER) is in ``X-Twilio-Email-Event-Webhook-Signature``, the timestamp in
``X-Twilio-Email-Event-Webhook-Timestamp``; the verification key (``webhook_sendgrid_public_key``)
is the base64 DER public key SendGrid shows under Mail Settings. A timestamp older than
``webhook_max_age`` is a replay; each event is recorded once by its ``sg_event_id``.

The body is a JSON array of events (Event Webhook Reference): ``bounce`` (``type`` ``bounce``
is hard, ``blocked`` soft), ``dropped`` (``reason`` "Bounced Address" hard, "Spam Reporting
Address" a complaint, "Unsubscribed Address" an unsubscribe), ``spamreport``, ``deferred``;
engagement events (open, click, processed, delivered) are skipped.
"""

from __future__ import annotations

import base64
import binascii

from pipeline.web.webhooks.events import (COMPLAINT, DELAYED, HARD_BOUNCE, MAX_EVENTS, SOFT_BOUNCE, UNSUBSCRIBE,
                                          Refused, Verified, WebhookEvent, address, check_age, from_unix,
                                          parse_json, text, unix_time)

NAME = "sendgrid"
SIGNATURE = "x-twilio-email-event-webhook-signature"
TIMESTAMP = "x-twilio-email-event-webhook-timestamp"
_DROPPED = {"Bounced Address": HARD_BOUNCE, "Invalid": HARD_BOUNCE, "Spam Reporting Address": COMPLAINT,
            "Unsubscribed Address": UNSUBSCRIBE}


def enabled(settings) -> bool:
    return bool(settings.webhook_sendgrid_public_key)


def _public_key(settings):
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

    value = settings.webhook_sendgrid_public_key.strip()
    try:
        key = load_pem_public_key(value.encode()) if "BEGIN" in value else load_der_public_key(base64.b64decode(value))
    except (ValueError, binascii.Error):
        raise Refused(500, "webhook_sendgrid_public_key is not a public key (copy it from SendGrid's Mail Settings)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Refused(500, "webhook_sendgrid_public_key is not an ECDSA key")
    return key


def verify(settings, body: bytes, headers, **_) -> Verified:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    signature, stamp = headers.get(SIGNATURE), headers.get(TIMESTAMP)
    if not signature or not stamp:
        raise Refused(401, "no signature (the Signed Event Webhook is off?)")
    try:
        raw = base64.b64decode(signature, validate=True)
        _public_key(settings).verify(raw, stamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused(401, "bad signature") from None
    check_age(unix_time(stamp), settings.webhook_max_age)
    events = parse_json(body)
    if not isinstance(events, list):
        raise Refused(400, "not a SendGrid event list")
    out = Verified()
    for ev in events[:MAX_EVENTS]:
        _event(ev, out)
    if len(events) > MAX_EVENTS:
        out.skipped.append(f"{len(events) - MAX_EVENTS} events over the limit of {MAX_EVENTS} per call")
    return out


def _event(ev, out: Verified) -> None:
    if not isinstance(ev, dict):
        out.skipped.append("an event that is not an object")
        return
    name, reason = text(ev.get("event"), 40), text(ev.get("reason"))
    if name == "bounce":
        kind = SOFT_BOUNCE if ev.get("type") == "blocked" else HARD_BOUNCE
    elif name == "dropped":
        kind = _DROPPED.get(reason)
    elif name == "spamreport":
        kind = COMPLAINT
    elif name == "deferred":
        kind = DELAYED
    else:
        kind = None
    if kind is None:
        out.skipped.append(f"a {name or 'nameless'} event (not a bounce or complaint)")
        return
    addr, ident = address(ev.get("email")), text(ev.get("sg_event_id"), 200)
    if addr is None or not ident:
        out.skipped.append(f"a {name} event without one address or without sg_event_id")
        return
    full = "; ".join(x for x in (name, text(ev.get("status"), 20), reason, text(ev.get("response"))) if x)
    out.events.append(WebhookEvent(kind=kind, address=addr, key=f"sendgrid:{ident}",
                                   provider_message_id=text(ev.get("sg_message_id"), 200),
                                   message_id=text(ev.get("smtp-id"), 300), reason=full,
                                   timestamp=from_unix(ev.get("timestamp"))))
