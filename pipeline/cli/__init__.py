"""The ``linkletter`` command line. Each module registers the commands of one stage."""

from pipeline.cli import check, collect, core, demo, draft, render, run, send, subscribers, web  # noqa: F401
from pipeline.cli.base import main

__all__ = ["main"]
