"""A plain CSV file: Linkletter's own export (every column of ``FIELDS``, cells a spreadsheet
would run as formulas escaped), or any sheet with an ``email`` column and perhaps ``name`` (or
first and last name) and ``status``. Columns this format does not know are kept as attributes.
"""

from __future__ import annotations

from pipeline.subscribers.addresses import EVENT_FIELDS, STATUSES, SubscriberError
from pipeline.subscribers.formats.common import Header, Spec

NAME = "csv"
LABEL = "CSV"
EMAIL = ("email", "email address", "email_address", "e-mail")


def detect(h: Header) -> bool:
    return any(e in h for e in EMAIL)


def spec(h: Header, default_status: str = "active", unescape=None) -> Spec:
    email = h.find(*EMAIL)
    if email is None:
        raise SubscriberError(f"the header has no 'email' column (found: {', '.join(h.original)}); the first line "
                              f"must name the columns, e.g. 'email,name' (or use --from to say which "
                              f"platform the export comes from)")
    i = h.find("status")
    column = h.original[i] if i is not None else "status"

    def status(row: list) -> str:
        word = row[i].strip().lower() if i is not None else ""
        if not word:
            return default_status
        if word not in STATUSES:
            raise SubscriberError(f"{column} must be one of {', '.join(STATUSES)}, got {word[:20]!r}")
        return word

    name = h.find("name", "full name")
    first = last = None
    if name is None:
        first, last = h.find("first name", "first_name", "firstname"), h.find("last name", "last_name", "lastname")
    return Spec(platform=LABEL, kind="subscribers", email=email, name=name, first=first, last=last,
                status=status if i is not None else default_status, created=h.times("created_at"),
                confirmed=h.times("confirmed_at"), unsubscribed=h.times("unsubscribed_at"),
                consent_at=h.find("consent_at"), confirm_ip=h.find("consent_ip"),
                consent_source=h.find("consent_source"), user_agent=h.find("consent_user_agent"),
                consent_text=h.find("consent_text"), json_attributes=h.find("attributes"), unescape=unescape,
                exact=True, headers=h.original,
                attributes=tuple((c, i) for c, i in h.rest() if c not in EVENT_FIELDS))  # export-only counts: not kept
