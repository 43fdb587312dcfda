"""mail events: bounces, complaints, unsubscribes and auto-replies that came back

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-02

One row per thing that came back for a mail (pipeline/inbound/), with its issue, delivery,
subscriber, raw reason and source; ``event_key`` is unique so recording is idempotent.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("issue_number", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("event_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key"),
    )
    op.create_index("ix_mail_events_kind", "mail_events", ["kind"])
    op.create_index("ix_mail_events_issue_number", "mail_events", ["issue_number"])
    op.create_index("ix_mail_events_created_at", "mail_events", ["created_at"])
    op.create_index("ix_mail_events_subscriber_kind", "mail_events", ["subscriber_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_mail_events_subscriber_kind", table_name="mail_events")
    op.drop_index("ix_mail_events_created_at", table_name="mail_events")
    op.drop_index("ix_mail_events_issue_number", table_name="mail_events")
    op.drop_index("ix_mail_events_kind", table_name="mail_events")
    op.drop_table("mail_events")
