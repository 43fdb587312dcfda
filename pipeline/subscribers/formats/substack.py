"""Substack's subscriber export (Settings → Exports): ``email,active_subscription,expiry,plan,
email_disabled,created_at`` (and ``prefer_digests`` and others in newer exports), booleans as
``true``/``false``; the dashboard's subscriber list export has ``type`` (free, paid, comp, gift,
founding) instead. ``email_disabled=true`` means Substack stopped mailing the address (it
bounced or the reader turned emails off): such a reader arrives unsubscribed, never mailed.
"""

from __future__ import annotations

from pipeline.subscribers.formats.common import Header, Spec, truthy

NAME = "substack"
LABEL = "Substack"
_GONE_TYPES = frozenset(("unsubscribed", "disabled", "deleted", "banned"))


def detect(h: Header) -> bool:
    return "email" in h and ("active_subscription" in h or "email_disabled" in h
                             or ("type" in h and "created_at" in h and "subscriber_type" not in h))


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email")
    disabled = h.find("email_disabled")
    kind_col = h.find("type") if "type" in h else None
    column = h.original[disabled] if disabled is not None else ""

    def status(row: list) -> str:
        if disabled is not None and truthy(row[disabled], column):
            return "unsubscribed"
        if kind_col is not None and row[kind_col].strip().lower() in _GONE_TYPES:
            return "unsubscribed"
        return "active"

    if kind_col is not None:
        h.used.discard(kind_col)  # the plan type is kept as an attribute too
    return Spec(platform=LABEL, kind="subscribers", email=email, name=h.find("name"), status=status,
                created=h.times("created_at", "subscription_date"), attributes=h.rest(), headers=h.original)
