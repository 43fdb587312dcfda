"""The ``linkletter`` command line: a lazy group (``pipeline/cli/base.py``) whose commands
live in one module per stage, imported when used."""

from pipeline.cli.base import main

__all__ = ["main"]
