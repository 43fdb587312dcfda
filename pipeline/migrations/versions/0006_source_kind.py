"""sources get a kind, which decides how their entries are read

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Every existing source is a feed ("feed", its flavour detected from the feed itself); bookmark,
annotation, link-blog and microblog feeds and the highlight services' own APIs read their
entries differently (whose author, what is a quote, what is the curator's note).
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="feed"))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("kind")
