"""quotes keep whom they cite and where they stand; links keep who pointed to them; quote
hashes follow the check's typography normalization

Revision ID: 0008
Revises: 0012
Create Date: 2026-12-02

links.via: the bookmarker, annotator or link blogger an entry came from (no longer taken for
the page's author). quotes.cite_text: a blockquote's <cite>/<footer>/<figcaption> (its link is
the quote's source_url). quotes.position (added by 0007) is set from where the passage stands in the page's text, so
highlights are shown in reading order. quotes.text_hash is recomputed with the typography
normalization (pipeline.typography.normalize); two quotes of a link that are now the same
passage are both kept, the later one's hash made unique with its id.
"""
from alembic import op
import sqlalchemy as sa
from sqlmodel import Session

revision = "0008"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("via", sa.String(), nullable=True))
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("cite_text", sa.String(), nullable=True))
    from pipeline.collect.renormalize import rehash_quotes

    with Session(bind=op.get_bind()) as session:
        rehash_quotes(session)
        session.flush()


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("cite_text")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("via")
