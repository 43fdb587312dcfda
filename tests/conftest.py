"""Fixtures shared by every stage's tests: a real newsletter folder with a real SQLite file,
and the real CLI, run in-process with Click's CliRunner (fast), or as a subprocess where a
test needs a process of its own (signals, exit on SIGTERM, a second process)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from pipeline.newsletter import init_newsletter, open_newsletter

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def nl_dir(tmp_path: Path) -> Path:
    """A fresh newsletter folder (English), created the way `linkletter init` does."""
    return init_newsletter(tmp_path / "news", title="Weekly Reads", language="en",
                           sender="Weekly Reads <news@example.org>", base_url="https://news.example.org")


def allow_fetch(nl_dir: Path, *hosts: str) -> Path:
    """Put ``hosts`` on the folder's fetch_allow list: the test's pages are served on loopback,
    which is fetched only from the author's sources' own host and port unless allowed."""
    with open(nl_dir / "linkletter.toml", "a", encoding="utf-8") as f:
        f.write("fetch_allow = [" + ", ".join(f'"{h}"' for h in hosts or ("127.0.0.1",)) + "]\n")
    return nl_dir


def inserted_once(before: bytes, after: bytes) -> str:
    """The text inserted at one place into ``before`` to give ``after``, asserting that every
    other byte stayed as it was (a draft after ``linkletter draft``: the author's text)."""
    i = 0
    while i < len(before) and i < len(after) and before[i] == after[i]:
        i += 1
    tail = len(before) - i
    assert len(after) >= len(before) and after[len(after) - tail:] == before[i:], "the author's text changed"
    return after[i:len(after) - tail].decode("utf-8")


@pytest.fixture
def nl(nl_dir: Path):
    """The opened newsletter (settings + engine) of ``nl_dir``; no environment overrides."""
    newsletter = open_newsletter(nl_dir, env={})
    yield newsletter
    newsletter.close()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: this one without LINKLETTER_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKLETTER_")}
    env.update(extra)
    return env


@contextlib.contextmanager
def _inside(cwd: Path | None):
    """Run in ``cwd`` and give back the SIGTERM handler a command may have installed."""
    before, handler = os.getcwd(), signal.getsignal(signal.SIGTERM)
    try:
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(before)
        signal.signal(signal.SIGTERM, handler)


def _invoke(args: tuple[str, ...], cwd: Path | None, env: dict[str, str], input: str) -> subprocess.CompletedProcess:
    """The `linkletter` command group called in this process, as a subprocess would see it:
    the given environment exactly (CliRunner sets and unsets the differences), stdin not a
    terminal, and an unexpected exception printed as the traceback a process would print."""
    from click.testing import CliRunner

    from pipeline.cli import main

    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    overrides.update({k: v for k, v in env.items() if os.environ.get(k) != v})
    with _inside(cwd):
        result = CliRunner().invoke(main, list(args), input=input, env=overrides, prog_name="linkletter")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["linkletter", *args], result.exit_code, result.stdout, stderr)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 120, check: bool = True, process: bool = False) -> subprocess.CompletedProcess:
    """Run the real `linkletter` command with stdin not a terminal: in-process, or with
    ``process=True`` as ``python -m pipeline`` (``timeout`` applies to that one)."""
    if process:
        proc = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, env=env or clean_env(),
                              input=input if input is not None else "", capture_output=True, text=True,
                              timeout=timeout)
    else:
        proc = _invoke(args, cwd, env or clean_env(), input if input is not None else "")
    if check and proc.returncode != 0:
        raise AssertionError(f"linkletter {' '.join(args)} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


@pytest.fixture
def cli():
    return run_cli


POSTGRES_URL = os.environ.get("LINKLETTER_TEST_POSTGRES_URL", "")
requires_postgres = pytest.mark.skipif(not POSTGRES_URL,
                                       reason="LINKLETTER_TEST_POSTGRES_URL is not set (.ci/run sets it)")


@pytest.fixture
def pg_database():
    """The URL of a fresh database on the PostgreSQL test server, dropped afterwards."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"ll_test_{secrets.token_hex(4)}"
    admin = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
