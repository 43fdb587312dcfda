"""Curated's email subscriber export (my.curated → Subscribers → Email Subscribers → Export):
``Email,Name,Status,Source,Subscribed At``... The status and source words are those of Curated's
help ("Filtering email subscribers"): Active, Unsubscribed, Spam (marked an issue as spam),
Bounced, Pending Confirmation; sources Publication Site, Manual, API. The exact header of the
download is not documented; the email, name, status, source and subscription-time columns are
found under the names below, anything else is kept as attributes (``--from curated`` when the
header is not recognised).
"""

from __future__ import annotations

from pipeline.subscribers.formats.common import Header, Spec, status_words

NAME = "curated"
LABEL = "Curated"
STATUSES = {"active": "active", "subscribed": "active", "unsubscribed": "unsubscribed", "spam": "complained",
            "bounced": "bounced", "pending confirmation": "pending", "pending": "pending"}


def detect(h: Header) -> bool:
    return ("email" in h or "email address" in h) and "status" in h and "source" in h


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email", "email address")
    i = h.need(LABEL, "status")
    return Spec(platform=LABEL, kind="email subscribers", email=email, name=h.find("name"),
                status=status_words(i, h.original[i], STATUSES),
                created=h.times("subscribed at", "subscribed_at", "created at", "created_at", "date added"),
                unsubscribed=h.times("unsubscribed at", "unsubscribed_at"), attributes=h.rest(), headers=h.original)
