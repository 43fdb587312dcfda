"""quotes get an order and a placement

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

``quotes.position`` is the author's order of a link's quotes (NULL: in the order they were
taken, after those given a position). ``quotes.issue_number`` is the issue a quote was written
into: a quote that arrives after its link was drafted has none, so the next ``draft`` can add
it (to the open draft, or as a new pick when the link's issue was sent). Quotes of links
already placed count as placed with them, so an upgrade appends nothing twice.
(``links.note`` and ``quotes.note`` exist since 0001.)
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("issue_number", sa.Integer(), nullable=True))
        batch.create_index("ix_quotes_issue_number", ["issue_number"])
    op.execute("UPDATE quotes SET issue_number = (SELECT links.issue_number FROM links WHERE links.id = quotes.link_id)")


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_index("ix_quotes_issue_number")
        batch.drop_column("issue_number")
        batch.drop_column("position")
