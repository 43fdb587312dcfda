"""Commands of the check stage (see pipeline/cli/base.py)."""

from __future__ import annotations

import click

from pipeline.cli.base import main, pass_nl


@main.command()
@click.argument("draft")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-fetch", is_flag=True, help="Use only stored source texts; request no link.")
@pass_nl
def check(nl, draft: str, as_json: bool, no_fetch: bool) -> None:
    """Check DRAFT (a file, a name in drafts/, or an issue number) before sending: every quote
    against its source, every link, title, subject, images and leftovers. Exit status 1 on
    any error, 0 with warnings only."""
    from pipeline.check import check_draft
    from pipeline.draft.format import find_draft

    report = check_draft(nl, find_draft(nl.settings.drafts_dir, draft), fetch=not no_fetch)
    click.echo(report.to_json() if as_json else report.to_text())
    if not as_json:
        from pipeline.inbound.addresses import bounce_setup_note

        note = bounce_setup_note(nl.settings)
        if note:
            click.echo(f"note: {note}", err=True)
    if not report.ok:
        click.get_current_context().exit(1)
