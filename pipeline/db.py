"""Database engine, schema migrations and sessions. Engines are made from settings and passed in.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, so the web
server, the scheduler and a send can share one file. PostgreSQL works through its URL.
The schema is versioned with Alembic (``pipeline/migrations``) and upgraded in place.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite with WAL, foreign keys and a 30 s busy timeout."""
    if url.startswith("sqlite"):
        _private_sqlite_files(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            # Let SQLAlchemy's BEGIN happen explicitly so 'BEGIN IMMEDIATE' is possible.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def _private_sqlite_files(url: str) -> None:
    """The database holds addresses, IPs and user agents: its file is created owner-only (0600)
    before SQLite opens it, and an existing one made so. SQLite gives the -wal and -shm files
    the database file's mode; existing ones are made owner-only too."""
    from sqlalchemy.engine import make_url

    from pipeline.files import private_file

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite's own error names the missing folder
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            private_file(side)


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest), keeping all data."""
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # SQLite changes a table by copying it; with foreign keys enforced, dropping the old
            # copy of a table that others refer to would fail. Off for the migration (it cannot
            # change inside a transaction), checked afterwards, on again.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg = _alembic_config(engine)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                conn.commit()
                if broken:
                    raise RuntimeError(f"the schema upgrade left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()  # type: ignore[arg-type]


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([^'\"\s]+|None)['\"]?\s*$", re.M)


@lru_cache(maxsize=1)
def script_head() -> str | None:
    """The newest revision, read from the migration files' ``revision``/``down_revision`` lines
    without importing Alembic (which costs a command ~0.15 s). The one that no other revision
    names as its parent is the head; ``tests/test_db.py`` checks this equals Alembic's answer."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, by plain SQL (None when there is no schema yet)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def ensure_schema(engine: Engine) -> None:
    """Upgrade when the database is behind; cheap when it is current (no Alembic import)."""
    head = script_head()
    if head is None or _stored_revision(engine) != head:
        upgrade(engine)


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
