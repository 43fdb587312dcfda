"""Import 1,000,000 subscribers from a CSV file through the real command
(`linkletter subscribers import`) and compare with a bare sqlite3 executemany of the same
rows (read from the same file with the csv module) into a table with the same columns and
the same unique indexes, measured in the same run.

    .venv/bin/python bench/import.py [ROWS] [ROUNDS]

Both are run ROUNDS times (default 3), alternating, each into a fresh database; the best time
of each counts (the machine is shared, so the minimum is the least disturbed figure).
Prints rows/s of both, the ratio (target: at least 0.5) and the importer's peak memory.
"""

from __future__ import annotations

import csv
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["email", "name"])
        for i in range(rows):
            w.writerow([f"Reader.{i}@Mail{i % 997}.example.org", f"Reader Nummer {i} Müller"])


def bare_insert(db: Path, csv_path: Path) -> float:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("""CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email VARCHAR NOT NULL UNIQUE,
        name VARCHAR NOT NULL, status VARCHAR NOT NULL, created_at DATETIME NOT NULL, confirmed_at DATETIME,
        unsubscribed_at DATETIME, consent_source VARCHAR NOT NULL, consent_ip VARCHAR,
        consent_user_agent VARCHAR, consent_text TEXT, consent_at DATETIME)""")
    conn.execute("CREATE INDEX ix_subscribers_status ON subscribers (status)")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    t0 = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        conn.executemany(
            "INSERT OR IGNORE INTO subscribers (email, name, status, created_at, confirmed_at, consent_source,"
            " consent_text, consent_at) VALUES (?, ?, 'active', ?, ?, 'import', 'bench', ?)",
            ((e.lower(), n, now, now, now) for e, n in reader))
    conn.commit()
    elapsed = time.perf_counter() - t0
    (count,) = conn.execute("SELECT count(*) FROM subscribers").fetchone()
    conn.close()
    assert count > 0
    return elapsed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKLETTER_")}
    py = [sys.executable, "-m", "pipeline"]
    bare_times, real_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "subscribers.csv"
        make_csv(csv_path, rows)
        for n in range(rounds):
            bare_times.append(bare_insert(tmp / f"bare{n}.db", csv_path))
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
            print(f"round {n + 1}: bare {bare_times[-1]:.2f} s, import {real_times[-1]:.2f} s", flush=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    bare, real = min(bare_times), min(real_times)
    print(f"rows: {rows:,}, best of {rounds}")
    print(f"bare sqlite3 executemany (csv read + INSERT OR IGNORE): {bare:6.2f} s  {rows / bare:10,.0f} rows/s")
    print(f"linkletter subscribers import (whole command, incl. startup, validation): "
          f"{real:6.2f} s  {rows / real:10,.0f} rows/s")
    print(f"ratio to the bare insert: {bare / real:.2f}  (target >= 0.50)")
    print(f"peak memory of any child process (the import command): {peak_mb:.0f} MB")
    print(f"output: {proc.stdout.strip()}")


if __name__ == "__main__":
    main()
