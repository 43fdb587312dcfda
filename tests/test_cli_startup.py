"""A command loads only what it uses: which heavy modules are *not* imported after the light
commands ran, each in a fresh interpreter (bench/startup.py measures the time this saves;
nothing here is timed). Also: the lazy command group knows every command a module defines."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import pipeline.cli
from pipeline.cli.base import COMMANDS, main
from tests.conftest import clean_env

# Stages a reading command never needs: fetching and parsing pages and feeds, the web server,
# rendering and mail, the scheduler, Alembic (the schema check is plain SQL when current).
STAGES = ["trafilatura", "feedparser", "requests", "starlette", "uvicorn", "mjml", "css_inline", "jinja2",
          "markdown_it", "markdown_it_pyrs", "dkim", "apscheduler", "alembic", "tqdm", "lxml", "nh3", "email_validator"]
NO_DATABASE = ["sqlalchemy", "sqlmodel", "pipeline.models", "yaml", "email_validator"]

PROBE = """
import json, sys
from pipeline.cli import main
try:
    main(sys.argv[1:], prog_name="linkletter")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules)), file=sys.stderr)
"""


def loaded_after(args: list[str], folder) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], env=clean_env(LINKLETTER_DIR=str(folder)),
                          capture_output=True, text=True, timeout=120)
    modules = json.loads(proc.stderr.strip().splitlines()[-1])
    return {m.split(".")[0] if not m.startswith("pipeline.") else m for m in modules}


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["subscribers", "--help"]])
def test_help_and_version_load_neither_the_database_nor_a_stage(args, nl_dir):
    loaded = loaded_after(args, nl_dir)
    assert "click" in loaded  # the probe ran the command group
    assert not loaded & set(STAGES + NO_DATABASE), sorted(loaded & set(STAGES + NO_DATABASE))


@pytest.mark.parametrize("args", [["links"], ["pick", "1"], ["subscribers", "count"], ["status"], ["jobs"]])
def test_reading_commands_load_the_database_but_no_stage(args, nl_dir):
    loaded = loaded_after(args, nl_dir)
    assert "sqlalchemy" in loaded and "pipeline.models" in loaded  # they did read the database
    assert not loaded & set(STAGES), sorted(loaded & set(STAGES))


def test_the_lazy_group_names_every_command_its_modules_define():
    for info in pkgutil.iter_modules(pipeline.cli.__path__):
        importlib.import_module(f"pipeline.cli.{info.name}")
    assert set(main.commands) == set(COMMANDS), set(main.commands) ^ set(COMMANDS)
    for name, module in COMMANDS.items():
        assert main.commands[name].callback.__module__ == f"pipeline.cli.{module}", name
