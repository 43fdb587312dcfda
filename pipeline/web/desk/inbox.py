"""The inbox: new links from every source, newest first, a page at a time (an id cursor),
with their quotes and notes; pick, dismiss, and undo; the picks and where each went.
Every action is the library call the CLI makes (``pipeline.collect``: ``pick``, ``unpick``,
``dismiss``, ``undismiss``, ``list_links``)."""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pipeline.errors import LinkletterError
from pipeline.web.desk.common import back_to, desk_page, desk_post, render

log = logging.getLogger("linkletter.web")

PAGE = 25
NEWEST = 2 ** 62  # an id cursor above every id: the newest links first


def _int(value, default: int | None = None) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 16 else default


def _inbox(nl, source_id: int | None, before: int | None) -> dict:
    from pipeline import collect

    links = collect.list_links(nl, "inbox", source_id=source_id, limit=PAGE + 1, before_id=before or NEWEST)
    more = len(links) > PAGE
    links = links[:PAGE]
    picked = collect.list_links(nl, "picked", hide_sent=False, limit=50, before_id=NEWEST)
    dismissed = collect.list_links(nl, "dismissed", limit=10, before_id=NEWEST)
    quotes = collect.link_quotes(nl, [lk.id for lk in links + picked]) if links or picked else {}
    sources = {s.id: s.name or s.url for s in collect.list_sources(nl)}
    return dict(links=links, more=more, next_before=links[-1].id if more else None, picked=picked,
                dismissed=dismissed, quotes=quotes, sources=sources, sent=collect.sent_issues(nl),
                source_id=source_id)


@desk_page
async def inbox(request: Request, acc):
    nl = request.app.state.nl
    q = request.query_params
    data = await run_in_threadpool(_inbox, nl, _int(q.get("source")), _int(q.get("before")))
    return render(request, acc, "inbox.html", title="Inbox", **data)


def _ids(form: dict) -> list[int]:
    ids = [_int(part) for part in str(form.get("ids") or "").replace(",", " ").split()]
    if not ids or None in ids:
        raise LinkletterError("no link given")
    return ids  # type: ignore[return-value]


def _fetch_later(nl, ids: list[int]) -> None:
    from pipeline.collect import fetch_pages

    try:
        fetch_pages(nl, ids)
    except Exception as e:  # noqa: BLE001 (a background fetch never takes the server down; collect retries)
        log.warning("desk: fetching picked pages failed: %s", type(e).__name__)


@desk_post
async def pick(request: Request, acc, form: dict):
    from pipeline.collect import pick as pick_links

    nl = request.app.state.nl
    ids = await run_in_threadpool(pick_links, nl, _ids(form), fetch=False)
    response = back_to(form)
    response.background = BackgroundTask(run_in_threadpool, _fetch_later, nl, ids)
    return response


def _action(name: str):
    async def handler(request: Request, acc, form: dict):
        from pipeline import collect

        await run_in_threadpool(getattr(collect, name), request.app.state.nl, _ids(form))
        return back_to(form)

    handler.__name__ = name
    return desk_post(handler)


unpick = _action("unpick")
dismiss = _action("dismiss")
undismiss = _action("undismiss")
