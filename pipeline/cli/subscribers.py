"""Commands of the subscribers stage: thin layers over ``pipeline.subscribers``."""

from __future__ import annotations

import sys

import click

from pipeline.cli.base import LazyModule, interactive, main, pass_nl
from pipeline.states import SUBSCRIBER_STATUSES

subs = LazyModule("pipeline.subscribers")


@main.group("subscribers")
def subscribers_group() -> None:
    """The people who get the newsletter: add, list, count, import, export, remove."""


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="The person's name, for the To: header.")
@click.option("--status", type=click.Choice(["active", "pending"]), default="active", show_default=True,
              help="active: mail them from the next issue on; pending: wait for a confirmation.")
@pass_nl
def add(nl, email: str, name: str, status: str) -> None:
    """Add one subscriber. People who unsubscribed, bounced or were removed are refused."""
    r = subs.add_subscriber(nl, email, name=name, status=status)
    what = {"added": "Added", "activated": "Activated (was pending)", "unchanged": "Already there, unchanged:"}
    click.echo(f"{what[r.outcome]} {r.subscriber.email} ({r.subscriber.status})")


@subscribers_group.command("list")
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES), help="Only subscribers with this status.")
@pass_nl
def list_(nl, status: str | None) -> None:
    """List subscribers: email, status, name (tab-separated)."""
    for r in subs.list_subscribers(nl, status):
        click.echo(f"{r['email']}\t{r['status']}\t{r['name']}")


@subscribers_group.command("count")
@pass_nl
def count(nl) -> None:
    """How many subscribers have each status."""
    counts = subs.count_subscribers(nl)
    for status, n in counts.items():
        click.echo(f"{status:<13}{n:>9}")
    click.echo(f"{'total':<13}{sum(counts.values()):>9}")


# the names of pipeline/subscribers/formats (FORMATS), here so that the CLI starts without it
IMPORT_FORMATS = ("substack", "mailchimp", "buttondown", "ghost", "listmonk", "beehiiv", "keila", "curated", "csv")


@subscribers_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "fmt", type=click.Choice(IMPORT_FORMATS),
              help="Where the export comes from (default: recognised by its header row).")
@click.option("--status", type=click.Choice(["active", "pending"]), default="active", show_default=True,
              help="Status of rows whose file says nothing about it (a plain CSV without a 'status' column).")
@click.option("--dry-run", is_flag=True, help="Show what the import would do, and write nothing.")
@pass_nl
def import_(nl, file: str, fmt: str | None, status: str, dry_run: bool) -> None:
    """Import subscribers from FILE: an export of Substack, Mailchimp (a CSV or the zip of all
    three lists), Buttondown, Ghost, listmonk, beehiiv, Keila or Curated, or a CSV file with a
    header row (email,name[,...]). People who unsubscribed, were cleaned or bounced there arrive
    unsubscribed or bounced and are never mailed. Invalid rows are reported and skipped."""
    kwargs = dict(status=status, fmt=fmt, dry_run=dry_run)
    if interactive():
        from tqdm import tqdm

        with tqdm(unit=" rows", unit_scale=True, file=sys.stderr) as bar:
            r = subs.import_csv(nl, file, progress=lambda n: bar.update(n - bar.n), **kwargs)
    else:
        r = subs.import_csv(nl, file, **kwargs)
    for label, what, mapping in r.recognised:
        click.echo(f"{label}: {what}. {mapping}")
    for p in r.problems:
        click.echo(f"{p.file}:{p.line}: skipped: {p.reason}", err=True)
    if r.invalid > len(r.problems):
        click.echo(f"... and {r.invalid - len(r.problems)} more invalid rows", err=True)
    for example in r.blocked_examples:
        click.echo(f"left as it is (the person left): {example}", err=True)
    click.echo(f"{r.rows} rows: {r.added} added, {r.skipped} already present, {r.blocked} left alone "
               f"(unsubscribed, bounced or complained), {r.suppressed} removed earlier, {r.invalid} invalid")
    if r.made_left:
        click.echo(f"{r.made_left} who were pending or active here left at the platform: no longer mailed")
    changes = ", ".join(f"{st} {r.totals[st]} ({n:+d})" for st, n in r.change.items() if n or r.totals[st])
    click.echo(f"{'would be' if dry_run else 'now'}: {changes or 'no subscribers'}")
    if dry_run:
        click.echo("dry run: nothing was written")


@subscribers_group.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES), help="Only subscribers with this status.")
@pass_nl
def export(nl, file: str | None, status: str | None) -> None:
    """Write all subscribers with every field as CSV to FILE (default: standard output)."""
    if file is None:
        subs.export_csv(nl, sys.stdout, status)
        return
    try:
        n = subs.export_csv_file(nl, file, status)
    except OSError as e:
        raise click.ClickException(f"cannot write {file}: {e.strerror}") from None
    click.echo(f"Exported {n} subscribers to {file}", err=True)


@subscribers_group.command("revoke-links")
@click.argument("email")
@pass_nl
def revoke_links(nl, email: str) -> None:
    """Make every unsubscribe link mailed to EMAIL so far invalid (a leaked link); the next
    mails carry new ones. Other subscribers' links stay valid."""
    subs.revoke_links(nl, email)
    click.echo(f"Revoked the unsubscribe links of {email.strip().lower()}; the next mails carry new ones.")


@subscribers_group.command("remove")
@click.argument("email")
@pass_nl
def remove(nl, email: str) -> None:
    """Erase a person (GDPR request): their data goes, a hash of the address stays so it is
    never mailed or imported again."""
    found = subs.remove_subscriber(nl, email)
    click.echo(f"Removed {email.strip().lower()}; the address is blocked from now on." if found
               else f"{email.strip().lower()} was not a subscriber; the address is blocked from now on.")


@subscribers_group.command("show")
@click.argument("email")
@pass_nl
def show(nl, email: str) -> None:
    """One subscriber: status, consent, and everything that came back for them (bounces,
    complaints, unsubscribes, auto-replies), newest first."""
    from pipeline.cli.inbound import terminal_text

    sub, events = subs.subscriber_events(nl, email)
    click.echo(f"{sub.email}  {sub.status}  (#{sub.id}, since {sub.created_at:%Y-%m-%d}, consent: {sub.consent_source})")
    if not events:
        click.echo("  nothing came back")
    for e in events:
        where = " ".join(x for x in (f"issue {e['issue_number']}" if e["issue_number"] else "",
                                      f"delivery #{e['delivery_id']}" if e["delivery_id"] else "") if x)
        named = f" <{e['address']}>" if e["address"] and e["address"] != sub.email else ""
        click.echo(terminal_text(f"  {e['created_at']:%Y-%m-%d %H:%M}  {e['kind']:<11} {e['source']:<16} {where}{named}"
                                 f"  {(e['reason'] or '')[:160]}"))


@subscribers_group.command("reactivate")
@click.argument("email")
@pass_nl
def reactivate(nl, email: str) -> None:
    """Mail a bounced or complained address again (your deliberate decision: the address is
    suppressed by every other path, import and the form included)."""
    old = subs.reactivate(nl, email)
    click.echo(f"Reactivated {email.strip().lower()} (was {old}); it gets the next issue.")
