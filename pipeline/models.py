"""The stored data: SQLModel tables, in the order data flows through Linkletter.

Source → Link (+ Quote) → Issue → Delivery ← Subscriber.

Only these classes have ``table=True``. Every change to a table needs a migration in
``pipeline/migrations/versions/``; ``tests/test_db.py`` fails when models and migrations differ.
Annotations are real here (no ``from __future__ import annotations``): pydantic would otherwise
evaluate each of them from a string when the classes are made, on every command's start.
"""

from datetime import datetime, timezone

from sqlalchemy import Column, Index, Integer, LargeBinary, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (the only kind the tables store)."""
    return datetime.now(timezone.utc)


class Source(SQLModel, table=True):
    """A feed the author follows. ``mode`` is 'inbox' (entries wait to be picked) or 'auto'
    (every new entry is a pick: the author's own bookmark or highlight feed)."""

    __tablename__ = "sources"
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True)
    name: str = ""
    mode: str = "inbox"
    kind: str = "feed"  # settings.values.SOURCE_KINDS: how its entries are read
    # conditional GET: what the server last sent us
    etag: str | None = None
    last_modified: str | None = None
    # a highlight service's incremental position (JSON, its own form per kind: an updatedAfter
    # time, a search_after value, a page to resume at); advanced with the entries it found
    cursor: str | None = Field(default=None, sa_column=Column(Text))
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Link(SQLModel, table=True):
    """A page, found in a feed or added by hand. ``state`` is 'inbox', 'picked' or 'dismissed'
    (pipeline/states.py LinkState); ``issue_number`` is set once the link was placed in a draft
    (its first placement; each quote records its own); ``note`` is the author's, never published."""

    __tablename__ = "links"
    id: int | None = Field(default=None, primary_key=True)
    url: str
    canonical_url: str = Field(unique=True)  # normalized: no tracking parameters, no fragment
    source_id: int | None = Field(default=None, foreign_key="sources.id", index=True)
    entry_id: str | None = None  # the feed entry's id/guid
    state: str = Field(default="inbox", index=True)
    note: str | None = Field(default=None, sa_column=Column(Text))  # the author's, never published as is
    via: str | None = None  # who pointed to the page: the bookmarker, annotator or link blogger
    # page metadata
    title: str | None = None
    site_name: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    description: str | None = Field(default=None, sa_column=Column(Text))
    language: str | None = None
    content_type: str | None = None
    main_text: str | None = Field(default=None, sa_column=Column(Text))
    # fetching: 'pending', 'ok' or 'failed' (retried on the next collect); 'skipped': never
    # fetched on purpose (a link of an earlier issue brought in by the archive import)
    fetch_status: str = Field(default="pending", index=True)
    fetch_error: str | None = None
    http_status: int | None = None
    fetch_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    fetched_at: datetime | None = None
    issue_number: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    picked_at: datetime | None = None


class Quote(SQLModel, table=True):
    """A passage of a link's page the author may quote. ``origin`` is 'feed', 'annotation',
    'cli', 'bookmarklet', 'desk' or 'highlight' (a highlight service or file import);
    ``source_url`` may carry a text fragment (#:~:text=). ``text_hash`` is of the text after
    typography normalization (``collect.text.quote_hash``). ``position`` orders a link's quotes;
    ``issue_number`` is set once the quote was written into a draft."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("link_id", "text_hash", name="uq_quotes_link_text"),)
    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="links.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_hash: str  # sha256 of the normalized text: one quote once per link
    source_url: str | None = None  # also the link of the work it cites (a blockquote's <cite>)
    note: str | None = Field(default=None, sa_column=Column(Text))  # the author's, never published
    cite_text: str | None = None  # whom or what it cites, as the feed named it ("Anna Berger, Title")
    origin: str = "cli"
    highlighted_at: datetime | None = None  # when the author marked it, as the highlight service says
    created_at: datetime = Field(default_factory=utcnow)
    # the author's order; set from the quote's place in the page's text when collected (reading
    # order), renumbered when the author reorders (NULL: after those with one, in id order)
    position: int | None = None
    issue_number: int | None = Field(default=None, index=True)  # the issue it was written into


class Issue(SQLModel, table=True):
    """An issue of the newsletter. The draft file is the author's; this record keeps what the
    send needs: the frozen rendering, the send lease, and the source snapshots."""

    __tablename__ = "issues"
    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    slug: str = ""
    title: str = ""
    subject: str = ""
    draft_path: str = ""
    # draft | sending | sent (pipeline/states.py: IssueStatus; the database decides "sent")
    status: str = Field(default="draft", index=True)
    frozen_html: str | None = Field(default=None, sa_column=Column(Text))
    frozen_text: str | None = Field(default=None, sa_column=Column(Text))
    frozen_mime: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    snapshot: str | None = Field(default=None, sa_column=Column(Text))  # JSON: cited sources at send time
    send_started_at: datetime | None = None
    sent_at: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Subscriber(SQLModel, table=True):
    """A reader. ``email`` is normalized (lower case), so it is unique regardless of case.
    status: pending | active | unsubscribed | bounced | complained."""

    __tablename__ = "subscribers"
    # Ids are never reused (SQLite AUTOINCREMENT): an unsubscribe link carries the id and stays
    # valid for ever, so a removed person's old link must never match a new subscriber.
    # The two partial origin indexes let the numbers count by consent source without reading
    # the rows (pipeline/store/stats.py origins): one of the imported rows, one of the others.
    __table_args__ = (
        Index("ix_subscribers_origin", "consent_source", "consent_page", "status", sqlite_where=sql_text("consent_source != 'import'"),
              postgresql_where=sql_text("consent_source != 'import'")),
        Index("ix_subscribers_import_origin", "consent_text", "status", sqlite_where=sql_text("consent_source = 'import'"),
              postgresql_where=sql_text("consent_source = 'import'")),
        Index("ix_subscribers_left", "status", "unsubscribed_at", "confirmed_at"),  # who left when, per week
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)
    name: str = ""
    status: str = Field(default="pending", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = Field(default=None, index=True)  # indexed: the weekly numbers
    unsubscribed_at: datetime | None = None
    # consent record
    consent_source: str = "cli"  # form | import | cli
    consent_ip: str | None = None
    consent_user_agent: str | None = None
    consent_text: str | None = Field(default=None, sa_column=Column(Text))
    consent_at: datetime | None = None
    # what an import brought along that has no column of its own (name parts, tags, notes, a
    # platform's custom fields): a JSON object, or None
    attributes: str | None = Field(default=None, sa_column=Column(Text))
    # the page of this site the subscribe form was reached from (a path, same origin only), if known
    consent_page: str | None = None
    # raised to revoke every unsubscribe link mailed so far (see pipeline.tokens)
    # (a server default only: the bulk import's compiled INSERT leaves the column out)
    link_generation: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class Suppression(SQLModel, table=True):
    """What is left of a removed subscriber (GDPR erasure): a hash of the address, so it is
    never mailed or imported again."""

    __tablename__ = "suppressions"
    id: int | None = Field(default=None, primary_key=True)
    email_hash: str = Field(unique=True)
    reason: str = "removed"
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """One issue to one subscriber. state: queued → sending → sent | failed (DeliveryState in
    pipeline/states.py; a bounce changes the subscriber, not the delivery).
    Marked sent the moment the mail server accepted the message."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("issue_id", "subscriber_id", name="uq_deliveries_issue_subscriber"),
        Index("ix_deliveries_issue_state", "issue_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issues.id")
    subscriber_id: int = Field(foreign_key="subscribers.id", index=True)
    state: str = "queued"
    attempts: int = 0
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None


class MailEvent(SQLModel, table=True):
    """Something that came back for a mail: a bounce, a complaint, an unsubscribe, an auto-reply
    (``kind``: pipeline/states.py MailEventKind). Every way in (SMTP refusal at RCPT time, the
    inbound intake by pipe or IMAP, provider webhooks, the web's unsubscribe) records one row
    here. ``event_key`` makes recording idempotent: the same DSN or webhook event twice is one
    row. No foreign keys: an erased subscriber's rows go with them (store.subscribers), and an
    event may name nobody we know."""

    __tablename__ = "mail_events"
    __table_args__ = (Index("ix_mail_events_subscriber_kind", "subscriber_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    subscriber_id: int | None = None
    issue_number: int | None = Field(default=None, index=True)
    delivery_id: int | None = None
    address: str | None = None  # the address the event named (may differ from the subscriber's)
    source: str = ""  # smtp | inbound | imap | web | webhook:<provider> | cli
    reason: str | None = Field(default=None, sa_column=Column(Text))  # raw, bounded (inbound.MAX_REASON)
    event_key: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ClickCount(SQLModel, table=True):
    """How often a link of a mailed issue was followed, in total (``click_counts = true``; see
    pipeline/stats/clicks.py). One counter per (issue, link): no row per click, nothing about
    who clicked or when. ``url_hash`` (sha256 of the URL) keys it, so a long URL needs no index."""

    __tablename__ = "click_counts"
    __table_args__ = (UniqueConstraint("issue_number", "url_hash", name="uq_click_counts_issue_url"),)
    id: int | None = Field(default=None, primary_key=True)
    issue_number: int
    url_hash: str
    url: str = Field(sa_column=Column(Text, nullable=False))
    link_index: int = 0  # the link's place in the issue's HTML (1 = first), as its /r/ address says
    clicks: int = 0


class JobRun(SQLModel, table=True):
    """The last run of each scheduled job, for ``linkletter jobs``."""

    __tablename__ = "job_runs"
    job_id: str = Field(primary_key=True)
    last_run_at: datetime | None = None
    last_result: str | None = Field(default=None, sa_column=Column(Text))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    failures: int = 0  # consecutive failures


# -- what comes back: webhooks and the author's notices (issue 15)


class WebhookReceipt(SQLModel, table=True):
    """One event (or one signed call, for the replay checks) a provider's webhook delivered,
    by its key: the same event delivered twice is recorded once."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("provider", "key", name="uq_webhook_receipts_provider_key"),)
    id: int | None = Field(default=None, primary_key=True)
    provider: str
    key: str
    received_at: datetime = Field(default_factory=utcnow, index=True)


class AuthorNotice(SQLModel, table=True):
    """A mail the author got about an issue's send (too many bounces, complaints): each reason
    once per issue, however many processes or runs notice it."""

    __tablename__ = "author_notices"
    __table_args__ = (UniqueConstraint("issue_number", "reason", name="uq_author_notices_issue_reason"),)
    id: int | None = Field(default=None, primary_key=True)
    issue_number: int
    reason: str
    sent_at: datetime = Field(default_factory=utcnow)
