"""`linkletter demo`: the main job on a demo folder fed by sample sources on localhost."""

from __future__ import annotations

import click

from pipeline.cli.base import handle_errors, main
from pipeline.demo import SOURCES_PORT


@main.command()
@click.argument("directory", default="demo", type=click.Path(file_okay=False))
@click.option("--sources-port", type=int, default=None,
              help=f"Port for the sample sources (default: {SOURCES_PORT}, or a free one; then kept in the folder).")
@click.option("--port", default=8080, show_default=True, help="Port of the web server.")
@click.option("--once", is_flag=True, help="Collect and assemble the draft once, then exit (no server).")
@handle_errors
def demo(directory: str, sources_port: int | None, port: int, once: bool) -> None:
    """Run Linkletter on a demo folder (default ./demo) fed by sample sources on localhost.

    It collects the sample feeds, assembles the next issue's draft, and then runs the main job
    (`linkletter run`) until you stop it: set the draft's status to 'ready' and within a minute
    it is sent to the demo subscribers (into the folder's outbox/) and published on the site."""
    from pipeline.collect import collect
    from pipeline.demo import demo_sources_port, prepare_demo, serve_samples
    from pipeline.newsletter import open_newsletter
    from pipeline.draft.assemble import assemble

    server, base = serve_samples(sources_port or demo_sources_port(directory))
    try:
        root, created = prepare_demo(directory, base, port=port)
        nl = open_newsletter(root)
        try:
            click.echo(f"{'Created' if created else 'Using'} the demo newsletter in {root}")
            click.echo(f"Sample sources served at {base}/blog.xml and {base}/highlights.atom")
            click.echo(collect(nl).summary())
            result = assemble(nl)
            click.echo(f"Draft of the next issue: {result.path}")
            if once:
                return
            click.echo("")
            click.echo(f"Now running the main job. Open http://127.0.0.1:{port}/ (the archive and feeds) and "
                       f"http://127.0.0.1:{port}/subscribe.")
            click.echo(f"Write in the draft, then set 'status: ready' in its front matter: within a minute it "
                       f"goes to the demo subscribers as .eml files in {nl.settings.outbox_dir}/ and onto the site.")
            from pipeline.mainjob.server import configure_logging, run as run_main_job

            configure_logging()
            run_main_job(nl, "127.0.0.1", port)
        finally:
            nl.close()
    finally:
        server.shutdown()
