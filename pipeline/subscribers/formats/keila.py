"""Keila's contacts export (pentacent/keila, KeilaWeb.ContactsCsvExport): ``Email,First name,
Last name,Data,Status``, written by NimbleCSV (RFC 4180, CRLF line ends); ``Data`` is the
contact's JSON object, ``Status`` active, unsubscribed or unreachable (bounced). Older Keila
versions exported all contacts without the Status column: such a file cannot tell who left,
so it is refused rather than imported as if everyone wanted mail.
"""

from __future__ import annotations

from pipeline.subscribers.addresses import SubscriberError
from pipeline.subscribers.formats.common import Header, Spec, status_words

NAME = "keila"
LABEL = "Keila"
STATUSES = {"active": "active", "unsubscribed": "unsubscribed", "unreachable": "bounced"}


def detect(h: Header) -> bool:
    return {"email", "first name", "last name", "data"} <= set(h.cols)


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email")
    i = h.find("status")
    if i is None:
        raise SubscriberError("this Keila export has no Status column (older Keila versions), so people who "
                              "unsubscribed cannot be told apart; export again from Keila 0.13 or later, "
                              "or import it with --from csv --status pending so that everyone confirms again")
    return Spec(platform=LABEL, kind="contacts", email=email, first=h.find("first name"), last=h.find("last name"),
                status=status_words(i, h.original[i], STATUSES), json_attributes=h.find("data"),
                attributes=h.rest(), headers=h.original)
