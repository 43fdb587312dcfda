"""listmonk's subscriber export (knadh/listmonk, cmd/subscribers.go, the CSV export handler):
``uuid,email,name,attributes,status,created_at,updated_at``; ``attributes`` is the subscriber's
JSON object, ``status`` enabled, disabled or blocklisted, and the times are Go's
``time.Time.String()`` ('2021-03-04 10:11:12.123456 +0100 CET').
"""

from __future__ import annotations

from pipeline.subscribers.formats.common import Header, Spec, status_words

NAME = "listmonk"
LABEL = "listmonk"
STATUSES = {"enabled": "active", "disabled": "unsubscribed", "blocklisted": "unsubscribed"}


def detect(h: Header) -> bool:
    return {"uuid", "email", "attributes", "status"} <= set(h.cols)


def spec(h: Header) -> Spec:
    email = h.need(LABEL, "email")
    i = h.need(LABEL, "status")
    return Spec(platform=LABEL, kind="subscribers", email=email, name=h.find("name"),
                status=status_words(i, h.original[i], STATUSES), created=h.times("created_at"),
                ignored=h.ignore("uuid", "updated_at"), json_attributes=h.find("attributes"),
                attributes=h.rest(), headers=h.original)
