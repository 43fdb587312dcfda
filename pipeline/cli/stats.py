"""``linkletter stats``: the numbers the desk shows, as text tables or JSON; a thin layer over
``pipeline.stats``."""

from __future__ import annotations

import json

import click

from pipeline.cli.base import main, pass_nl


def _clean(text: str, width: int = 60) -> str:
    """A title or URL from the database made safe for a terminal: controls escaped, cut to width."""
    from pipeline.cli.inbound import terminal_text

    text = terminal_text(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(header: list[str], rows: list[list]) -> list[str]:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in cells]


@main.command()
@click.argument("issue", type=int, required=False)
@click.option("--weeks", type=click.IntRange(1, 520), default=26, show_default=True, help="Weeks of subscriber numbers.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@pass_nl
def stats(nl, issue: int | None, weeks: int, as_json: bool) -> None:
    """Subscribers per week, the send figures of each issue, and where subscribers came from;
    with ISSUE, that issue's figures (and clicks per link, when counted)."""
    from pipeline import stats as lib

    issues = lib.issue_figures(nl, issue)
    if issue is not None and not issues:
        raise click.ClickException(f"issue {issue} has not been sent")
    if issue is not None:
        data = {"issues": lib.as_json(issues)}
    else:
        data = {"weeks": lib.as_json(lib.subscriber_weeks(nl, weeks)), "issues": lib.as_json(issues),
                "origins": lib.as_json(lib.subscriber_origins(nl))}
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if "weeks" in data:
        click.echo("Subscribers per week")
        rows = [[w["start"], w["active"], w["confirmed"], w["unsubscribed"], w["bounced"], w["complained"]]
                for w in data["weeks"]]
        for line in _table(["week of", "active", "new", "unsubscribed", "bounced", "complained"], rows):
            click.echo("  " + line)
        click.echo("")
    click.echo("Issues")
    rows = [[f"#{i['number']}", i["recipients"], i["delivered"], i["failed"], i["hard_bounces"], i["soft_bounces"],
             i["complaints"], i["unsubscribes"], "-" if i["total_clicks"] is None else i["total_clicks"]]
            for i in data["issues"]]
    for line in _table(["issue", "recipients", "delivered", "failed", "hard bounces", "soft bounces", "complaints",
                        "unsubscribed", "clicks"], rows):
        click.echo("  " + line)
    if issue is not None and data["issues"][0]["clicks"]:
        click.echo("")
        click.echo("Clicks per link")
        rows = [[c["index"], c["clicks"], _clean(c["url"], 70)] for c in data["issues"][0]["clicks"]]
        for line in _table(["link", "clicks", "url"], rows):
            click.echo("  " + line)
    if "origins" in data:
        click.echo("")
        click.echo("Where subscribers came from")
        rows = [[o["source"] + (f" ({_clean(o['detail'])})" if o["detail"] else ""), o["subscribers"], o["active"]]
                for o in data["origins"]]
        for line in _table(["source", "subscribers", "active"], rows):
            click.echo("  " + line)
