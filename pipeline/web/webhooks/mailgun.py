"""Mailgun: ``POST /webhooks/mailgun``.

Mailgun's webhooks (Mailgun, "Securing Webhooks") post JSON ``{"signature": {"timestamp",
"token", "signature"}, "event-data": {...}}``; ``signature`` is the hex HMAC-SHA256 of
``timestamp + token`` with the HTTP webhook signing key (``webhook_mailgun_signing_key``).
The signature covers the timestamp and the token only, not the event: so a token is taken
once (a second call with it is refused, 406, which also tells Mailgun not to retry), and a
timestamp older than ``webhook_max_age`` is refused.

Events (``event-data.event``): ``failed`` with ``severity`` ``permanent`` (hard) or
``temporary`` (delayed: Mailgun still retries), ``complained``, ``unsubscribed``; others
(delivered, opened, clicked, accepted) are skipped. Each is recorded once by its ``id``.
"""

from __future__ import annotations

import hashlib
import hmac

from pipeline.web.webhooks.events import (COMPLAINT, DELAYED, HARD_BOUNCE, UNSUBSCRIBE, Refused, Verified,
                                          WebhookEvent, address, check_age, equal, from_unix, parse_json, text,
                                          unix_time)

NAME = "mailgun"


def enabled(settings) -> bool:
    return bool(settings.webhook_mailgun_signing_key)


def verify(settings, body: bytes, headers, **_) -> Verified:
    doc = parse_json(body)
    sig = doc.get("signature") if isinstance(doc, dict) else None
    if not isinstance(sig, dict) or not all(isinstance(sig.get(k), (str, int)) for k in ("timestamp", "token", "signature")):
        raise Refused(401, "no Mailgun signature {timestamp, token, signature}")
    stamp, token = str(sig["timestamp"]), str(sig["token"])
    if len(token) > 200 or len(stamp) > 20:
        raise Refused(401, "the signature's token or timestamp is too long")
    mac = hmac.new(settings.webhook_mailgun_signing_key.encode("utf-8"), (stamp + token).encode("utf-8"),
                   hashlib.sha256).hexdigest()
    if not equal(mac, str(sig["signature"]).lower()):
        raise Refused(401, "bad signature")
    check_age(unix_time(stamp), settings.webhook_max_age)
    out = Verified(replay_key=f"token:{token}", replay_answer=406)
    ev = doc.get("event-data")
    if not isinstance(ev, dict):
        raise Refused(400, "no event-data")
    name, severity = text(ev.get("event"), 40), text(ev.get("severity"), 20)
    kind = {"complained": COMPLAINT, "unsubscribed": UNSUBSCRIBE}.get(name)
    if name == "failed":
        kind = HARD_BOUNCE if severity == "permanent" else DELAYED
    if kind is None:
        out.skipped.append(f"a {name or 'nameless'} event (not a bounce or complaint)")
        return out
    addr, ident = address(ev.get("recipient")), text(ev.get("id"), 200)
    if addr is None or not ident:
        out.skipped.append(f"a {name} event without one address or without an id")
        return out
    status = ev.get("delivery-status") if isinstance(ev.get("delivery-status"), dict) else {}
    message = ev.get("message") if isinstance(ev.get("message"), dict) else {}
    msg_headers = message.get("headers") if isinstance(message.get("headers"), dict) else {}
    reason = "; ".join(x for x in (f"{name} {severity}".strip(), text(ev.get("reason"), 60), text(status.get("code"), 10),
                                   text(status.get("message")), text(status.get("description"))) if x)
    msgid = text(msg_headers.get("message-id"), 300)
    out.events.append(WebhookEvent(kind=kind, address=addr, key=f"mailgun:{ident}", provider_message_id=msgid,
                                   message_id=f"<{msgid.strip('<>')}>" if msgid else "", reason=reason,
                                   timestamp=from_unix(ev.get("timestamp"))))
    return out
