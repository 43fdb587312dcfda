"""What every provider module hands on: the events of one verified webhook call, normalized.

A provider module (``ses``, ``postmark``, ``sendgrid``, ``mailgun``, ``generic``) takes the
bounded body and the headers, proves that the call comes from the provider (a signature, or
for Postmark a shared secret) and turns the payload into :class:`WebhookEvent` values. Anything
wrong is a :class:`Refused` with the HTTP status and a reason a person can read; nothing of the
payload is trusted before the proof, and nothing of it is put into a reason unescaped.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

# the kinds the intake knows (pipeline.states.MailEventKind values); deliveries etc. are "ignored"
HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT, UNSUBSCRIBE, DELAYED = "hard_bounce", "soft_bounce", "complaint", "unsubscribe", "delayed"
MAX_REASON = 1000
MAX_EVENTS = 1000  # events in one call (SendGrid batches, SES recipients)
_ADDR = re.compile(r"^[^@\s<>\"(),;:\\\[\]]{1,64}@[A-Za-z0-9.-]{1,253}$")
_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Refused(Exception):
    """The call is refused: ``status`` (400 malformed, 401 not authenticated, 403 wrong topic,
    406 replayed) and a reason, given to the caller and logged."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class WebhookEvent:
    kind: str                # HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT, UNSUBSCRIBE, DELAYED
    address: str             # the recipient the provider names (checked to be one address)
    key: str                 # the provider's own id of this event: the same event twice has the same key
    provider_message_id: str = ""  # the provider's id of the mail
    message_id: str = ""     # the mail's Message-ID header when the provider reports it (ours is signed)
    reason: str = ""
    timestamp: datetime | None = None


@dataclass
class Verified:
    """One authenticated call: its events, what was left out, and what it asks for."""

    events: list[WebhookEvent] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # events not taken, with the reason
    replay_key: str | None = None  # a key the call itself may be used with only once (SNS MessageId, Mailgun token)
    replay_answer: int = 200       # what a second call with replay_key gets (200: already done; 406: refused)
    confirm: Callable[[], str] | None = None  # an SNS subscription to confirm (after the replay check)


def clean(text: Any, limit: int = MAX_REASON) -> str:
    """Outside text for a reason or a log: one line, control characters as spaces, bounded."""
    return " ".join(_CTRL.sub(" ", str(text if text is not None else "")).split())[:limit]


def address(value: Any) -> str | None:
    """The one address a provider names, lower-cased, or None when it is not exactly one address
    (a list, a display name, a header injection): such an event is skipped, never guessed at."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    if not _ADDR.match(value) or ".." in value:
        return None
    return value.lower()


def text(value: Any, limit: int = 500) -> str:
    return clean(value, limit) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def parse_json(body: bytes) -> Any:
    """The body as JSON (UTF-8, nesting bounded): Refused(400) otherwise."""
    from pipeline.web.body import BodyError, parse_json as bounded_json

    try:
        return bounded_json(body)
    except BodyError as e:
        raise Refused(400, e.reason) from None


def check_age(when: float, max_age: int, *, now: float | None = None) -> None:
    """A signed timestamp (UNIX seconds) within ``max_age`` seconds, at most 5 minutes ahead
    (clock skew): an older call is a replay."""
    now = time.time() if now is None else now
    if when < now - max_age:
        raise Refused(406, f"the call is older than {max_age} seconds (setting webhook_max_age): a replay")
    if when > now + 300:
        raise Refused(400, "the call's timestamp is in the future")


def unix_time(value: Any) -> float:
    try:
        when = float(value)
    except (TypeError, ValueError):
        raise Refused(400, "the timestamp is not a number") from None
    if when != when or when in (float("inf"), float("-inf")):
        raise Refused(400, "the timestamp is not a number")
    return when


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time as providers write it ('2019-11-05T16:33:54.9070259Z'), or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?", value.strip())
    if not m:
        return None
    zone = m.group(3) or "Z"
    zone = "+00:00" if zone == "Z" else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
    try:
        return datetime.fromisoformat(m.group(1) + "." + (m.group(2) or "0")[:6].ljust(6, "0") + zone)
    except ValueError:
        return None


def from_unix(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison of two secrets or signatures."""
    a = a.encode("utf-8", "replace") if isinstance(a, str) else a
    b = b.encode("utf-8", "replace") if isinstance(b, str) else b
    return hmac.compare_digest(a, b)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")
