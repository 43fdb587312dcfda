"""subscriber ids are never reused

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Unsubscribe links carry the subscriber id and never expire. SQLite hands out the highest id
again after that row was deleted (a GDPR removal), so a removed person's old link could
unsubscribe the next new subscriber. AUTOINCREMENT makes ids strictly increasing. PostgreSQL
sequences never reuse ids, so nothing changes there.
"""
from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    top = bind.execute(text("SELECT COALESCE(MAX(id), 0) FROM subscribers")).scalar()
    removed = 0
    if "suppressions" in [r[0] for r in bind.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]:
        removed = bind.execute(text("SELECT COUNT(*) FROM suppressions")).scalar()
    with op.batch_alter_table("subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass
    # Ids of people removed before this upgrade may sit above the current maximum; their
    # number is unknown, so start new ids past the current maximum plus every removal.
    # sqlite_sequence has no unique key on name: update the row the copy made, else add one
    seq = {"seq": top + removed}
    if bind.execute(text("UPDATE sqlite_sequence SET seq = :seq WHERE name = 'subscribers'"), seq).rowcount == 0:
        bind.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('subscribers', :seq)"), seq)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with op.batch_alter_table("subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
