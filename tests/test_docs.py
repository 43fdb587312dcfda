"""The docs keep up with the code: every command has help and appears in the README, and the
README's two commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def _commands(group: click.Group, prefix: str = ""):
    ctx = click.Context(group)
    names = group.list_commands(ctx)  # the lazy group imports each command's module here
    assert names, f"no commands under {prefix or 'linkletter'}"
    for name in names:
        cmd = group.get_command(ctx, name)
        yield f"{prefix}{name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix}{name} ")


def test_every_command_has_help_and_is_in_the_readme():
    missing = []
    for path, cmd in _commands(main):
        assert (cmd.help or "").strip(), f"`linkletter {path}` has no help text"
        if f"linkletter {path}" not in README:
            missing.append(path)
    assert not missing, f"commands not shown in README.md: {missing}"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text("utf-8").strip().splitlines()
    assert ci[-1] in README
    assert "pytest" in ci[-1]
