"""highlight services: a source's incremental cursor, a quote's highlighted_at

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

A highlight service's API (Readwise, Hypothesis, Raindrop, Wallabag) is read incrementally:
``sources.cursor`` keeps where the last poll ended, in the service's own terms. A quote taken
from a highlight service or a file import keeps when the author marked it.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("cursor", sa.Text(), nullable=True))
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("highlighted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("highlighted_at")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("cursor")
