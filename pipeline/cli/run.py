"""The main job: `linkletter run` (scheduler + web server) and `linkletter jobs`; and the
argument handling of the top-level ``scheduler.py`` entry point."""

from __future__ import annotations

import sys

import click

from pipeline.cli.base import LazyModule, main, pass_nl

job_store = LazyModule("pipeline.store.jobs")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: the 'host' setting).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: the 'port' setting).")
@pass_nl
def run(nl, host: str | None, port: int | None) -> None:
    """Run the main job: collect, assemble, send ready drafts and serve the site, until stopped."""
    from pipeline.mainjob.server import configure_logging, run as run_main_job

    configure_logging()
    s = nl.settings
    click.echo(f"Linkletter '{s.title}' running from {s.root}")
    click.echo(f"  site and feeds:  http://{host or s.host}:{port or s.port}/  (feed.xml, atom.xml)")
    click.echo(f"  subscribe page:  http://{host or s.host}:{port or s.port}/subscribe")
    click.echo(f"  drafts:          {s.drafts_dir}  (set 'status: ready' to send)")
    click.echo(f"  mail goes to:    {s.smtp_url.split('@')[-1] if s.smtp_url else s.outbox_dir}")
    click.echo("Stop with Ctrl-C.")
    run_main_job(nl, host, port)


@main.command()
@pass_nl
def jobs(nl) -> None:
    """List the scheduled jobs with their next run, last run and last result."""
    nexts = job_store.next_run_times(nl.engine)
    with nl.session() as session:
        runs = job_store.job_runs(session)
    if not nexts and not runs:
        click.echo("No jobs yet: `linkletter run` installs them.")
        return
    for job_id in sorted(set(nexts) | set(runs)):
        r = runs.get(job_id)
        nxt = nexts.get(job_id)
        click.echo(f"{job_id}")
        click.echo(f"  next run:    {nxt.isoformat(timespec='seconds') if nxt else '-'}")
        click.echo(f"  last run:    {r.last_run_at.isoformat(timespec='seconds') if r and r.last_run_at else '-'}")
        click.echo(f"  last result: {(r.last_result or '-') if r else '-'}")
        if r and r.last_error:
            click.echo(f"  last error:  {r.last_error}  (failed {r.failures} time(s) in a row)")


def scheduler_main(argv: list[str] | None = None) -> None:
    """``python scheduler.py [--dir DIR] ...``: `linkletter run` with the same options."""
    args = list(sys.argv[1:] if argv is None else argv)
    front = []
    for i, arg in enumerate(args):  # --dir is an option of the command group, not of `run`
        if arg == "--dir":
            front, args = args[i:i + 2], args[:i] + args[i + 2:]
            break
        if arg.startswith("--dir="):
            front, args = [arg], args[:i] + args[i + 1:]
            break
    main([*front, "run", *args], prog_name="linkletter")
