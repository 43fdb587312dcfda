"""click counters per (issue, link); the page a subscriber came from; indexes for the numbers

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02

``click_counts``: one counter per (issue, link) when ``click_counts = true`` (no row per click,
nothing per person). ``subscribers.consent_page``: the site page the subscribe form was
reached from. ``ix_subscribers_confirmed_at``, ``ix_subscribers_left`` and the partial
``ix_subscribers_origin`` and ``ix_subscribers_import_origin``: the numbers count confirmations
and departures per week and subscribers per origin over them instead of reading every row.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "click_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("url_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("link_index", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issue_number", "url_hash", name="uq_click_counts_issue_url"),
    )
    op.add_column("subscribers", sa.Column("consent_page", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index("ix_subscribers_confirmed_at", "subscribers", ["confirmed_at"])
    op.create_index("ix_subscribers_left", "subscribers", ["status", "unsubscribed_at", "confirmed_at"])
    op.create_index("ix_subscribers_origin", "subscribers", ["consent_source", "consent_page", "status"],
                    sqlite_where=sa.text("consent_source != 'import'"), postgresql_where=sa.text("consent_source != 'import'"))
    op.create_index("ix_subscribers_import_origin", "subscribers", ["consent_text", "status"],
                    sqlite_where=sa.text("consent_source = 'import'"), postgresql_where=sa.text("consent_source = 'import'"))


def downgrade() -> None:
    op.drop_index("ix_subscribers_import_origin", table_name="subscribers")
    op.drop_index("ix_subscribers_origin", table_name="subscribers")
    op.drop_index("ix_subscribers_left", table_name="subscribers")
    op.drop_index("ix_subscribers_confirmed_at", table_name="subscribers")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("consent_page")
    op.drop_table("click_counts")
