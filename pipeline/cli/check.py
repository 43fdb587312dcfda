"""Commands of the check stage (see pipeline/cli/base.py)."""

from pipeline.cli.base import main  # noqa: F401
