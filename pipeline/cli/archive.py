"""Commands of the archive: ``archive import`` brings earlier issues in (see pipeline/backissues)."""

from __future__ import annotations

import click

from pipeline.cli.base import main, pass_nl

PLATFORMS = ("wordpress", "feed", "substack", "buttondown", "curated", "folder")
NAMES = {"wordpress": "a WordPress export (WXR)", "feed": "a feed", "substack": "a Substack export",
         "buttondown": "a Buttondown export", "curated": "Curated issues (JSON)", "folder": "a folder of issue files"}


@main.group("archive")
def archive_group() -> None:
    """The back catalogue: earlier issues from another platform."""


@archive_group.command("import")
@click.argument("source", type=click.Path(exists=True))
@click.option("--from", "platform", type=click.Choice(PLATFORMS), help="The export's platform (default: recognised).")
@click.option("--category", help="Only posts in this category or tag (WordPress, feeds), e.g. 'Krasse Links'.")
@click.option("--title", help="Only posts whose title contains this text.")
@click.option("--old-site", metavar="URL", help="Substack: the publication's address, so old links redirect.")
@click.option("--first-number", type=click.IntRange(min=1), help="Number the imported issues from N in date order.")
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@pass_nl
def import_(nl, source: str, platform: str | None, category: str | None, title: str | None, old_site: str | None,
            first_number: int | None, dry_run: bool) -> None:
    """Import the earlier issues in SOURCE (an export file, folder or zip) as sent issues:
    drafts with their number, title, date and text; nothing is mailed."""
    from pipeline.backissues import import_archive
    from pipeline.collect.text import one_line

    report = import_archive(nl, source, platform=platform, category=category, title=title, old_site=old_site,
                            first_number=first_number, dry_run=dry_run)
    click.echo(f"Recognised {NAMES[report.platform]}: {report.found} issue(s)"
               + (f", {len(report.already)} imported before (unchanged)" if report.already else "") + ".")
    verb = "Would import" if dry_run else "Imported"
    for p in report.planned:
        click.echo(f"  {verb.split()[-1].capitalize()} issue {p.number} ({p.old.date.date().isoformat()}): "
                   f"{one_line(p.old.title)} -> {p.path.name}")
    if not report.planned:
        click.echo("Nothing new to import.")
        return
    click.echo(f"{verb} {len(report.planned)} issue(s) as sent"
               + (f"; {report.links} link(s) and {report.quotes} quote(s) registered." if report.written else ".")
               + (" Run 'linkletter build' to put them on the site." if report.written else ""))
