"""Commands of the collect stage: sources, links, pick, add, collect (see pipeline/cli/base.py).
Each is a thin layer over ``pipeline.collect``."""

from __future__ import annotations

import sys

import click

from pipeline.cli.base import LazyModule, main, pass_nl

lib = LazyModule("pipeline.collect")
urls = LazyModule("pipeline.collect.urls")


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else "never"


@main.group("sources")
def sources_group() -> None:
    """The feeds Linkletter polls (RSS, Atom, JSON Feed)."""


@sources_group.command("add")
@click.argument("url")
@click.option("--name", default="", help="A name to show instead of the URL.")
@click.option("--mode", type=click.Choice(["inbox", "auto"]), default="inbox", show_default=True,
              help="inbox: entries wait to be picked; auto: every new entry is a pick (your own bookmarks).")
@click.option("--kind", default="feed", show_default=True,
              help="What the source is: feed (any RSS/Atom/JSON feed), or a feed flavour or service (see README).")
@click.option("--no-discover", is_flag=True, help="Add URL as given, without reading it first.")
@pass_nl
def sources_add(nl, url: str, name: str, mode: str, kind: str, no_discover: bool) -> None:
    """Follow the feed at URL (a feed, or a page that names its feed: it is found)."""
    if not no_discover:
        url = _discovered(nl, url, kind)
    src = lib.add_source(nl, url, name=name, mode=mode, kind=kind)
    click.echo(f"Added source #{src.id} ({src.mode}): {urls.shown(src.url)}")


def _discovered(nl, url: str, kind: str) -> str:
    """The feed URL names: itself, the one feed its page names, or the one the author picks
    (only for feeds: a service's API address is taken as given)."""
    from pipeline.collect.discover import discover_feeds
    from pipeline.collect.flavours import CURATED
    from pipeline.errors import SourceError

    if kind != "feed" and kind not in CURATED:
        return url
    try:
        found = discover_feeds(nl, url)
    except SourceError as e:  # unreachable now: the next collect will say more
        click.echo(f"Could not read {urls.shown(url)} now ({e}); adding it as given.", err=True)
        return url
    if found.is_feed:
        return url
    if len(found.feeds) == 1:
        click.echo(f"Found the feed {urls.shown(found.feeds[0].url)} on that page.")
        return found.feeds[0].url
    click.echo("That page names several feeds:")
    for i, f in enumerate(found.feeds, 1):
        click.echo(f"  {i}. {f.format}  {f.title or '-'}  {urls.shown(f.url)}")
    try:
        choice = click.prompt("Which one", type=click.IntRange(1, len(found.feeds)))
    except click.Abort:
        raise click.UsageError("several feeds found; run again with the address of the one you want.") from None
    return found.feeds[choice - 1].url


@sources_group.command("list")
@pass_nl
def sources_list(nl) -> None:
    """List the sources with their last success and last error."""
    sources = lib.list_sources(nl)
    if not sources:
        click.echo("No sources yet. Add one with 'linkletter sources add URL'.")
    for src in sources:
        click.echo(f"#{src.id}  {src.mode:<5}  {src.name or '-'}  {urls.shown(src.url)}")
        error = f"{_when(src.last_error_at)}: {src.last_error}" if src.last_error else "none"
        click.echo(f"      last success: {_when(src.last_success_at)}   last error: {error}")


@sources_group.command("remove")
@click.argument("source_id", type=int)
@pass_nl
def sources_remove(nl, source_id: int) -> None:
    """Stop following source SOURCE_ID (its links stay)."""
    lib.remove_source(nl, source_id)
    click.echo(f"Removed source #{source_id}.")


def _line(text) -> str:
    """Outside text (titles, notes, errors) for the terminal: one line, no control characters."""
    return LazyModule("pipeline.collect.text").one_line(text)


def _placement(lk, sent: set[int]) -> str:
    if lk.issue_number is None:
        return ""
    return f"  (issue {lk.issue_number}{', sent' if lk.issue_number in sent else ''})"


@main.group("links", invoke_without_command=True)
@click.option("--inbox", "only", flag_value="inbox", help="Only links waiting to be picked.")
@click.option("--picked", "only", flag_value="picked", help="Only picks (those in a sent issue with --all).")
@click.option("--dismissed", "only", flag_value="dismissed", help="Only dismissed links.")
@click.option("--all", "show_all", is_flag=True, help="With --picked: also picks already sent.")
@click.pass_context
def links_cmd(ctx, only: str | None, show_all: bool) -> None:
    """List links with their ids, state, titles and the issue each went into."""
    if ctx.invoked_subcommand is None:
        _list_links(only, show_all)


@pass_nl
def _list_links(nl, only: str | None, show_all: bool) -> None:
    links = lib.list_links(nl, only, hide_sent=only == "picked" and not show_all)
    quotes = lib.link_quotes(nl, [lk.id for lk in links])
    sent = lib.sent_issues(nl)
    for lk in links:
        extra = f"  [{len(quotes[lk.id])} quote(s)]" if quotes[lk.id] else ""
        fetch = "" if lk.fetch_status == "ok" else \
            f"  (page {lk.fetch_status}{': ' + _line(lk.fetch_error) if lk.fetch_error else ''})"
        click.echo(f"{lk.id:>5}  {lk.state:<9} {_line(lk.title) or '(no title)'}  <{urls.shown(lk.url)}>"
                   f"{extra}{fetch}{_placement(lk, sent)}")
    if not links:
        click.echo("No links." if only is None else f"No links in state {only}.")


@links_cmd.command("show")
@click.argument("link_id", type=int)
@pass_nl
def links_show(nl, link_id: int) -> None:
    """Everything about link LINK_ID: page, quotes, notes, where it was placed."""
    d = lib.link_details(nl, link_id)
    lk = d.link
    click.echo(f"#{lk.id}  {lk.state}  {_line(lk.title) or '(no title)'}")
    click.echo(f"  url:       {urls.shown(lk.url)}")
    for label, value in (("site", lk.site_name), ("author", lk.author), ("language", lk.language),
                         ("published", lk.published_at and lk.published_at.strftime("%Y-%m-%d")),
                         ("about", lk.description)):
        if value:
            click.echo(f"  {label + ':':<10} {_line(value)[:300]}")
    page = lk.fetch_status + (f" ({_line(lk.fetch_error)})" if lk.fetch_error else "")
    click.echo(f"  {'page:':<10} {page}")
    source = f"#{d.source_id} {_line(d.source_name) or urls.shown(d.source_url or '')}" if d.source_id else "added by hand"
    click.echo(f"  {'source:':<10} {source}")
    if d.issue_number is None:
        placed = "not yet in a draft"
    else:
        placed = f"issue {d.issue_number}{' (sent)' if d.issue_sent else ''}"
        if set(d.issues) - {d.issue_number}:
            placed += f"; quotes also in issue {', '.join(str(n) for n in d.issues if n != d.issue_number)}"
    click.echo(f"  {'placed:':<10} {placed}")
    if d.note:
        click.echo(f"  {'note:':<10} {_line(d.note)}")
    for q in d.quotes:
        where = f"in issue {q.issue_number}" if q.drafted else "not drafted yet"
        click.echo(f"  quote #{q.id} ({q.origin}, {where}): {_line(q.text)}")
        if q.note:
            click.echo(f"      note: {_line(q.note)}")
        if q.source_url:
            click.echo(f"      from: {urls.shown(q.source_url)}")


@main.command("pick")
@click.argument("ids", type=int, nargs=-1, required=True)
@pass_nl
def pick_cmd(nl, ids: tuple[int, ...]) -> None:
    """Pick links IDS for the next issue."""
    picked = lib.pick(nl, ids)
    click.echo(f"Picked {len(picked)} link(s): {', '.join(map(str, picked))}")


@main.command("unpick")
@click.argument("ids", type=int, nargs=-1, required=True)
@pass_nl
def unpick_cmd(nl, ids: tuple[int, ...]) -> None:
    """Put picks IDS back into the inbox (not once they are in a draft)."""
    done = lib.unpick(nl, ids)
    click.echo(f"Back in the inbox: {', '.join(map(str, done))}")


@main.command("dismiss")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--undo", is_flag=True, help="Put dismissed links back into the inbox.")
@pass_nl
def dismiss_cmd(nl, ids: tuple[int, ...], undo: bool) -> None:
    """Dismiss links IDS: inbox entries that will never be picked (they stay dismissed)."""
    if undo:
        done = lib.undismiss(nl, ids)
        click.echo(f"Back in the inbox: {', '.join(map(str, done))}")
    else:
        done = lib.dismiss(nl, ids)
        click.echo(f"Dismissed {len(done)} link(s): {', '.join(map(str, done))}")


@main.command("add")
@click.argument("url")
@click.option("--quote", "quotes", multiple=True, metavar="TEXT", help="A passage to quote (repeatable).")
@click.option("--note", default=None, metavar="TEXT",
              help="A note for yourself about the link (a comment in the draft, never published).")
@click.option("--no-fetch", is_flag=True, help="Do not fetch the page now; the next collect does.")
@pass_nl
def add_cmd(nl, url: str, quotes: tuple[str, ...], note: str | None, no_fetch: bool) -> None:
    """Add the page at URL as a pick for the next issue, with its quotes."""
    link_id = lib.add_link(nl, url, quotes=quotes, note=note, origin="cli", fetch=not no_fetch)
    link = lib.get_link(nl, link_id)
    click.echo(f"Picked link #{link_id}: {link.title or link.url}")
    if link.issue_number is not None and quotes:
        click.echo(f"  link #{link_id} is already in issue {link.issue_number}: the next 'linkletter draft' "
                   f"adds its new quotes")
    elif link.issue_number is not None and note:
        click.echo(f"  link #{link_id} is already in issue {link.issue_number}: the note is kept "
                   f"('linkletter links show {link_id}'), not added to the draft", err=True)
    if link.fetch_status == "failed":
        click.echo(f"  the page could not be fetched ({link.fetch_error}); the next collect tries again", err=True)


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "fmt", type=click.Choice(["readwise", "instapaper", "kindle"]), default=None,
              help="What the file is (default: told by its header or content).")
@click.option("--pick", is_flag=True, help="Make the imported links picks (default: they wait in the inbox).")
@click.option("--skip-broken", is_flag=True, help="Import the good rows of a file with broken ones (listed).")
@pass_nl
def import_cmd(nl, file: str, fmt: str | None, pick: bool, skip_broken: bool) -> None:
    """Import highlights from FILE: a Readwise CSV, an Instapaper CSV or a Kindle 'My Clippings.txt'."""
    from pipeline.collect.highlights.files import import_highlights

    report = import_highlights(nl, file, fmt=fmt, pick=pick, skip_broken=skip_broken)
    for error in report.errors:
        click.echo(f"skipped {file}:{error.removeprefix('line ')}", err=True)
    click.echo(f"Imported {click.format_filename(file)} ({report.format}): "
               f"{report.entries} entr{'y' if report.entries == 1 else 'ies'}, {report.new_links} new link(s), "
               f"{report.new_quotes} new quote(s); {report.skipped} without text (bookmarks, empty rows) skipped.")


@main.command("collect")
@pass_nl
def collect_cmd(nl) -> None:
    """Poll every source once and fetch new pages; ends with a summary."""
    from pipeline.collect.progress import for_stream

    report = lib.collect(nl, progress=for_stream(sys.stderr))
    click.echo(report.summary())
