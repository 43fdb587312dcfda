"""webhook receipts (idempotent provider events) and the author's notices

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-02

A provider's webhook may deliver one event several times (retries, replays): its key is
recorded once per provider. A notice to the author (too many bounces, complaints after a
send) is mailed once per issue and reason.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("provider", "key", name="uq_webhook_receipts_provider_key"),
    )
    op.create_index("ix_webhook_receipts_received_at", "webhook_receipts", ["received_at"])
    op.create_table(
        "author_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("issue_number", "reason", name="uq_author_notices_issue_reason"),
    )


def downgrade() -> None:
    op.drop_table("author_notices")
    op.drop_index("ix_webhook_receipts_received_at", table_name="webhook_receipts")
    op.drop_table("webhook_receipts")
