"""Benchmark: how long the command line takes to start, against two references measured in
the same run on the same machine.

    python bench/startup.py [--runs 10]

Runs each command as a fresh process ``--runs`` times (in turn, so machine noise spreads
over all of them) and prints its median wall time and the ratio to
- ``python -c "import click"`` for the commands that need neither the database nor a stage
  (``--help``, ``--version``; target: at most 3x), and
- ``python -c "import sqlmodel"`` for the commands that read the database (``links``,
  ``pick``, ``subscribers count``, ``status``, ``jobs``; target: at most 1.3x).
The database commands run in a throwaway newsletter folder with one link and one subscriber.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
LIGHT = [["--version"], ["--help"]]
DATABASE = [["links"], ["pick", "1"], ["subscribers", "count"], ["status"], ["jobs"]]
REFERENCES = {"click": [PY, "-c", "import click"], "sqlmodel": [PY, "-c", "import sqlmodel"]}


def linkletter(*args: str) -> list[str]:
    return [PY, "-m", "pipeline", *args]


def prepare(folder: Path) -> None:
    env = dict(os.environ, LINKLETTER_DIR=str(folder))
    subprocess.run(linkletter("init", str(folder)), check=True, capture_output=True)
    subprocess.run(linkletter("add", "https://example.org/a", "--no-fetch"), check=True, capture_output=True, env=env)
    subprocess.run(linkletter("subscribers", "add", "ada@example.org"), check=True, capture_output=True, env=env)


def measure(commands: dict[str, list[str]], runs: int, env: dict) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            t0 = time.perf_counter()
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            if done.returncode not in (0, 1):  # `status` before any send says so and exits 1
                raise SystemExit(f"{' '.join(argv)} failed with exit status {done.returncode}")
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "letter"
        prepare(folder)
        env = dict(os.environ, LINKLETTER_DIR=str(folder))
        commands = dict(REFERENCES)
        commands.update({" ".join(a): linkletter(*a) for a in LIGHT + DATABASE})
        medians = measure(commands, args.runs, env)
    print(f"median of {args.runs} runs each, {sys.version.split()[0]}")
    print(f"  reference import click     {medians['click'] * 1000:7.1f} ms")
    print(f"  reference import sqlmodel  {medians['sqlmodel'] * 1000:7.1f} ms")
    worst = {"click": 0.0, "sqlmodel": 0.0}
    for group, ref, limit in ((LIGHT, "click", 3.0), (DATABASE, "sqlmodel", 1.3)):
        for a in group:
            name = " ".join(a)
            ratio = medians[name] / medians[ref]
            worst[ref] = max(worst[ref], ratio)
            print(f"  linkletter {name:<18} {medians[name] * 1000:7.1f} ms  {ratio:5.2f}x import {ref} (target <= {limit}x)")
    print(f"worst: {worst['click']:.2f}x import click, {worst['sqlmodel']:.2f}x import sqlmodel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
