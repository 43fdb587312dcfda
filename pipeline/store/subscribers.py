"""Queries on ``subscribers`` and ``suppressions``. Each is a named function with a comment
saying why it is written the way it is. Functions take a session or a connection; none opens
one on its own.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterable, Iterator, Sequence

from sqlalchemy import DateTime, bindparam, delete, func, select, text, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from pipeline.models import Delivery, Subscriber, Suppression

SUBSCRIBERS = Subscriber.__table__
SUPPRESSIONS = Suppression.__table__


def get_by_email(session: Session, email: str) -> Subscriber | None:
    # The address is stored normalized (lower case), so an equality lookup on the unique
    # index is exact; no lower() in SQL, which would defeat the index.
    return session.scalars(select(Subscriber).where(Subscriber.email == email)).first()


def get_by_id(session: Session, subscriber_id: int) -> Subscriber | None:
    # Tokens carry the id, so the web routes look people up by primary key.
    return session.get(Subscriber, subscriber_id)


def is_suppressed(session: Session, email_hash: str) -> bool:
    # One probe of the unique index on email_hash; a removed address leaves nothing else.
    return session.scalar(select(Suppression.id).where(Suppression.email_hash == email_hash)) is not None


def suppression_hashes(conn: Connection) -> set[str]:
    # Loaded once per import: removals are rare (a few per year), so a set in memory is
    # far cheaper than probing the table for each of a million rows.
    return set(conn.scalars(select(SUPPRESSIONS.c.email_hash)))


def add_suppression(session: Session, email_hash: str, reason: str) -> None:
    # Insert-if-absent: removing an address twice must not fail on the unique index.
    if not is_suppressed(session, email_hash):
        session.add(Suppression(email_hash=email_hash, reason=reason))


class BulkInsert:
    """``INSERT ... ON CONFLICT (email) DO UPDATE ... WHERE`` of subscribers, prepared once per
    import: a new address is inserted; an existing one stays as it is, except that a pending or
    active person whose row says they left (unsubscribed, bounced, complained) takes that
    status: who left elsewhere is never mailed here.

    ``columns`` are given per row (as tuples, in this order; their times as UTC text
    'YYYY-MM-DD HH:MM:SS.ffffff'); ``constants`` are the same for every row."""

    # Built with SQLAlchemy Core (the dialect's insert().on_conflict_do_update(), so the same
    # code runs on SQLite and PostgreSQL) and compiled once. The batches then go to the
    # driver's executemany with values already converted: Core's per-row parameter processing
    # (~3 µs a row, mostly datetime conversion) would cost more than the insert itself, so the
    # times arrive as text in exactly the form SQLAlchemy's SQLite DATETIME stores (and are
    # parsed only for PostgreSQL). ORM objects would be ~20x slower still.
    # One statement for every row keeps the file's order (ids follow it) and merges duplicates
    # inside the file and against the table; nobody who left is ever made active.

    def __init__(self, conn: Connection, columns: Sequence[str], constants: dict):
        dialect = conn.dialect
        if dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        elif dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(dialect.name)
        self.conn = conn
        self.columns = tuple(columns)
        values = {c: bindparam(c) for c in (*self.columns, *constants)}
        insert = dialect_insert(SUBSCRIBERS).values(values)
        # A constant condition (no bound parameters, so the positional order stays that of the
        # columns): only a pending or active person takes the status of having left.
        upsert = insert.on_conflict_do_update(
            index_elements=["email"],
            set_={"status": insert.excluded.status,
                  "unsubscribed_at": func.coalesce(SUBSCRIBERS.c.unsubscribed_at, insert.excluded.unsubscribed_at)},
            where=text("subscribers.status IN ('pending', 'active') "
                       "AND excluded.status IN ('unsubscribed', 'bounced', 'complained')"))
        # A batch without anyone who left takes the plain statement (~15 % faster on SQLite).
        self.sql_plain = str(insert.on_conflict_do_nothing(index_elements=["email"]).compile(dialect=dialect))
        compiled = upsert.compile(dialect=dialect)
        self.sql = str(compiled)
        procs = {c: _bind_processor(c, dialect, per_row=c in self.columns) for c in values}
        self.constants = {c: (procs[c](v) if procs[c] and v is not None else v) for c, v in constants.items()}
        self.row_procs = [(i, procs[c]) for i, c in enumerate(self.columns) if procs[c] is not None]
        positions = compiled.positiontup
        n = len(self.columns)
        if positions is None:  # named/pyformat paramstyle (psycopg): dicts
            cols, const = self.columns, self.constants
            self._params = lambda rows: [{**const, **dict(zip(cols, r))} for r in rows]
        elif tuple(positions[:n]) == self.columns:  # qmark (sqlite3), per-row columns first: append the rest
            tail = tuple(self.constants[k] for k in positions[n:])
            self._params = (lambda rows: [r + tail for r in rows]) if tail else (lambda rows: rows)
        else:  # qmark in another order
            index = {c: i for i, c in enumerate(self.columns)}
            picks = [(index.get(k), self.constants.get(k)) for k in positions]
            self._params = lambda rows: [tuple(r[i] if i is not None else v for i, v in picks) for r in rows]

    def run(self, rows: Sequence[tuple], *, anyone_left: bool = True) -> int:
        """Insert the rows; returns how many rows changed (new ones and people who left).
        ``anyone_left=False`` says no row has a status of having left (the plain INSERT)."""
        if not rows:
            return 0
        if self.row_procs:
            rows = [_convert(r, self.row_procs) for r in rows]
        before = _total_changes(self.conn)
        result = self.conn.exec_driver_sql(self.sql if anyone_left else self.sql_plain, self._params(rows))
        if before is not None:
            return _total_changes(self.conn) - before
        return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def _bind_processor(column: str, dialect, *, per_row: bool):
    typ = SUBSCRIBERS.c[column].type
    if per_row and isinstance(getattr(typ, "impl", typ), DateTime):
        # per-row times come as UTC text: SQLite stores exactly that, PostgreSQL gets datetimes
        return None if dialect.name == "sqlite" else _utc_datetime
    return typ.dialect_impl(dialect).bind_processor(dialect)


def _utc_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def _convert(row: tuple, procs) -> tuple:
    row = list(row)
    for i, proc in procs:
        if row[i] is not None:
            row[i] = proc(row[i])
    return tuple(row)


def _total_changes(conn: Connection) -> int | None:
    # Exact on every sqlite3 version (executemany's rowcount is not, for ignored rows).
    if conn.dialect.name != "sqlite":
        return None
    return conn.connection.dbapi_connection.total_changes  # type: ignore[union-attr]


@contextmanager
def bulk_cache(conn: Connection, megabytes: int = 32) -> Iterator[None]:
    """A bigger SQLite page cache on this connection while a bulk insert runs (no-op elsewhere)."""
    # A million random addresses go into the unique email index all over its pages; with
    # SQLite's default 2 MB cache the same pages are read again and again (~10% slower).
    # The memory stays bounded (32 MB at most) and the default comes back afterwards,
    # because the pooled connection serves other work later.
    if conn.dialect.name != "sqlite":
        yield
        return
    (old,) = conn.exec_driver_sql("PRAGMA cache_size").one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(megabytes) * 1024}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(old)}")


def blocked_among(conn: Connection, emails: Iterable[str]) -> list[tuple[str, str]]:
    # Only run for a batch where some rows were skipped: which of them belong to people who
    # left (unsubscribed, bounced, complained)?
    return _with_status_among(conn, emails, ("unsubscribed", "bounced", "complained"))


def mailable_among(conn: Connection, emails: Iterable[str]) -> list[tuple[str, str]]:
    # Run before a batch with people who left elsewhere: which of them are pending or active
    # here (and are about to take the status of having left)?
    return _with_status_among(conn, emails, ("pending", "active"))


def _with_status_among(conn: Connection, emails: Iterable[str], statuses: Sequence[str]) -> list[tuple[str, str]]:
    # Uses the unique email index, one IN per 500 addresses (under SQLite's variable limit).
    emails = list(emails)
    out: list[tuple[str, str]] = []
    for i in range(0, len(emails), 500):
        chunk = emails[i:i + 500]
        out += [(e, s) for e, s in conn.execute(
            select(SUBSCRIBERS.c.email, SUBSCRIBERS.c.status)
            .where(SUBSCRIBERS.c.email.in_(chunk)).where(SUBSCRIBERS.c.status.in_(statuses)))]
    return out


def iter_subscribers(conn: Connection, status: str | None = None, batch: int = 5000) -> Iterator[dict]:
    """Every subscriber (optionally of one status) as a dict, in id order."""
    # Keyset pagination on the primary key, not OFFSET: each page is an index range scan, so
    # exporting a million rows is linear and holds one page in memory at a time.
    last = 0
    while True:
        q = select(SUBSCRIBERS).where(SUBSCRIBERS.c.id > last).order_by(SUBSCRIBERS.c.id).limit(batch)
        if status:
            q = q.where(SUBSCRIBERS.c.status == status)
        rows = conn.execute(q).mappings().all()
        if not rows:
            return
        for r in rows:
            yield dict(r)
        last = rows[-1]["id"]


def count_by_status(session: Session) -> dict[str, int]:
    # One GROUP BY over the status index instead of one COUNT per status.
    return {s: n for s, n in session.execute(
        select(Subscriber.status, func.count()).group_by(Subscriber.status))}


def delete_subscriber(session: Session, subscriber_id: int) -> None:
    # Erasure: the delivery rows name the person too, and the foreign key forbids leaving them.
    session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber_id))
    session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))


def set_status(session: Session, subscriber_id: int, status: str, *, from_statuses: Sequence[str],
               **times: datetime | None) -> bool:
    """Move one subscriber to ``status`` if it is currently in ``from_statuses``. True if it moved."""
    # A compare-and-set in one UPDATE: two clicks on the same link (or a click racing an
    # import) cannot both apply, and no row is read first.
    result = session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id, Subscriber.status.in_(from_statuses))
        .values(status=status, **times))
    return result.rowcount == 1


def insert_one(session: Session, values: dict) -> Subscriber:
    # One person at a time (CLI add, the form): the ORM is fine, and it gives back the id.
    sub = Subscriber(**values)
    session.add(sub)
    session.flush()
    return sub


def update_fields(session: Session, subscriber_id: int, values: dict) -> None:
    # Plain UPDATE by primary key, used when a pending or unsubscribed person consents again.
    session.execute(update(Subscriber).where(Subscriber.id == subscriber_id).values(**values))


def raise_link_generation(session: Session, subscriber_id: int) -> int | None:
    # One UPDATE, so two revocations at once both count; the new generation, None for no such row.
    session.execute(update(SUBSCRIBERS).where(SUBSCRIBERS.c.id == subscriber_id)
                    .values(link_generation=SUBSCRIBERS.c.link_generation + 1))
    return session.execute(select(SUBSCRIBERS.c.link_generation).where(SUBSCRIBERS.c.id == subscriber_id)).scalar()


def link_generation(session: Session, subscriber_id: int) -> int | None:
    # The web checks each unsubscribe token against it; None: the person was removed.
    return session.execute(select(SUBSCRIBERS.c.link_generation).where(SUBSCRIBERS.c.id == subscriber_id)).scalar()
