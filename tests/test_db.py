"""Storage: SQLite in WAL mode, versioned schema upgraded in place without data loss."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from pipeline import db
from pipeline.newsletter import open_newsletter


def test_sqlite_runs_in_wal_mode_with_foreign_keys(nl):
    with nl.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_new_database_is_at_the_newest_revision(nl):
    assert db.current_revision(nl.engine) == db.head_revision()


def test_migrations_match_the_models(nl):
    """A model changed without a migration would make this diff non-empty."""
    with nl.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_from_the_first_revision_keeps_data(tmp_path, nl_dir):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine, "0001")
    assert db.current_revision(engine) == "0001"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (url, name, mode, created_at) "
                          "VALUES ('https://a.example/feed', 'A', 'inbox', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO links (url, canonical_url, source_id, state, fetch_status, created_at) "
                          "VALUES ('https://a.example/p?utm_source=x', 'https://a.example/p', 1, 'picked', 'ok', "
                          "'2026-01-02 00:00:00')"))
        assert "suppressions" not in db.table_names(engine)
    engine.dispose()

    # opening a newsletter whose database is old upgrades it in place
    cfg = nl_dir / "linkletter.toml"
    nl = open_newsletter(nl_dir, env={"LINKLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"})
    try:
        assert db.current_revision(nl.engine) == db.head_revision()
        with nl.engine.connect() as conn:
            row = conn.execute(text("SELECT url, state, fetch_attempts FROM links")).one()
            assert row == ("https://a.example/p?utm_source=x", "picked", 0)
            assert conn.execute(text("SELECT name FROM sources")).scalar() == "A"
        assert "suppressions" in db.table_names(nl.engine)
    finally:
        nl.close()
    assert cfg.exists()
