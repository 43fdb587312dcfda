"""Commands for the newsletter folder itself: init and the database schema."""

from __future__ import annotations

import click

from pipeline.cli.base import LazyModule, handle_errors, main, pass_nl

db = LazyModule("pipeline.db")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--title", default="My Newsletter", show_default=True, help="The newsletter's name.")
@click.option("--language", type=click.Choice(["en", "de"]), default="en", show_default=True,
              help="Language readers see in mails and pages.")
@click.option("--sender", default="My Newsletter <newsletter@example.org>", show_default=True, help="From address.")
@click.option("--base-url", default="http://127.0.0.1:8080", show_default=True, help="Public address of the site.")
@handle_errors
def init(directory: str, title: str, language: str, sender: str, base_url: str) -> None:
    """Create a newsletter folder DIRECTORY: linkletter.toml, drafts/ and the database."""
    from pipeline.newsletter import init_newsletter

    root = init_newsletter(directory, title=title, language=language, sender=sender, base_url=base_url)
    click.echo(f"Created a newsletter in {root}")
    click.echo(f"  settings: {root / 'linkletter.toml'}  (edit title, sender, sources)")
    click.echo(f"  drafts:   {root / 'drafts'}")
    click.echo(f"Next: linkletter --dir {root} sources add URL")


@main.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@pass_nl
def db_upgrade(nl) -> None:
    """Upgrade the schema to the newest revision (opening the folder already does this)."""
    db.upgrade(nl.engine)
    click.echo(f"Schema at revision {db.current_revision(nl.engine)}.")


@db_group.command("version")
@pass_nl
def db_version(nl) -> None:
    """Show the schema revision of the database and the newest one."""
    click.echo(f"database: {db.current_revision(nl.engine)}  newest: {db.head_revision()}")
