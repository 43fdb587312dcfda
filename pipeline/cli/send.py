"""Commands of the send stage: send an issue, and show how a send is going."""

from __future__ import annotations

import signal
import sys
import threading

import click

from pipeline.cli.base import LazyModule, interactive, main, pass_nl

draft_format = LazyModule("pipeline.draft.format")


class _Bar:
    """tqdm progress (rate and ETA) on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool):
        self.bar = None
        self.enabled = enabled

    def __call__(self, counts: dict, total: int) -> None:
        if not self.enabled or not total:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, unit="mail", file=sys.stderr, dynamic_ncols=True)
        self.bar.total = total
        done = counts.get("sent", 0) + counts.get("failed", 0)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@main.command()
@click.argument("draft")
@click.option("--test", "test_address", metavar="ADDRESS", help="Mail one copy marked as a test to ADDRESS; no deliveries.")
@click.option("--dry-run", is_flag=True, help="Say how many subscribers would get it; send nothing.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes sharing the smtp_connections.")
@click.option("--include-new", is_flag=True, help="Also mail subscribers confirmed after the send began.")
@click.option("--force", is_flag=True, help="Send even when the pre-send check finds problems.")
@pass_nl
def send(nl, draft: str, test_address: str | None, dry_run: bool, workers: int, include_new: bool, force: bool) -> None:
    """Send the issue DRAFT (a file, a name in drafts/, or an issue number) to every active
    subscriber, exactly once each. Safe to run again: it resumes, or does nothing when done."""
    from pipeline.send import campaign

    path = draft_format.find_draft(nl.settings.drafts_dir, draft)
    if test_address:
        click.echo(f"Test mail sent: {campaign.send_test(nl, path, test_address)}")
        return
    count = campaign.count_would_send(nl, path, include_new=include_new)
    if dry_run:
        click.echo(f"Issue {draft_format.read_draft(path).issue} would go to {count} subscriber{'s' if count != 1 else ''}.")
        return
    if interactive() and count and not click.confirm(f"Send issue {draft_format.read_draft(path).issue} to {count} subscribers?"):
        raise click.Abort()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    bar = _Bar(sys.stderr.isatty())
    try:
        report = campaign.send_issue(nl, path, workers=workers, include_new=include_new, progress=bar,
                                     stop_event=stop, force=force)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; run the same command again to go on") from None
    finally:
        bar.close()
    click.echo(report.summary())
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.finished:
        _publish(nl)


def _publish(nl) -> None:
    """A finished send publishes the issue: rebuild the site and feeds. The mail is out, so a
    broken build is a warning (the old site stays), never a failed send."""
    from pipeline.errors import LinkletterError
    from pipeline.render.publish import rebuild_after_send

    try:
        out = rebuild_after_send(nl)
    except LinkletterError as e:
        click.echo(f"warning: the site was not rebuilt: {e}", err=True)
        return
    click.echo(f"Site and feeds rebuilt in {out}.")


@main.command()
@click.argument("draft", required=False)
@pass_nl
def status(nl, draft: str | None) -> None:
    """Show the counts of a running or finished send: of DRAFT's issue, or the latest one."""
    from pipeline.send.status import send_status

    path = draft_format.find_draft(nl.settings.drafts_dir, draft) if draft else None
    for line in send_status(nl, path).lines():
        click.echo(line)
