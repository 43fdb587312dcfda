"""The ``linkletter`` command group and what every command shares. Commands live in the
modules beside this one, one module per pipeline stage, each a thin layer over the library."""

from __future__ import annotations

import functools
import sys

import click

from pipeline.errors import LinkletterError
from pipeline.newsletter import Newsletter, open_newsletter
from pipeline.settings import find_root


class CliState:
    """Opens the newsletter folder on first use, so `init` and `--help` need none."""

    def __init__(self, root: str | None):
        self.root = find_root(root)
        self._nl: Newsletter | None = None

    @property
    def nl(self) -> Newsletter:
        if self._nl is None:
            self._nl = open_newsletter(self.root)
        return self._nl


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dir", "root", metavar="DIR", help="The newsletter folder (default: $LINKLETTER_DIR, else the current directory).")
@click.version_option(package_name="linkletter")
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
