"""The status vocabulary: every state a subscriber, link, draft, issue or delivery can be in,
in one place. Plain tuples of strings, since they are stored as text and typed on the
command line; this module imports nothing, so the CLI can offer them as choices cheaply."""

# A subscriber: pending --confirm--> active --unsubscribe--> unsubscribed; the send stage
# and the bounce intake set bounced and complained (see pipeline/subscribers.py).
SUBSCRIBER_STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")

# A collected link: waiting in the inbox, picked for an issue, or dismissed.
LINK_STATES = ("inbox", "picked", "dismissed")

# A draft's front matter `status:` (what the author says).
DRAFT_STATUSES = ("draft", "ready", "sent")
