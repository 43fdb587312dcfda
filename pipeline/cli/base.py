"""The ``linkletter`` command group and what every command shares. Commands live in the
modules beside this one, one module per pipeline stage, each a thin layer over the library.

The group is lazy: ``COMMANDS`` names the module of each command, and a module is imported
only when one of its commands runs (or ``--help`` lists them). Command modules import the
library inside their functions, so listing them stays cheap too; ``tests/test_cli_startup.py``
checks which heavy modules each light command leaves unloaded."""

from __future__ import annotations

import functools
import importlib
import sys

import click

from pipeline import __version__
from pipeline.errors import LinkletterError

# command name -> the module in pipeline/cli that defines it (registering it on ``main``)
COMMANDS = {
    "init": "core", "db": "core",
    "sources": "collect", "links": "collect", "pick": "collect", "add": "collect", "collect": "collect",
    "unpick": "collect", "dismiss": "collect",
    "draft": "draft",
    "check": "check",
    "render": "render", "build": "render",
    "archive": "archive",
    "send": "send", "status": "send",
    "subscribers": "subscribers",
    "inbound": "inbound",
    "stats": "stats",
    "serve": "web", "bookmarklet": "web",
    "run": "run", "jobs": "run",
    "demo": "demo",
    "desk": "desk",
}


class LazyModule:
    """A module imported on first attribute access: ``lib = LazyModule("pipeline.collect")``
    at the top of a command module costs nothing until a command uses ``lib.something``."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


class LazyGroup(click.Group):
    """A group whose commands are imported from their module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            importlib.import_module(f"pipeline.cli.{COMMANDS[name]}")
        return self.commands.get(name)


class CliState:
    """Opens the newsletter folder on first use, so `init` and `--help` need none."""

    def __init__(self, root: str | None):
        from pipeline.settings import find_root

        self.root = find_root(root)
        self._nl = None

    @property
    def nl(self):
        if self._nl is None:
            from pipeline.newsletter import open_newsletter

            self._nl = open_newsletter(self.root)
        return self._nl


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dir", "root", metavar="DIR", help="The newsletter folder (default: $LINKLETTER_DIR, else the current directory).")
@click.version_option(__version__, prog_name="linkletter")
@click.pass_context
def main(ctx: click.Context, root: str | None) -> None:
    """Linkletter: collect links and quotes, draft, render, send and serve a newsletter."""
    ctx.obj = CliState(root)
    ctx.call_on_close(lambda: ctx.obj._nl and ctx.obj._nl.close())


def pass_nl(fn):
    """Hand the opened Newsletter to a command as its first argument; turn errors meant for
    people into a message and exit status 1."""

    @functools.wraps(fn)
    @click.pass_obj
    def wrapper(state: CliState, *args, **kwargs):
        try:
            return fn(state.nl, *args, **kwargs)
        except LinkletterError as e:
            raise click.ClickException(str(e)) from None

    return wrapper


def handle_errors(fn):
    """Turn LinkletterError into a clean message for commands that do not need a folder."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except LinkletterError as e:
            raise click.ClickException(str(e)) from None

    return wrapper


def interactive() -> bool:
    """True when a person is at the terminal. Commands never prompt otherwise."""
    return sys.stdin is not None and sys.stdin.isatty()
