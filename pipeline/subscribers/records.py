"""Subscribers in and out as CSV: a streaming import of Linkletter's own export and other
platforms' (``formats/``) that reports bad rows by line, and an export of every field (consent
records and attributes included) that a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, TextIO

from pipeline.models import utcnow
from pipeline.store import subscribers as store
from pipeline.subscribers.addresses import EVENT_FIELDS, FIELDS, LEFT, STATUSES, SubscriberError, email_hash
from pipeline.subscribers.formats import COLUMNS, recognise, row_mapper
from pipeline.subscribers.formats.common import printable
from pipeline.subscribers.people import list_subscribers
from pipeline.subscribers.sources import Source, open_text, sources, unreadable

# ------------------------------------------------------------------ CSV import

class Problem(NamedTuple):
    line: int
    reason: str
    file: str = ""


@dataclass
class ImportReport:
    rows: int = 0            # data rows read
    added: int = 0           # new subscribers
    skipped: int = 0         # already present (in the table or earlier in the file)
    suppressed: int = 0      # removed addresses, never imported again
    blocked: int = 0         # present but unsubscribed/bounced/complained: left as they are
    made_left: int = 0       # were pending or active here, left at the platform: now not mailed
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
    blocked_examples: list[str] = field(default_factory=list)
    recognised: list[tuple[str, str, str]] = field(default_factory=list)  # (file, format, what maps to what)
    change: dict[str, int] = field(default_factory=dict)   # status -> change in its count
    totals: dict[str, int] = field(default_factory=dict)   # status -> count after the import
    dry_run: bool = False

    MAX_PROBLEMS = 100

    def problem(self, line: int, reason: str, file: str = "") -> None:
        self.invalid += 1
        if reason and len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(Problem(line, printable(reason), printable(file)))


def _check_header(label: str, header: list[str] | None) -> None:
    if not header:
        raise SubscriberError(f"{label}: empty file; the first line must be a header such as 'email,name'")
    cols = [h.strip().lower() for h in header]
    dupes = sorted({c for c in cols if c and cols.count(c) > 1})
    if dupes:
        raise SubscriberError(f"{label}:1: column(s) named twice: {', '.join(dupes)}")


def _structure_error(label: str, line: int, fields: int, width: int) -> SubscriberError:
    what = "missing" if fields < width else "extra"
    return SubscriberError(f"{label}:{line}: {what} columns: {fields} fields, the header has {width}; "
                           f"nothing was imported")


def import_csv(nl, path: str | os.PathLike, *, status: str = "active", fmt: str | None = None,
               dry_run: bool = False, batch_size: int = 5000,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import subscribers from another platform's export or a CSV file with a header row: the
    format is recognised by the header (see ``formats``) or named by ``fmt``; a zip is read
    file by file (Mailchimp's subscribed, unsubscribed and cleaned members). ``status`` is for
    rows whose file says nothing about it. Streams the file: memory stays bounded.

    Everything goes in one transaction, rolled back for ``dry_run`` (the report then says what
    would happen). The rule for bad input: a broken file (not UTF-8, not CSV, a row with missing
    or extra fields, a second header inside) is an error and nothing is written; an invalid row
    is reported with its line and reason and skipped, the valid rows are imported. An address
    already present (or twice in the file) is merged: the first one stays unchanged, except that
    someone who left at the platform (unsubscribed, cleaned, bounced) is never mailed here:
    a pending or active row of theirs takes that status. Removed addresses are skipped; people
    who left here keep their status."""
    if status not in STATUSES:
        raise SubscriberError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    path = Path(path)
    if not path.is_file():
        raise SubscriberError(f"{path}: no such file")
    try:
        files = sources(path)
    except OSError as e:
        raise SubscriberError(f"{path}: cannot read the file: {e.strerror}") from None
    report = ImportReport(dry_run=dry_run)
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    with nl.engine.connect() as conn:
        trans = conn.begin()  # an exception anywhere rolls every row back
        try:
            with store.bulk_cache(conn):
                before = store.count_by_status(conn)
                ctx = _Context(conn, store.suppression_hashes(conn), now, status, fmt, batch_size, progress)
                for source in files:
                    _import_source(ctx, source, report)
                report.totals = {st: n for st, n in store.count_by_status(conn).items()}
        except BaseException:
            trans.rollback()
            raise
        (trans.rollback if dry_run else trans.commit)()
    report.change = {st: report.totals.get(st, 0) - before.get(st, 0) for st in STATUSES}
    report.totals = {st: report.totals.get(st, 0) for st in STATUSES}
    return report


@dataclass
class _Context:
    conn: object
    suppressed: set[str]
    now: str
    status: str
    fmt: str | None
    batch_size: int
    progress: Callable[[int], None] | None


def _import_source(ctx: _Context, source: Source, report: ImportReport) -> None:
    try:
        f = open_text(source)
    except OSError as e:
        raise SubscriberError(f"{source.label}: cannot read the file: {e.strerror}") from None
    with f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            _check_header(source.label, header)
            try:
                spec = recognise(header, ctx.fmt, default_status=ctx.status, unescape=csv_unescape)
            except SubscriberError as e:
                raise SubscriberError(f"{source.label}:1: {printable(str(e))}") from None
            report.recognised.append((printable(source.label), f"{spec.platform} {spec.kind}".strip(),
                                      printable(spec.describe())))
            _import_rows(ctx, source, reader, spec, len(header), report)
        except (UnicodeDecodeError, csv.Error) as e:
            raise unreadable(source, reader, e) from None


def _import_rows(ctx: _Context, source: Source, reader, spec, width: int, report: ImportReport) -> None:
    conn, suppressed, progress = ctx.conn, ctx.suppressed, ctx.progress
    inserter = store.BulkInsert(conn, COLUMNS, {})
    first_row = report.rows
    if source.size >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) >= PARALLEL_MIN_CPUS and _can_fork():
        batches = _in_another_process(lambda: _reread_batches(source, spec, width, ctx.now, ctx.batch_size))
    else:
        batches = _batches(source, reader, spec, width, ctx.now, ctx.batch_size)
    for batch, problems, rows in batches:
        for line, reason in problems:
            report.problem(line, reason, source.label)
        if suppressed:
            kept = [r for r in batch if email_hash(r[0]) not in suppressed]
            report.suppressed += len(batch) - len(kept)
            batch = kept
        _flush(conn, inserter, batch, report)
        report.rows = first_row + rows
        if progress:
            progress(report.rows)


def _batches(source: Source, reader, spec, width: int, now: str, batch_size: int
             ) -> Iterator[tuple[list[tuple], list[tuple[int, str]], int]]:
    """The file's rows mapped to subscriber rows, in batches: (rows, problems (line, reason),
    data rows read so far). Touches no database, so it can run in another process."""
    map_row = row_mapper(spec, source.name, now)
    batch: list[tuple] = []
    problems: list[tuple[int, str]] = []
    append, rows = batch.append, 0
    try:
        for row in reader:
            if len(row) != width:
                if not row:  # a blank line
                    continue
                if len(row) > spec.email:
                    _refuse_second_header(source, reader.line_num, row, spec)
                raise _structure_error(source.label, reader.line_num, len(row), width)
            rows += 1
            try:
                append(map_row(row))
            except SubscriberError as e:
                _refuse_second_header(source, reader.line_num, row, spec)
                if len(problems) < ImportReport.MAX_PROBLEMS:
                    problems.append((reader.line_num, str(e)))
                else:
                    problems.append((reader.line_num, ""))  # counted, not shown
            if len(batch) >= batch_size:
                yield batch, problems, rows
                batch, problems = [], []
                append = batch.append
    except (UnicodeDecodeError, csv.Error) as e:
        raise unreadable(source, reader, e) from None
    yield batch, problems, rows


def _reread_batches(source: Source, spec, width: int, now: str, batch_size: int):
    with open_text(source) as f:
        reader = csv.reader(f)
        next(reader)  # the header, recognised already
        yield from _batches(source, reader, spec, width, now, batch_size)


# Reading and checking a row costs about as much as inserting it, so for a big file on a
# machine with cores to spare another process reads and checks while this one inserts. The
# rows come over a pipe in batches; a full pipe holds the reader back, so memory stays bounded.
# Needs fork (the reader inherits the recognised format). On 2 cores the pickling costs more
# than the overlap gains when other work runs too (docs/benchmarks.md), so one process does all.
PARALLEL_MIN_BYTES = 8 << 20
PARALLEL_MIN_CPUS = 4


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _in_another_process(make_batches: Callable[[], Iterator]) -> Iterator:
    import multiprocessing

    mp = multiprocessing.get_context("fork")
    receive, send = mp.Pipe(duplex=False)

    def work() -> None:
        receive.close()
        try:
            for item in make_batches():
                send.send(("batch", item))
            send.send(("done", None))
        except SubscriberError as e:
            send.send(("error", str(e)))
        except BaseException as e:  # noqa: BLE001 - reported to the importing process
            send.send(("crash", f"{type(e).__name__}: {e}"))
        finally:
            send.close()

    proc = mp.Process(target=work, name="linkletter-import-reader", daemon=True)
    proc.start()
    send.close()
    try:
        while True:
            try:
                kind, item = receive.recv()
            except EOFError:
                raise SubscriberError("the process reading the file ended unexpectedly; nothing was imported") from None
            if kind == "batch":
                yield item
            elif kind == "done":
                return
            elif kind == "error":
                raise SubscriberError(item)
            else:
                raise RuntimeError(f"reading the file failed: {item}")
    finally:
        receive.close()  # a reader still writing gets a broken pipe and ends
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
            proc.join()


def _refuse_second_header(source: Source, line: int, row: list[str], spec) -> None:
    """Two exports pasted into one file: the second one's header is no person, and what follows
    it may mean something else column by column. Refuse the file rather than guess."""
    if row[spec.email].strip().lower() in ("email", "email address", "email_address", "e-mail"):
        raise SubscriberError(f"{source.label}:{line}: a header line again ({printable(', '.join(row)[:120])}); this file "
                              f"joins two exports. Import each export on its own. Nothing was imported.")


def _flush(conn, inserter, batch: list[tuple], report: ImportReport) -> None:
    if not batch:
        return
    left = {r[0] for r in batch if r[2] in LEFT}
    made_left = len(store.mailable_among(conn, left)) if left else 0
    if left:  # an address first pending or active and then left, both in this batch
        seen: set[str] = set()
        for r in batch:
            if r[2] not in LEFT:
                seen.add(r[0])
            elif r[0] in seen:
                made_left += 1
                seen.discard(r[0])
    changed = inserter.run(batch, anyone_left=bool(left))
    report.made_left += made_left
    report.added += changed - made_left
    if changed < len(batch):
        blocked = store.blocked_among(conn, {r[0] for r in batch if r[2] not in LEFT})
        blocked = [b for b in blocked if b[0] not in left]  # made to leave just now: counted above
        report.blocked += len(blocked)
        report.skipped += max(0, len(batch) - changed - len(blocked))
        for email, st in blocked:
            if len(report.blocked_examples) < 20:
                report.blocked_examples.append(f"{email} ({st})")


# ------------------------------------------------------------------ CSV export

def export_csv(nl, out: TextIO, status: str | None = None) -> int:
    """Write every subscriber (or those of one status) as CSV with every field, and the counts of
    their hard bounces, soft bounces and complaints (EVENT_FIELDS); returns the count.
    Cells a spreadsheet would evaluate as a formula are escaped (see :func:`csv_escape`)."""
    from pipeline.store import events as estore

    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS + EVENT_FIELDS)
    with nl.engine.connect() as conn:
        counts = estore.kinds_by_subscriber(conn, ("hard_bounce", "soft_bounce", "complaint"))
    n = 0
    for r in list_subscribers(nl, status):
        c = counts.get(r["id"], {})
        w.writerow([csv_escape(_csv_value(r[f])) for f in FIELDS]
                   + [c.get("hard_bounce", 0), c.get("soft_bounce", 0), c.get("complaint", 0)])
        n += 1
    return n


def export_csv_file(nl, path: str | os.PathLike, status: str | None = None) -> int:
    """:func:`export_csv` into the file ``path``, created owner-only (0600): it holds personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        return export_csv(nl, out, status)


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); "'" is escaped too, so that unescaping gives back every value exactly.
_FORMULA_START = "=+-@\t\r'"


def csv_escape(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would evaluate it (shown as text then)."""
    return "'" + value if value[:1] and value[0] in _FORMULA_START else value


def csv_unescape(value: str) -> str:
    """The value :func:`csv_escape` was given (an import reads what an export wrote)."""
    return value[1:] if value[:1] == "'" and value[1:2] and value[1] in _FORMULA_START else value


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).isoformat()
    return str(v)
