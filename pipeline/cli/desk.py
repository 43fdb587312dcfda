"""``linkletter desk``: logging in to the desk from another machine, and ending every session."""

from __future__ import annotations

import click

from pipeline.cli.base import main, pass_nl


@main.group()
def desk() -> None:
    """The author's desk at /desk on the server (`serve` or `run`). From this machine it opens
    directly; from elsewhere log in with a one-time link from `linkletter desk login`."""


@desk.command()
@click.option("--mail", is_flag=True, help="Also mail the link to the notify address (when this installation can).")
@pass_nl
def login(nl, mail: bool) -> None:
    """Print a one-time login link for the desk (valid 15 minutes, works once)."""
    from pipeline.web.desk import auth

    url = auth.login_url(nl.settings, auth.create_login(nl.settings))
    click.echo(url)
    if mail:
        try:
            from pipeline.send.notify import notify_author
        except ImportError:
            click.echo("warning: mailing the link is not available in this installation", err=True)
            return
        where = notify_author(nl, "notify.desk_login", url=url, minutes=auth.LOGIN_AGE // 60)
        if where is None:
            raise click.ClickException("no notify address is set (linkletter.toml: notify = ...); the link is above")
        click.echo("Mailed to the notify address.", err=True)


@desk.command()
@click.option("--all", "everyone", is_flag=True, required=True, help="End every session and unused login link.")
@pass_nl
def logout(nl, everyone: bool) -> None:
    """End every desk session (each browser must log in again)."""
    from pipeline.web.desk import auth

    count = auth.logout_all(nl.settings)
    click.echo(f"Ended {count} session{'s' if count != 1 else ''}.")
