"""Storage: SQLite in WAL mode, versioned schema upgraded in place without data loss."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from pipeline import db
from pipeline.newsletter import open_newsletter
from tests.conftest import requires_postgres


def test_sqlite_runs_in_wal_mode_with_foreign_keys(nl):
    with nl.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_new_database_is_at_the_newest_revision(nl):
    assert db.current_revision(nl.engine) == db.head_revision()


def test_the_cheap_head_lookup_agrees_with_alembic():
    assert db.script_head() == db.head_revision()


def test_a_database_behind_the_newest_revision_is_upgraded_on_open(tmp_path):
    (tmp_path / "linkletter.toml").write_text('title = "T"\nsender = "T <t@example.org>"\n'
                                               'base_url = "https://t.example.org"\nsecret_key = "' + "k" * 40 + '"\n')
    engine = db.make_engine(f"sqlite:///{tmp_path / 'linkletter.db'}")
    db.upgrade(engine, "0001")
    engine.dispose()
    nl = open_newsletter(tmp_path, env={})
    try:
        assert db.current_revision(nl.engine) == db.head_revision() != "0001"
    finally:
        nl.close()


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


def test_subscriber_ids_are_never_reused_after_a_removal(nl):
    """Unsubscribe links carry the id: a removed person's id must not go to someone new."""
    from pipeline.subscribers import add_subscriber, find_subscriber, remove_subscriber

    add_subscriber(nl, "first@example.net")
    last = add_subscriber(nl, "second@example.net")
    old_id = find_subscriber(nl, "second@example.net").id
    assert remove_subscriber(nl, "second@example.net")
    add_subscriber(nl, "third@example.net")
    assert find_subscriber(nl, "third@example.net").id > old_id
    assert last is not None


def test_upgrade_to_autoincrement_keeps_subscribers_and_skips_removed_ids(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO subscribers (id, email, name, status, created_at, consent_source) "
                          "VALUES (1, 'a@example.net', 'A', 'active', '2026-01-01 00:00:00', 'cli'), "
                          "(2, 'b@example.net', 'B', 'active', '2026-01-01 00:00:00', 'cli')"))
        conn.execute(text("INSERT INTO suppressions (email_hash, reason, created_at) "
                          "VALUES ('h', 'removed', '2026-01-02 00:00:00')"))  # was id 3
        conn.execute(text("INSERT INTO issues (id, number, slug, title, subject, draft_path, status, created_at) "
                          "VALUES (1, 1, 'one', 'One', 'One', 'drafts/001-one.md', 'sent', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO deliveries (issue_id, subscriber_id, state, attempts) VALUES (1, 2, 'sent', 1)"))
    db.upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT id, email FROM subscribers ORDER BY id")).all() == [
            (1, "a@example.net"), (2, "b@example.net")]
        conn.execute(text("INSERT INTO subscribers (email, name, status, created_at, consent_source) "
                          "VALUES ('c@example.net', 'C', 'active', '2026-01-03 00:00:00', 'cli')"))
        assert conn.execute(text("SELECT id FROM subscribers WHERE email = 'c@example.net'")).scalar() == 4
        assert conn.execute(text("SELECT subscriber_id, state FROM deliveries")).all() == [(2, "sent")]
    engine.dispose()


@requires_postgres
def test_postgres_upgrade_from_the_first_revision_matches_the_models(pg_database):
    engine = db.make_engine(pg_database)
    try:
        db.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO subscribers (email, name, status, created_at, consent_source) "
                              "VALUES ('a@example.net', 'A', 'active', now(), 'cli')"))
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT email FROM subscribers")).scalar() == "a@example.net"
            assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_upgrade_renormalizes_link_urls_stored_before(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine, "0003")
    with engine.begin() as conn:
        for i, url in enumerate(["https://a.example/%7eann/./p.html", "https://a.example/caf%c3%a9",
                                 "https://a.example/plain"]):
            conn.execute(text("INSERT INTO links (url, canonical_url, state, fetch_status, fetch_attempts, created_at) "
                              "VALUES (:u, :u, 'picked', 'ok', 0, '2026-01-01 00:00:00')"), {"u": url})
    db.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT canonical_url FROM links ORDER BY id")).scalars().all() == [
            "https://a.example/~ann/p.html", "https://a.example/caf%C3%A9", "https://a.example/plain"]
    engine.dispose()
