"""subscribers keep what an import brought along that has no column of its own

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

`attributes` holds a JSON object of the extra columns of another platform's export (tags,
notes, custom fields, a listmonk or Keila data object), instead of refusing them.
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("attributes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("attributes")
