"""Subscribers in and out as CSV: a streaming import that reports bad rows by line, and an
export of every field (consent records included) that a spreadsheet cannot run as formulas."""

from __future__ import annotations

import codecs
import csv
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from pipeline.models import utcnow
from pipeline.store import subscribers as store
from pipeline.subscribers.addresses import (CONSENT_SOURCES, EVENT_FIELDS, FIELDS, MAX_TEXT, MAX_USER_AGENT, STATUSES,
                                            SubscriberError, _TIME_FIELDS, clean_name, email_hash, normalize_email)
from pipeline.subscribers.people import list_subscribers

# ------------------------------------------------------------------ CSV import and export

@dataclass
class ImportReport:
    rows: int = 0            # data rows read
    added: int = 0           # new subscribers
    skipped: int = 0         # already present (in the table or earlier in the file)
    suppressed: int = 0      # removed addresses, never imported again
    blocked: int = 0         # present but unsubscribed/bounced/complained: left as they are
    invalid: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), the first MAX_PROBLEMS
    blocked_examples: list[str] = field(default_factory=list)

    MAX_PROBLEMS = 100

    def problem(self, line: int, reason: str) -> None:
        self.invalid += 1
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append((line, reason))


def _open_csv(path: Path) -> TextIO:
    # utf-8-sig: a BOM from spreadsheet exports is dropped; anything not UTF-8 raises.
    return open(path, encoding="utf-8-sig", errors="strict", newline="")


def _check_header(path: Path, header: list[str] | None) -> list[str]:
    if not header:
        raise SubscriberError(f"{path}: empty file; the first line must be a header such as 'email,name'")
    cols = [h.strip().lower() for h in header]
    if "email" not in cols:
        raise SubscriberError(f"{path}:1: the header has no 'email' column (found: {', '.join(cols)}); "
                              f"the first line must name the columns, e.g. 'email,name'")
    unknown = [c for c in cols if c not in FIELDS and c not in EVENT_FIELDS]
    if unknown:
        raise SubscriberError(f"{path}:1: unknown column(s) {', '.join(map(repr, unknown))}; "
                              f"known columns: {', '.join(FIELDS)}")
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise SubscriberError(f"{path}:1: column(s) named twice: {', '.join(dupes)}")
    return cols


def _structure_error(path: Path, line: int, fields: int, width: int) -> SubscriberError:
    what = "missing" if fields < width else "extra"
    return SubscriberError(f"{path}:{line}: {what} columns: {fields} fields, the header has {width}; "
                           f"nothing was imported")


def _first_non_utf8_line(path: Path) -> int:
    """The line of the first byte that is not UTF-8 (scanning again in binary: simple and exact)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        for line, raw in enumerate(f, 1):
            try:
                dec.decode(raw)
            except UnicodeDecodeError:
                return line
    return line


def _parse_time(value: str, column: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise SubscriberError(f"{column} is not an ISO 8601 time: {value[:40]!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def import_csv(nl, path: str | os.PathLike, *, status: str = "active", batch_size: int = 5000,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import subscribers from a CSV file with a header row (``email,name`` and optionally any
    other export column). Streams the file: memory stays bounded for any number of rows.

    All rows go in one transaction. A broken file (not UTF-8, a row with missing or extra
    fields) is an error and the transaction is rolled back: nothing is written. An invalid
    row is reported with its line and reason and skipped; an address already present (or
    twice in the file) is merged: the first one stays unchanged. Removed addresses are
    skipped; people who left keep their status."""
    if status not in STATUSES:
        raise SubscriberError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    path = Path(path)
    if not path.is_file():
        raise SubscriberError(f"{path}: no such file")
    try:
        f = _open_csv(path)
    except OSError as e:
        raise SubscriberError(f"{path}: cannot read the file: {e.strerror}") from None
    with f:
        reader = csv.reader(f)
        try:
            cols = _check_header(path, next(reader, None))
            return _import_rows(nl, path, reader, cols, status, batch_size, progress)
        except UnicodeDecodeError as e:
            raise SubscriberError(f"{path}:{_first_non_utf8_line(path)}: the file is not UTF-8 ({e.reason}); "
                                  f"save it as UTF-8 and import again. Nothing was imported.") from None
        except csv.Error as e:
            raise SubscriberError(f"{path}:{reader.line_num}: not a valid CSV file: {e}; "
                                  f"nothing was imported") from None


def _import_rows(nl, path: Path, reader, cols: list[str], status: str, batch_size: int,
                 progress: Callable[[int], None] | None) -> ImportReport:
    report = ImportReport()
    now = utcnow()
    consent_text = f"imported from {path.name}"[:MAX_TEXT]
    idx = {c: i for i, c in enumerate(cols)}
    i_email, i_name, width = idx["email"], idx.get("name"), len(cols)
    simple = set(cols) <= {"email", "name"}
    if simple:
        # Same for every row: bound once in the statement, not per row.
        columns: tuple[str, ...] = ("email", "name")
        constants = dict(status=status, created_at=now, confirmed_at=now if status == "active" else None,
                         consent_source="import", consent_text=consent_text, consent_at=now)
    else:
        columns, constants = ("email", "name", "status", *_TIME_FIELDS, "consent_source", "consent_ip",
                              "consent_user_agent", "consent_text"), {}

    with nl.engine.begin() as conn, store.bulk_cache(conn):  # an exception anywhere rolls every row back
        suppressed = store.suppression_hashes(conn)
        inserter = store.BulkInsert(conn, columns, constants)
        batch: list[tuple] = []
        rows = 0
        norm, clean, append = normalize_email, clean_name, batch.append  # locals: this loop runs a million times
        for row in reader:
            if len(row) != width:
                if not row:  # a blank line
                    continue
                raise _structure_error(path, reader.line_num, len(row), width)
            rows += 1
            try:
                addr = norm(csv_unescape(row[i_email]))
                if suppressed and email_hash(addr) in suppressed:
                    report.suppressed += 1
                    continue
                name = clean(csv_unescape(row[i_name])) if i_name is not None else ""
                append((addr, name) if simple else _full_row(row, idx, addr, name, status, now, consent_text))
            except SubscriberError as e:
                report.problem(reader.line_num, str(e))
                continue
            if len(batch) >= batch_size:
                _flush(conn, inserter, batch, report)
                if progress:
                    progress(rows)
        _flush(conn, inserter, batch, report)
        report.rows = rows
        if progress:
            progress(rows)
    return report


def _full_row(row: list[str], idx: dict[str, int], addr: str, name: str, default_status: str,
              now: datetime, consent_text: str) -> tuple:
    def get(col: str) -> str:
        return csv_unescape(row[idx[col]]).strip() if col in idx else ""

    st = get("status").lower() or default_status
    if st not in STATUSES:
        raise SubscriberError(f"status must be one of {', '.join(STATUSES)}, got {st[:20]!r}")
    src = get("consent_source").lower() or "import"
    if src not in CONSENT_SOURCES:
        raise SubscriberError(f"consent_source must be one of {', '.join(CONSENT_SOURCES)}, got {src[:20]!r}")
    times = {c: _parse_time(get(c), c) for c in _TIME_FIELDS}
    for col, limit in (("consent_ip", 64), ("consent_user_agent", MAX_USER_AGENT)):
        if "\r" in get(col) or "\n" in get(col) or len(get(col)) > limit:
            raise SubscriberError(f"{col} must be one line of at most {limit} characters")
    if len(get("consent_text")) > MAX_TEXT:
        raise SubscriberError(f"consent_text is longer than {MAX_TEXT} characters")
    return (addr, name, st, times["created_at"] or now,
            times["confirmed_at"] or (now if st == "active" else None), times["unsubscribed_at"],
            times["consent_at"] or now, src, get("consent_ip") or None, get("consent_user_agent") or None,
            get("consent_text") or consent_text)


def _flush(conn, inserter, batch: list[tuple], report: ImportReport) -> None:
    if not batch:
        return
    inserted = inserter.run(batch)
    report.added += inserted
    if inserted < len(batch):
        blocked = store.blocked_among(conn, (r[0] for r in batch))
        report.blocked += len(blocked)
        report.skipped += len(batch) - inserted - len(blocked)
        for email, st in blocked:
            if len(report.blocked_examples) < 20:
                report.blocked_examples.append(f"{email} ({st})")
    batch.clear()


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
