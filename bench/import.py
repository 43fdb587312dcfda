"""Import 1,000,000 subscribers from a Mailchimp audience export (the subscribed members file,
every column Mailchimp writes) through the real command (`linkletter subscribers import`) and
compare with a bare sqlite3 executemany of the same rows, measured in the same run.

    .venv/bin/python bench/import.py [ROWS] [ROUNDS]

The reference reads the same file with the csv module and inserts, with `INSERT OR IGNORE`,
the same rows: the values the import writes (address lower-cased, name joined, times in the
stored form, consent text, the kept columns as JSON), computed inline without a single check,
into a table created with the very schema of Linkletter's `subscribers` table (copied from a
fresh newsletter's database: same columns, same unique email index, status index,
AUTOINCREMENT), WAL and `synchronous=NORMAL` like Linkletter's. What the import does on top:
recognising the format, validating each address, name, time and IP, the merge, left-status
and suppression checks, reporting bad rows by line, CLI start-up.

For comparison it also times a bare executemany of the raw cells (no consent text, no JSON,
times as they stand: shorter rows and less Python per row than the import's output needs).
All run ROUNDS times (default 3), alternating, each into a fresh database; the best time of
each counts (the machine is shared, so the minimum is the least disturbed figure). Prints
rows/s of both, the ratio (target: at least 0.7) and the importer's peak memory.
"""

from __future__ import annotations

import csv
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["Email Address", "First Name", "Last Name", "Address", "Phone Number", "Birthday", "MEMBER_RATING",
          "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP", "LATITUDE", "LONGITUDE", "GMTOFF", "DSTOFF",
          "TIMEZONE", "CC", "REGION", "LAST_CHANGED", "LEID", "EUID", "NOTES", "TAGS"]


def make_csv(path: Path, rows: int) -> None:
    """Mailchimp's subscribed members file: CRLF, most optional columns empty, some people with
    a phone number, a time zone or tags (as Mailchimp writes them: "tag","tag" in one cell)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        for i in range(rows):
            day = f"20{15 + i % 9:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            optin = f"{day} {i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
            confirm = f"{day} {i % 24:02d}:{(i + 3) % 60:02d}:{(i * 11) % 60:02d}"
            ip = f"198.51.{i % 256}.{(i // 256) % 256}"
            w.writerow([f"Reader.{i}@Mail{i % 997}.example.org", f"Leser{i}", "Müller", "",
                        "+49 221 555 0100" if i % 10 == 0 else "", "", "2", optin, ip, confirm, ip,
                        "", "", "", "", "Europe/Berlin" if i % 4 == 0 else "", "", "",
                        confirm, str(100000 + i), f"{i:010x}", "", '"Links","Weekly"' if i % 5 == 0 else ""])


def schema(tmp: Path, env: dict, py: list[str]) -> list[str]:
    """The DDL of Linkletter's subscribers table and its indexes, from a fresh newsletter."""
    subprocess.run(py + ["init", str(tmp / "schema")], check=True, env=env, cwd=ROOT, capture_output=True)
    conn = sqlite3.connect(tmp / "schema" / "linkletter.db")
    ddl = [sql for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'subscribers' AND sql IS NOT NULL ORDER BY type DESC")]
    conn.close()
    return ddl


# The attributes the import keeps of a Mailchimp row: the columns that are neither mapped nor
# Mailchimp's own bookkeeping (pipeline/subscribers/formats/mailchimp.py).
_KEPT = [(HEADER[i].lower(), i) for i in (3, 4, 5, 11, 12, 15, 16, 17, 21, 22)]


def bare_rows(reader, source: str):
    """The rows the import writes, computed inline with no checks at all."""
    prefix = f"imported from Mailchimp ({source})"
    for r in reader:
        extra = {k: r[i] for k, i in _KEPT if r[i]}
        yield (r[0].lower(), f"{r[1]} {r[2]}", r[7] + ".000000", r[9] + ".000000",
               f"{prefix}, subscribed {r[7]} from {r[8]}, confirmed {r[9]} from {r[10]}",
               r[9] + ".000000", r[10], json.dumps(extra, ensure_ascii=False, separators=(",", ":")) if extra else None)


def raw_rows(reader, source: str):
    """For comparison: the cells as they stand, no derived values (shorter rows)."""
    return ((r[0].lower(), f"{r[1]} {r[2]}", r[7], r[9], "imported from Mailchimp", r[9], r[10], r[22] or None)
            for r in reader)


def bare_insert(db: Path, csv_path: Path, ddl: list[str], rows=bare_rows) -> float:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        conn.execute(sql)
    t0 = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        conn.executemany(
            "INSERT OR IGNORE INTO subscribers (email, name, status, created_at, confirmed_at, consent_source,"
            " consent_text, consent_at, consent_ip, attributes) VALUES (?, ?, 'active', ?, ?, 'import', ?, ?, ?, ?)",
            rows(reader, csv_path.name))
    conn.commit()
    conn.close()  # the last connection checkpoints the WAL into the database, as the import's does at exit
    elapsed = time.perf_counter() - t0
    conn = sqlite3.connect(db)
    (count,) = conn.execute("SELECT count(*) FROM subscribers").fetchone()
    conn.close()
    assert count > 0
    return elapsed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKLETTER_")}
    py = [sys.executable, "-m", "pipeline"]
    bare_times, real_times, raw_times = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "subscribed_members_export_0123456789.csv"
        make_csv(csv_path, rows)
        ddl = schema(tmp, env, py)
        for n in range(rounds):
            bare_times.append(bare_insert(tmp / f"bare{n}.db", csv_path, ddl))
            raw_times.append(bare_insert(tmp / f"raw{n}.db", csv_path, ddl, raw_rows))
            news = tmp / f"news{n}"
            subprocess.run(py + ["init", str(news)], check=True, env=env, cwd=ROOT, capture_output=True)
            t0 = time.perf_counter()
            proc = subprocess.run(py + ["--dir", str(news), "subscribers", "import", str(csv_path)],
                                  env=env, cwd=ROOT, capture_output=True, text=True)
            real_times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                sys.exit(proc.stderr)
            count = subprocess.run(py + ["--dir", str(news), "subscribers", "count"], env=env, cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout
            assert re.search(rf"^active\s+{rows}$", count, re.M), count
            print(f"round {n + 1}: bare {bare_times[-1]:.2f} s, raw cells {raw_times[-1]:.2f} s, "
                  f"import {real_times[-1]:.2f} s", flush=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    bare, real = min(bare_times), min(real_times)
    print(f"rows: {rows:,} (Mailchimp subscribed members, {len(HEADER)} columns), best of {rounds}")
    print(f"bare sqlite3 executemany (csv read + INSERT OR IGNORE): {bare:6.2f} s  {rows / bare:10,.0f} rows/s")
    print(f"linkletter subscribers import (whole command, incl. startup, validation): "
          f"{real:6.2f} s  {rows / real:10,.0f} rows/s")
    print(f"ratio to the bare insert: {bare / real:.2f}  (target >= 0.70)")
    raw = min(raw_times)
    print(f"for comparison, bare executemany of the raw cells (no derived values, shorter rows): {raw:6.2f} s, "
          f"ratio {raw / real:.2f}")
    print(f"peak memory of any child process (the import command): {peak_mb:.0f} MB")
    print(f"output: {proc.stdout.strip().splitlines()[-2]}")


if __name__ == "__main__":
    main()
