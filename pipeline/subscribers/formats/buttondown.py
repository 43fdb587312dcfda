"""Buttondown's subscriber export (Subscribers → Export): ``id,email,notes,subscriber_type,
referrer_url,utm_source,utm_medium,utm_campaign,creation_date,ip_address,subscription_date,
unsubscription_date,tags,metadata`` (the API calls the address ``email_address``). The
``subscriber_type`` words are those of Buttondown's OpenAPI enums (buttondown/openapi,
enums.json SubscriberType): regular, premium, trialed, unpaid, gifted, churning, paused and
past_due still get the newsletter; unactivated never confirmed; unsubscribed, removed and
spammy do not get it.
"""

from __future__ import annotations

from pipeline.subscribers.formats.common import Header, Spec, status_words

NAME = "buttondown"
LABEL = "Buttondown"
STATUSES = {
    "regular": "active", "premium": "active", "trialed": "active", "unpaid": "active", "gifted": "active",
    "churning": "active", "paused": "active", "past_due": "active",
    "unactivated": "pending",
    "unsubscribed": "unsubscribed", "removed": "unsubscribed",
    "spammy": "bounced", "undeliverable": "bounced", "complained": "complained",
}


def detect(h: Header) -> bool:
    return ("email" in h or "email_address" in h) and "subscriber_type" in h


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email", "email_address")
    i = h.need(LABEL, "subscriber_type", "type")
    return Spec(platform=LABEL, kind="subscribers", email=email,
                status=status_words(i, h.original[i], STATUSES),
                created=h.times("creation_date"), confirmed=h.times("subscription_date"),
                unsubscribed=h.times("unsubscription_date"), optin_ip=h.find("ip_address"),
                ignored=h.ignore("id", "secondary_id"), json_attributes=h.find("metadata"),
                attributes=h.rest(), headers=h.original)
