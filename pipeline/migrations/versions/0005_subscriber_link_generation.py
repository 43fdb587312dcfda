"""subscribers get a link generation, so one person's unsubscribe links can be revoked

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Unsubscribe tokens are derived from the secret key and the subscriber id; revoking a leaked
link used to mean rotating the secret key for everyone. ``link_generation`` (0 for every
existing subscriber, so their links stay valid) goes into tokens once it is raised, and the
web accepts only a token of the subscriber's current generation.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("link_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("link_generation")
