"""Commands of the draft stage (see pipeline/cli/base.py)."""

from __future__ import annotations

import click

from pipeline.cli.base import main, pass_nl


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def summary(result, root) -> str:
    """What happened to the draft, for the author: which draft, and a line per link whose new
    quotes were added, started a new pick, or wait."""
    try:
        where = result.path.relative_to(root)
    except ValueError:
        where = result.path
    links = _count(len(result.placed), "new link")
    written = not result.written
    if result.created:
        lines = [f"{'Would create' if written else 'Created'} {where} (issue {result.issue}) with {links}."]
    elif not result.text:
        lines = [f"No new picks; the open draft is {where} (issue {result.issue})."]
    else:
        lines = [f"{'Would append' if written else 'Appended'} {links} to {where} (issue {result.issue})."]
    for q in result.new_quotes:
        quotes = _count(len(q.quote_ids), "new quote")
        if q.kind == "open":
            lines.append(f"  {quotes} for link #{q.link_id}, already in this draft, added as a block naming it.")
        elif q.kind == "repeat":
            before = f"was featured in issue {', '.join(map(str, q.featured_in))}" if q.featured_in else \
                "is in no open or sent draft"
            lines.append(f"  Link #{q.link_id} {before}: a new pick in issue {q.issue} with {quotes}.")
        else:
            lines.append(f"  {quotes} for link #{q.link_id} wait: its draft (issue {q.issue}) is not open; "
                         f"set it back to 'status: draft' to add them.")
    return "\n".join(lines)


@main.command()
@click.option("--print", "dry_run", is_flag=True,
              help="Show what would be appended (the text on stdout), without writing anything.")
@pass_nl
def draft(nl, dry_run: bool) -> None:
    """Add the picked links to the open draft in drafts/, or create the next draft.

    New text goes above the draft's marker comment (else at the end); new quotes for links
    already drafted are added too. Never changes what is already in the draft; running it
    again adds only what is new."""
    from pipeline.draft.assemble import assemble

    result = assemble(nl, write=not dry_run, fetch=not dry_run)
    if dry_run:
        click.echo(result.text, nl=False)
        click.echo(summary(result, nl.settings.root), err=True)
    else:
        click.echo(summary(result, nl.settings.root))
