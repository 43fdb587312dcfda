"""Commands of the render stage: ``render DRAFT`` and ``build``."""

from __future__ import annotations

import click

from pipeline.cli.base import main, pass_nl


@main.command()
@click.argument("draft")
@click.option("--out", type=click.Path(file_okay=False), help="Folder to write into (default: build/NNN-slug/).")
@click.option("--correct", "note", metavar="NOTE",
              help="DRAFT was sent: make its current text the archived one, recording NOTE (why), and rebuild the site.")
@pass_nl
def render(nl, draft: str, out: str | None, note: str | None) -> None:
    """Render DRAFT (a file, a name in drafts/, or an issue number) into email.html, email.txt and page.html."""
    from pipeline.draft.format import find_draft
    from pipeline.render.outputs import write_issue_files

    if note is not None:
        from pipeline.render.archive import correct_issue
        from pipeline.render.site import build_site

        done = correct_issue(nl, find_draft(nl.settings.drafts_dir, draft), note)
        build_site(nl)
        click.echo(f"Issue {done.issue}: the archive now shows the corrected text (recorded {done.at.isoformat()})."
                   if done.changed else f"Issue {done.issue}: nothing changed; the correction is recorded all the same.")
        return

    for path in write_issue_files(nl, find_draft(nl.settings.drafts_dir, draft), out):
        click.echo(str(path))


@main.command()
@click.option("--out", type=click.Path(file_okay=False), help="Folder to write into (default: site/).")
@pass_nl
def build(nl, out: str | None) -> None:
    """Write the static site: index.html, issues/N.html, feed.xml (RSS) and atom.xml of the sent issues."""
    from pipeline.render.site import build_site, published_issues

    folder = build_site(nl, out)
    click.echo(f"Built {folder} with {len(published_issues(nl))} published issue(s).")
