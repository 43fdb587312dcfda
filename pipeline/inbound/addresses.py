"""The addresses mail comes back to: a bounce address per delivery (VERP,
``bounces+<delivery>.<mac>@domain``) and a mailto unsubscribe address per subscriber and issue
(``unsubscribe+<id>-<generation>-<issue>.<mac>@domain``), both signed (pipeline.tokens) and only
when ``bounce_address`` is set; and the reverse: what an address (or one of our Message-IDs)
that came back names, checked against the secret key."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.tokens import (TokenError, mailto_unsubscribe_token, verify_mailto_unsubscribe, verify_verp,
                             verp_token)

UNSUBSCRIBE_LOCAL = "unsubscribe"


def _parts(settings) -> tuple[str, str] | None:
    local, _, domain = (settings.bounce_address or "").rpartition("@")
    return (local, domain) if local and domain else None


def verp_address(settings, delivery_id: int) -> str | None:
    """The envelope sender of one delivery, or None without ``bounce_address`` (then the From
    address stays the envelope sender, as before)."""
    parts = _parts(settings)
    if parts is None:
        return None
    return f"{parts[0]}+{verp_token(settings.secret_key, delivery_id)}@{parts[1]}"


def unsubscribe_address(settings, subscriber_id: int, generation: int, issue: int) -> str | None:
    parts = _parts(settings)
    if parts is None:
        return None
    return f"{UNSUBSCRIBE_LOCAL}+{mailto_unsubscribe_token(settings.secret_key, subscriber_id, generation, issue)}@{parts[1]}"


def unsubscribe_mailto(settings, subscriber_id: int, generation: int, issue: int) -> str:
    """The mailto URI of List-Unsubscribe: the subscriber's own address (honoured whatever the
    subject), or, without ``bounce_address``, the From address with subject 'unsubscribe'."""
    addr = unsubscribe_address(settings, subscriber_id, generation, issue)
    if addr is None:
        from pipeline.send.message import sender_address

        return f"mailto:{sender_address(settings.sender)}?subject=unsubscribe"
    return f"mailto:{addr}?subject=unsubscribe"


@dataclass(frozen=True)
class Tag:
    """What an address that mail came to says. ``kind``: 'verp' (``delivery_id``), 'unsubscribe'
    (``subscriber_id``, ``generation``, ``issue``), or 'forged' (our local part with a tag that
    does not verify: ``reason``)."""

    kind: str
    address: str
    delivery_id: int | None = None
    subscriber_id: int | None = None
    generation: int = 0
    issue: int | None = None
    reason: str = ""


def read_tag(settings, address: str) -> Tag | None:
    """The tag of one of our addresses, None for any other address."""
    parts = _parts(settings)
    if parts is None or not address:
        return None
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    if domain != parts[1]:
        return None
    base, plus, token = local.partition("+")
    if not plus or base not in (parts[0], UNSUBSCRIBE_LOCAL):
        return None
    try:
        if base == parts[0]:
            return Tag("verp", address, delivery_id=verify_verp(settings.secret_key, token))
        sid, gen, issue = verify_mailto_unsubscribe(settings.secret_key, token)
        return Tag("unsubscribe", address, subscriber_id=sid, generation=gen, issue=issue)
    except TokenError as e:
        return Tag("forged", address, reason=str(e))


_OUR_MSGID = re.compile(r"<?issue-(\d{1,9})\.sub-(\d{1,18})\.([a-z2-7]{8})@([^>\s]{1,255})>?", re.I)


def read_message_id(settings, msgid: str) -> tuple[int, int] | None:
    """(issue, subscriber id) of a Message-ID this newsletter wrote for a delivery
    (pipeline.send.message.message_id, recomputed and compared), else None."""
    from pipeline.send.message import message_id

    m = _OUR_MSGID.search(msgid or "")
    if not m:
        return None
    issue, sid, domain = int(m.group(1)), int(m.group(2)), m.group(4)
    if message_id(settings.secret_key, issue, sid, domain).decode("ascii").lower() != m.group(0).strip("<>").join("<>").lower():
        return None
    return issue, sid
