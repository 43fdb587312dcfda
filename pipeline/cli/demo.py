"""`linkletter demo`: the whole cycle on a demo folder with sample sources on localhost."""

from __future__ import annotations

import click

from pipeline.cli.base import handle_errors, main
from pipeline.demo import SOURCES_PORT, prepare_demo, serve_samples
from pipeline.newsletter import open_newsletter


@main.command()
@click.argument("directory", default="demo", type=click.Path(file_okay=False))
@click.option("--sources-port", default=SOURCES_PORT, show_default=True, help="Port for the sample sources.")
@handle_errors
def demo(directory: str, sources_port: int) -> None:
    """Run Linkletter on a demo folder (default ./demo) fed by sample sources on localhost."""
    from pipeline.collect import collect
    from pipeline.draft.assemble import assemble

    server, base = serve_samples(sources_port)
    try:
        root, created = prepare_demo(directory, base)
        click.echo(f"{'Created' if created else 'Using'} the demo newsletter in {root}")
        click.echo(f"Sample sources served at {base}/blog.xml and {base}/highlights.atom")
        nl = open_newsletter(root)
        try:
            report = collect(nl)
            click.echo(str(report))
            result = assemble(nl)
            click.echo(f"Draft: {result.path}")
        finally:
            nl.close()
    finally:
        server.shutdown()
