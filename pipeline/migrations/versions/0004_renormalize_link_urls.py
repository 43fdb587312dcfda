"""links keep the canonical URL of today's canonicalize (RFC 3986 path normalization)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Links stored before canonicalize normalized paths (percent-encoding, dot segments, non-ASCII)
would not match the same page shared again. Rewrites their canonical_url path; a link whose
new URL another link already holds is left as it is (merging them is for a person to decide).
A data migration only: the schema does not change.
"""
from alembic import op
from sqlmodel import Session

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pipeline.collect.renormalize import renormalize_canonical_urls

    with Session(bind=op.get_bind()) as session:
        renormalize_canonical_urls(session)
        session.flush()


def downgrade() -> None:
    pass  # the old spellings are not kept; the normalized URLs name the same pages
