"""The subscribers stage: who gets the newsletter, and the record of their consent.

- ``addresses.py``: normalizing and validating addresses and names, the statuses and limits;
- ``people.py``: one subscriber's life (add, subscribe, confirm, unsubscribe, remove, revoke
  links) and the confirmation mail;
- ``records.py``: CSV import (of Linkletter's own export and, through ``formats/``, of other platforms'
  exports; ``sources.py`` opens files and zips) and export.

The CLI (``pipeline/cli/subscribers.py``) and the web pages (``pipeline/web/people.py``) call
the names below; the queries are in ``pipeline/store/subscribers.py``.

Statuses and how they change (one place, like a state machine)::

    (new) --form/add pending--> pending --confirm--> active --unsubscribe--> unsubscribed
    (new) --add/import active------------------------^            (send stage) bounced, complained

- An address is normalized (stripped, lower-cased as a whole) and validated with
  email-validator, never with DNS; its local part must be ASCII (no SMTPUTF8 when sending). Names are one line and at most ``MAX_NAME`` characters.
- People who left are never made active again by ``add`` or ``import``: unsubscribed,
  bounced and complained rows stay as they are (until the author runs ``subscribers reactivate``), and a removed address (GDPR erasure) leaves
  only a SHA-256 hash in ``suppressions`` that blocks it for good.
- An import of another platform's export brings its people who left (unsubscribed, cleaned,
  bounced, blocklisted there) as unsubscribed or bounced; a pending or active person here whom
  an imported row shows as having left takes that status (pending/active --import--> left).
- The subscribe form is a person's own, explicit new consent: an *unsubscribed* address that
  subscribes again through the form goes back to pending and must confirm by mail. Bounced,
  complained and removed addresses do not: the form answers the same page and nothing
  happens, so nobody learns anything about an address they typed (no enumeration).
"""

from pipeline.subscribers.addresses import (CONSENT_SOURCES, EVENT_FIELDS, FIELDS, LEFT, MAX_EMAIL, MAX_NAME, MAX_TEXT,
                                            MAX_USER_AGENT, STATUSES, SubscriberError, _fast_valid, clean_name,
                                            email_hash, mailbox_key, normalize_email)
from pipeline.subscribers.people import (CONFIRMATION_INTERVAL, Added, Subscribed, Throttle, add_subscriber,
                                         confirm, count_subscribers, find_subscriber, get_subscriber,
                                         list_subscribers, reactivate, remove_subscriber, revoke_links,
                                         send_confirmation, subscribe, subscriber_events, subscriber_for_unsubscribe,
                                         unsubscribe)
from pipeline.subscribers.records import (ImportReport, csv_escape, csv_unescape, export_csv, export_csv_file,
                                          import_csv)

__all__ = ["CONFIRMATION_INTERVAL", "CONSENT_SOURCES", "FIELDS", "LEFT", "MAX_EMAIL", "MAX_NAME", "MAX_TEXT",
           "MAX_USER_AGENT", "STATUSES", "Added", "ImportReport", "Subscribed", "SubscriberError", "Throttle",
           "_fast_valid", "add_subscriber", "clean_name", "confirm", "count_subscribers", "csv_escape",
           "csv_unescape", "email_hash", "export_csv", "export_csv_file", "find_subscriber", "get_subscriber",
           "import_csv", "list_subscribers", "mailbox_key", "normalize_email", "reactivate", "remove_subscriber",
           "revoke_links", "send_confirmation", "subscribe", "subscriber_events", "subscriber_for_unsubscribe",
           "unsubscribe", "EVENT_FIELDS"]
