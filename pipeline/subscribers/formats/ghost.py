"""Ghost's members export (Members → Export), written by TryGhost/Ghost
``ghost/members-csv/lib/unparse.js``: ``id,email,name,note,subscribed_to_emails,
complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,products`` (newer versions
``tiers``), booleans as papaparse writes them (``true``/``false``), times ISO 8601 in UTC with
milliseconds, labels and products comma-separated in one cell. A member with
``subscribed_to_emails=false`` or a ``deleted_at`` arrives unsubscribed.
"""

from __future__ import annotations

from pipeline.subscribers.formats.common import Header, Spec, truthy

NAME = "ghost"
LABEL = "Ghost"


def detect(h: Header) -> bool:
    return "email" in h and "subscribed_to_emails" in h


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email")
    sub = h.need(LABEL, "subscribed_to_emails")
    deleted = h.find("deleted_at")
    column = h.original[sub]

    def status(row: list) -> str:
        if deleted is not None and row[deleted].strip():
            return "unsubscribed"
        return "active" if truthy(row[sub], column) else "unsubscribed"

    return Spec(platform=LABEL, kind="members", email=email, name=h.find("name"), status=status,
                created=h.times("created_at"), unsubscribed=() if deleted is None else (deleted,),
                ignored=h.ignore("id", "stripe_customer_id"), attributes=h.rest(), headers=h.original)
