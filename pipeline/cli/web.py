"""Commands of the web stage: the server and the bookmarklet."""

from __future__ import annotations

import click

from pipeline.cli.base import main, pass_nl


@main.command()
@click.option("--host", help="Address to listen on (default: the 'host' setting, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: the 'port' setting, 8080).")
@pass_nl
def serve(nl, host: str | None, port: int | None) -> None:
    """Serve the site, feeds, subscribe/confirm/unsubscribe pages and the bookmarklet endpoint
    (builds the site first if it does not exist yet)."""
    from pipeline.web.server import serve as run

    run(nl, host, port)


@main.command()
@click.option("--url", "server_url", help="Where the server answers (default: the 'base_url' setting).")
@click.option("--rotate", is_flag=True, help="Replace the bookmarklet token with a new one (the old one stops working).")
@pass_nl
def bookmarklet(nl, server_url: str | None, rotate: bool) -> None:
    """Print the bookmarklet: save it as a bookmark, select a passage on any page, click it.
    It holds no secret; the page it opens on your server asks for the token printed below
    (your browser's password manager can keep it). The token only saves picks."""
    from pipeline.web.author import bookmarklet as make
    from pipeline.web.author import bookmarklet_token, rotate_bookmarklet_token

    token = rotate_bookmarklet_token(nl.settings) if rotate else bookmarklet_token(nl.settings)
    click.echo(make(server_url or nl.settings.base_url))
    click.echo(f"token: {token}", err=True)
