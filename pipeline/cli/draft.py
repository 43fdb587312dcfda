"""Commands of the draft stage (see pipeline/cli/base.py)."""

from __future__ import annotations

import click

from pipeline.cli.base import main, pass_nl


def summary(result, root) -> str:
    """One line for the author: which draft, and what happened to it."""
    try:
        where = result.path.relative_to(root)
    except ValueError:
        where = result.path
    n = len(result.placed)
    links = f"{n} new link{'' if n == 1 else 's'}"
    if result.created:
        verb = "Would create" if not result.written else "Created"
        return f"{verb} {where} (issue {result.issue}) with {links}."
    if not n:
        return f"No new picks; the open draft is {where} (issue {result.issue})."
    verb = "Would append" if not result.written else "Appended"
    return f"{verb} {links} to {where} (issue {result.issue})."


@main.command()
@click.option("--print", "dry_run", is_flag=True,
              help="Show what would be appended (the text on stdout), without writing anything.")
@pass_nl
def draft(nl, dry_run: bool) -> None:
    """Append the picked links to the open draft in drafts/, or create the next draft.

    Never changes what is already in the draft; running it again adds only new picks."""
    from pipeline.draft.assemble import assemble

    result = assemble(nl, write=not dry_run)
    if dry_run:
        click.echo(result.text, nl=False)
        click.echo(summary(result, nl.settings.root), err=True)
    else:
        click.echo(summary(result, nl.settings.root))
