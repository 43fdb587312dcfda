"""The status vocabulary: every state a subscriber, link, draft, issue or delivery can be in,
in one place, and which side decides each. The values are stored as text and typed on the
command line; as ``StrEnum`` members they compare equal to those strings. This module imports
nothing heavy, so the CLI can offer them as choices cheaply.

Who decides:

- **Draft status** (front matter ``status:``) is the author's: ``draft`` while writing,
  ``ready`` to ask for a send. ``sent`` is written *by the send* once the database says the
  issue is sent; the front matter only mirrors it (with the send ``date``).
- **Issue status** (table ``issues``) is the database's, and it decides whether an issue was
  sent: ``draft`` (a row exists: a draft was assembled or a send is being prepared),
  ``sending`` (frozen, deliveries created, mail going out), ``sent`` (every delivery done).
  The archive and the feeds go by this, not by the front matter (the repeat-link warning of
  ``check`` still reads the sent drafts' front matter).
- **Delivery state** is the send engine's: ``queued`` → ``sending`` (claimed by one
  connection) → ``sent`` (the mail server accepted it) or ``failed``. A bounce is not a
  delivery state: it changes the *subscriber* (``bounced``).
- **Subscriber status** changes only through ``pipeline/subscribers/``: pending → active →
  unsubscribed, and bounced / complained from the send stage and what comes back.
- **Mail event kind** (table ``mail_events``) is the intake's (``pipeline/inbound/``): what came
  back for a delivery or a subscriber. ``hard_bounce`` and ``complaint`` suppress at once,
  ``soft_bounce`` after ``soft_bounce_limit`` within ``soft_bounce_days``; ``delayed``,
  ``auto_reply`` and ``other`` change nothing; ``unsubscribe`` is the reader leaving (web,
  one-click or mailto).
- **Link state**: ``inbox`` → ``picked`` (for the next issue) or ``dismissed``.
"""

from enum import StrEnum


class DraftStatus(StrEnum):
    DRAFT = "draft"
    READY = "ready"
    SENT = "sent"


class IssueStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    SENT = "sent"


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class LinkState(StrEnum):
    INBOX = "inbox"
    PICKED = "picked"
    DISMISSED = "dismissed"


class MailEventKind(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    DELAYED = "delayed"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    AUTO_REPLY = "auto_reply"
    OTHER = "other"


# the values as plain strings, for command-line choices and messages
SUBSCRIBER_STATUSES = tuple(s.value for s in SubscriberStatus)
LINK_STATES = tuple(s.value for s in LinkState)
DRAFT_STATUSES = tuple(s.value for s in DraftStatus)
MAIL_EVENT_KINDS = tuple(s.value for s in MailEventKind)
