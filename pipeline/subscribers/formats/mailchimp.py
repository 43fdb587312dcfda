"""Mailchimp's audience export: a zip of three CSV files, subscribed, unsubscribed and cleaned
members (``subscribed_members_export_<id>.csv`` and so on; newer accounts name them
``..._email_audience_export_...``), with the merge fields' labels as headers ("Email Address",
"First Name", ...) and Mailchimp's own columns in capitals (OPTIN_TIME, CONFIRM_IP, LEID, ...).
Which of the three a file is shows in its header: the unsubscribed file adds UNSUB_TIME,
UNSUB_CAMPAIGN_TITLE, UNSUB_CAMPAIGN_ID, UNSUB_REASON, UNSUB_REASON_OTHER; the cleaned file
(hard bounces) CLEAN_TIME, CLEAN_CAMPAIGN_TITLE, CLEAN_CAMPAIGN_ID. Times are UTC,
'YYYY-MM-DD HH:MM:SS'.
"""

from __future__ import annotations

from pipeline.subscribers.formats.common import Header, Spec

NAME = "mailchimp"
LABEL = "Mailchimp"
# Mailchimp's bookkeeping, meaningless outside it (ids, its rating, time-zone offsets).
_IGNORED = ("member_rating", "gmtoff", "dstoff", "last_changed", "leid", "euid", "unsub_campaign_id",
            "clean_campaign_id")


def detect(h: Header) -> bool:
    return "email address" in h and ("optin_time" in h or "leid" in h or "euid" in h)


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email address")
    if "unsub_time" in h:
        status, kind, gone = "unsubscribed", "unsubscribed members", h.times("unsub_time")
    elif "clean_time" in h:
        status, kind, gone = "bounced", "cleaned members (bounced)", ()
    else:
        status, kind, gone = "active", "subscribed members", ()
    return Spec(platform=LABEL, kind=kind, email=email, first=h.find("first name", "fname"),
                last=h.find("last name", "lname"), status=status, created=h.times("optin_time"),
                confirmed=h.times("confirm_time"), unsubscribed=gone, optin_ip=h.find("optin_ip"),
                confirm_ip=h.find("confirm_ip"), ignored=h.ignore(*_IGNORED), attributes=h.rest(),
                headers=h.original)
