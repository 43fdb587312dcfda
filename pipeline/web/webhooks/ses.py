"""Amazon SES through Amazon SNS: ``POST /webhooks/ses``.

SNS posts a JSON document (with ``Content-Type: text/plain``, an SNS quirk) of one of three
``Type`` values: ``SubscriptionConfirmation`` (confirmed by a GET of its ``SubscribeURL``),
``Notification`` (the SES bounce, complaint or delivery notification as a JSON string in
``Message``) and ``UnsubscribeConfirmation``. Each is signed (AWS, "Verifying the signatures
of Amazon SNS messages"): the string to sign is ``Key\\nValue\\n`` for the message's fields
in a fixed order, signed with RSA by the key of the X.509 certificate at ``SigningCertURL``,
with SHA1 (``SignatureVersion`` 1) or SHA256 (2).

What is checked, in this order, before anything is fetched or recorded:

1. ``TopicArn`` is one of ``webhook_ses_topics`` (a forged topic costs no fetch);
2. ``SigningCertURL`` (and ``SubscribeURL``) is ``https://sns.<region>.amazonaws.com/...``
   (``.amazonaws.com.cn`` in China); tests name a loopback ``host:port`` in the test-only
   setting ``webhook_sns_test_cert_host``, which may then also serve plain http;
3. the certificate (fetched bounded in size and time, kept per URL) is valid now and its key
   verifies the signature;
4. ``Timestamp`` is at most ``webhook_max_age`` seconds old, and the ``MessageId`` was not seen
   before (a second delivery is answered 200 and changes nothing).
"""

from __future__ import annotations

import base64
import re
import threading
from datetime import datetime, timezone
from urllib.parse import urlsplit

from pipeline.web.webhooks.events import (COMPLAINT, HARD_BOUNCE, SOFT_BOUNCE, Refused, Verified, WebhookEvent,
                                          address, check_age, clean, iso_time, parse_json, text)

NAME = "ses"
_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
MAX_CERT = 64 * 1024


def enabled(settings) -> bool:
    return bool(settings.webhook_ses_topics)


def string_to_sign(msg: dict) -> bytes:
    """The canonical string of an SNS message: ``Key\\nValue\\n`` for each field of its type
    that is present (``Subject`` only when the notification has one)."""
    out = []
    for key in _FIELDS[msg["Type"]]:
        if key in msg and msg[key] is not None:
            out.append(f"{key}\n{msg[key]}\n")
    return "".join(out).encode("utf-8")


def sns_url_allowed(settings, url: str) -> bool:
    """Production: https on an SNS host; tests: also the loopback test host, over http too."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        return False
    test = settings.webhook_sns_test_cert_host
    if test and parts.scheme in ("http", "https") and f"{host}:{port}" == test:
        from pipeline.hosts import is_loopback

        return is_loopback(host)
    return parts.scheme == "https" and port in (None, 443) and bool(_SNS_HOST.match(host)) and not parts.username


class CertCache:
    """Signing keys by certificate URL: fetched once per process (SNS rotates them rarely)."""

    def __init__(self, limit: int = 16):
        self._keys: dict[str, object] = {}
        self._lock = threading.Lock()
        self.limit = limit
        self.fetches = 0

    def key(self, settings, url: str):
        with self._lock:
            if url in self._keys:
                return self._keys[url]
        body = fetch(settings, url, MAX_CERT)
        from cryptography import x509

        try:
            cert = x509.load_pem_x509_certificate(body)
        except ValueError:
            raise Refused(401, "the signing certificate is not a PEM certificate") from None
        now = datetime.now(timezone.utc)
        if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            raise Refused(401, "the signing certificate is not valid now")
        with self._lock:
            self.fetches += 1
            if len(self._keys) >= self.limit:
                self._keys.clear()
            self._keys[url] = cert.public_key()
            return self._keys[url]


def fetch(settings, url: str, max_bytes: int) -> bytes:
    """GET through the bounded fetcher, to the SNS host (or the loopback test host) only."""
    from pipeline.collect.destinations import Allowed, FetchPolicy
    from pipeline.collect.fetch import FetchError, Fetcher

    test = settings.webhook_sns_test_cert_host
    policy = FetchPolicy([Allowed.parse(test)] if test else [])
    fetcher = Fetcher(timeout=settings.fetch_timeout, max_bytes=max_bytes, pool_size=1, policy=policy)
    try:
        return fetcher.get(url).body
    except FetchError as e:
        raise Refused(502, f"could not fetch {clean(url, 200)}: {e}") from None
    finally:
        fetcher.close()


def _verify_signature(key, msg: dict) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    version = msg.get("SignatureVersion")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(version))
    if algorithm is None:
        raise Refused(401, f"unknown SignatureVersion {clean(version, 10)!r}")
    try:
        signature = base64.b64decode(str(msg.get("Signature", "")), validate=True)
    except ValueError:
        raise Refused(401, "the signature is not base64") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise Refused(401, "the signing certificate has no RSA key")
    try:
        key.verify(signature, string_to_sign(msg), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise Refused(401, "bad signature") from None


def verify(settings, body: bytes, headers, *, certs: CertCache) -> Verified:
    msg = parse_json(body)
    if not isinstance(msg, dict) or not isinstance(msg.get("Type"), str) or msg["Type"] not in _FIELDS:
        raise Refused(400, "not an SNS message (no known Type)")
    for key in ("MessageId", "TopicArn", "Timestamp", "Signature", "SigningCertURL", "Message"):
        if not isinstance(msg.get(key), str):
            raise Refused(400, f"the SNS message has no {key}")
    if msg["TopicArn"] not in settings.webhook_ses_topics:
        raise Refused(403, f"topic {clean(msg['TopicArn'], 200)!r} is not in webhook_ses_topics")
    header_topic = headers.get("x-amz-sns-topic-arn")
    if header_topic is not None and header_topic != msg["TopicArn"]:
        raise Refused(400, "the topic header and the message disagree")
    if not sns_url_allowed(settings, msg["SigningCertURL"]):
        raise Refused(401, f"SigningCertURL {clean(msg['SigningCertURL'], 200)!r} is not an Amazon SNS address")
    _verify_signature(certs.key(settings, msg["SigningCertURL"]), msg)
    when = iso_time(msg["Timestamp"])
    if when is None:
        raise Refused(400, "the SNS Timestamp is not a time")
    check_age(when.timestamp(), settings.webhook_max_age)
    out = Verified(replay_key=f"sns:{clean(msg['MessageId'], 200)}", replay_answer=200)
    if msg["Type"] == "SubscriptionConfirmation":
        url = msg.get("SubscribeURL")
        if not isinstance(url, str) or not sns_url_allowed(settings, url):
            raise Refused(400, "the SubscribeURL is not an Amazon SNS address")
        out.confirm = lambda: (fetch(settings, url, 64 * 1024), "subscription confirmed")[1]
    elif msg["Type"] == "Notification":
        _notification(msg["Message"], out)
    return out


def _header(mail: dict, name: str) -> str:
    headers = mail.get("headers")
    for h in headers if isinstance(headers, list) else []:
        if isinstance(h, dict) and str(h.get("name", "")).lower() == name.lower():
            return text(h.get("value"), 300)
    common = mail.get("commonHeaders")
    if isinstance(common, dict) and name.lower() == "message-id":
        value = text(common.get("messageId"), 300)
        return value if "@" in value else ""
    return ""


def _notification(message: str, out: Verified) -> None:
    """The SES notification (or event publishing's event) in ``Message``: one event per recipient."""
    note = parse_json(message.encode("utf-8"))
    if not isinstance(note, dict):
        raise Refused(400, "the SES notification is not a JSON object")
    kind = note.get("notificationType") or note.get("eventType")
    mail = note.get("mail") if isinstance(note.get("mail"), dict) else {}
    ses_id, msgid = text(mail.get("messageId"), 200), _header(mail, "Message-ID")
    if kind == "Bounce" and isinstance(note.get("bounce"), dict):
        b = note["bounce"]
        event_kind = HARD_BOUNCE if b.get("bounceType") == "Permanent" else SOFT_BOUNCE
        recipients, what = b.get("bouncedRecipients"), f"{text(b.get('bounceType'))}/{text(b.get('bounceSubType'))}"
        for r in recipients if isinstance(recipients, list) else []:
            reason = "; ".join(x for x in (what, text(r.get("status")) if isinstance(r, dict) else "",
                                           text(r.get("diagnosticCode")) if isinstance(r, dict) else "") if x)
            _add(out, r, event_kind, b, ses_id, msgid, reason)
    elif kind == "Complaint" and isinstance(note.get("complaint"), dict):
        c = note["complaint"]
        feedback = text(c.get("complaintFeedbackType"))
        if feedback == "not-spam":
            out.skipped.append("a not-spam report")
            return
        recipients = c.get("complainedRecipients")
        for r in recipients if isinstance(recipients, list) else []:
            _add(out, r, COMPLAINT, c, ses_id, msgid, f"complaint {feedback}".strip())
    else:
        out.skipped.append(f"SES {clean(kind, 40) or 'message'} (not a bounce or complaint)")


def _add(out: Verified, recipient, kind: str, obj: dict, ses_id: str, msgid: str, reason: str) -> None:
    addr = address(recipient.get("emailAddress")) if isinstance(recipient, dict) else None
    if addr is None:
        out.skipped.append("a recipient that is not one address")
        return
    feedback = text(obj.get("feedbackId"), 200) or ses_id
    out.events.append(WebhookEvent(kind=kind, address=addr, key=f"ses:{feedback}:{addr}", provider_message_id=ses_id,
                                   message_id=msgid, reason=reason, timestamp=iso_time(obj.get("timestamp"))))
