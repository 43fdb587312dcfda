"""beehiiv's subscriber export (Audience → Subscribers → Export): one row per subscription with
the fields of its API's subscription object, ``email,status,created_at,subscription_tier,
subscription_premium_tier_names,utm_source,utm_medium,utm_channel,utm_campaign,referring_site,
referral_code`` (custom fields follow as further columns). Status words: active; validating
and pending (not confirmed yet); inactive (unsubscribed); invalid (the address bounced).
``created_at`` is a time or Unix seconds.
"""

from __future__ import annotations

from pipeline.subscribers.formats.common import Header, Spec, status_words

NAME = "beehiiv"
LABEL = "beehiiv"
STATUSES = {"active": "active", "validating": "pending", "pending": "pending", "inactive": "unsubscribed",
            "unsubscribed": "unsubscribed", "invalid": "bounced"}


def detect(h: Header) -> bool:
    return "email" in h and "status" in h and ("subscription_tier" in h or "referring_site" in h
                                               or "utm_channel" in h)


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email")
    i = h.need(LABEL, "status")
    return Spec(platform=LABEL, kind="subscribers", email=email, name=h.find("name"),
                first=h.find("first_name", "first name"), last=h.find("last_name", "last name"),
                status=status_words(i, h.original[i], STATUSES), created=h.times("created_at", "created"),
                ignored=h.ignore("id", "stripe_customer_id"), attributes=h.rest(), headers=h.original)
