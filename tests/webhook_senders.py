"""The providers' side of the webhooks, for tests: each provider's documented payloads (from
tests/fixtures/webhooks, see its README) signed the way the provider signs them, with test
keys made here: an RSA key and a self-signed certificate for SNS (served on loopback), an ECDSA
P-256 key for SendGrid, HMAC keys for Mailgun and the generic form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from pipeline.web.webhooks.ses import string_to_sign

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webhooks"
TOPIC = "arn:aws:sns:us-east-1:123456789012:linkletter-ses"
POSTMARK_SECRET = "postmark-test-secret-0123456789"
MAILGUN_KEY = "key-mailgun-test-signing-0123456789"
GENERIC_SECRET = "generic-test-secret-0123456789"


def payload(name: str, **values: str) -> str:
    """A fixture's text with EMAIL, EMAIL2, ... and MESSAGE_ID replaced (longest name first)."""
    text = (FIXTURES / name).read_text("utf-8")
    for key in sorted(values, key=len, reverse=True):
        text = text.replace(key, values[key])
    return text


class SnsSigner:
    """What SNS does: an RSA key whose certificate is served at SigningCertURL."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(timezone.utc)
        self.cert_pem = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                         .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                         .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                         .sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))

    def message(self, kind: str, cert_url: str, *, message: str, version: int = 2, topic: str = TOPIC,
                timestamp: datetime | None = None, message_id: str | None = None, subscribe_url: str = "",
                subject: str | None = None) -> dict:
        msg = {"Type": kind, "MessageId": message_id or str(uuid.uuid4()), "TopicArn": topic, "Message": message,
               "Timestamp": (timestamp or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
               "SignatureVersion": str(version), "SigningCertURL": cert_url}
        if subject is not None:
            msg["Subject"] = subject
        if kind != "Notification":
            msg["Token"] = secrets.token_hex(32)
            msg["SubscribeURL"] = subscribe_url
        else:
            msg["UnsubscribeURL"] = cert_url.rsplit("/", 1)[0] + "/?Action=Unsubscribe&SubscriptionArn=" + topic
        algorithm = hashes.SHA1() if version == 1 else hashes.SHA256()
        msg["Signature"] = base64.b64encode(self.key.sign(string_to_sign(msg), padding.PKCS1v15(), algorithm)).decode()
        return msg


def sns_headers(msg: dict) -> dict:
    return {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": msg["Type"],
            "x-amz-sns-message-id": msg["MessageId"], "x-amz-sns-topic-arn": msg["TopicArn"],
            "User-Agent": "Amazon Simple Notification Service Agent"}


class SendGridSigner:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        der = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        self.public_key = base64.b64encode(der).decode()  # as SendGrid's Mail Settings show it

    def headers(self, body: bytes, timestamp: int | None = None) -> dict:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        sig = self.key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {"Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": stamp}


def mailgun_body(event_data_file: str, *, key: str = MAILGUN_KEY, token: str | None = None,
                 timestamp: int | None = None, **values: str) -> bytes:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = token or secrets.token_hex(25)  # Mailgun's tokens are 50 characters
    doc = json.loads(payload(event_data_file, **values))
    doc["signature"] = {"timestamp": stamp, "token": token,
                        "signature": hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()}
    return json.dumps(doc).encode()


def basic_auth(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
            "Content-Type": "application/json"}
