"""The reading view: a link's stored main text, set for reading (the page's language, so the
browser hyphenates German), where a selected passage becomes a quote with one button (with a
text-fragment link back to it), and the link's quotes are removed, reordered and annotated
while they are not drafted yet. The library calls are ``pipeline.collect``'s ``link_details``,
``add_quote``, ``remove_quote``, ``reorder_quotes``, ``set_note``, ``set_quote_note``, the ones
``linkletter links show`` / ``quote`` ... make."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pipeline.errors import LinkletterError
from pipeline.web.desk.common import back_to, desk_page, desk_post, not_found, render


def paragraphs(text: str | None) -> list[str]:
    """The stored main text as paragraphs (a blank line, or a line break, between them)."""
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text or "") if p.strip()]


def _orders_up(quote_ids: list[int]) -> dict[int, str]:
    """For each movable quote but the first: the order with it one place up."""
    out = {}
    for i in range(1, len(quote_ids)):
        order = list(quote_ids)
        order[i - 1], order[i] = order[i], order[i - 1]
        out[quote_ids[i]] = ",".join(map(str, order))
    return out


def _link_id(request: Request) -> int | None:
    raw = request.path_params.get("link_id", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 16 else None


@desk_page
async def reading(request: Request, acc):
    from pipeline.collect import link_details

    nl = request.app.state.nl
    link_id = _link_id(request)
    try:
        details = await run_in_threadpool(link_details, nl, link_id) if link_id is not None else None
    except LinkletterError:
        details = None
    if details is None:
        return not_found(request)
    movable = [q.id for q in details.quotes if not q.drafted]
    return render(request, acc, "reading.html", title=details.link.title or details.link.url, d=details,
                  paragraphs=paragraphs(details.link.main_text), text_lang=details.link.language or nl.settings.language,
                  orders_up=_orders_up(movable))


def _link_or_error(request: Request) -> int:
    link_id = _link_id(request)
    if link_id is None:
        raise LinkletterError("no such link")
    return link_id


@desk_post
async def save_quote(request: Request, acc, form: dict):
    from pipeline.collect import add_quote, get_link
    from pipeline.collect.fragments import text_fragment_url

    nl = request.app.state.nl
    link_id = _link_or_error(request)
    text = str(form.get("text") or "")
    if not text.strip():
        raise LinkletterError("select a passage of the text first, then press the button")
    link = await run_in_threadpool(get_link, nl, link_id)
    fragment = text_fragment_url(link.url, re.sub(r"\s+", " ", text).strip())
    await run_in_threadpool(lambda: add_quote(nl, link_id, text, note=form.get("note") or None,
                                              fragment_url=fragment, origin="desk"))
    return back_to(form)


@desk_post
async def link_note(request: Request, acc, form: dict):
    from pipeline.collect import set_note

    await run_in_threadpool(set_note, request.app.state.nl, _link_or_error(request), form.get("note") or None)
    return back_to(form)


def _quote_id(request: Request) -> int:
    raw = request.path_params.get("quote_id", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 16):
        raise LinkletterError("no such quote")
    return int(raw)


@desk_post
async def quote_note(request: Request, acc, form: dict):
    from pipeline.collect import set_quote_note

    await run_in_threadpool(set_quote_note, request.app.state.nl, _quote_id(request), form.get("note") or None)
    return back_to(form)


@desk_post
async def remove_quote(request: Request, acc, form: dict):
    from pipeline.collect import remove_quote as remove

    await run_in_threadpool(remove, request.app.state.nl, _quote_id(request))
    return back_to(form)


@desk_post
async def reorder(request: Request, acc, form: dict):
    from pipeline.collect import reorder_quotes

    parts = str(form.get("order") or "").split(",")
    if not all(p.isascii() and p.isdigit() and len(p) < 16 for p in parts):
        raise LinkletterError("the order must be quote ids")
    await run_in_threadpool(reorder_quotes, request.app.state.nl, _link_or_error(request), [int(p) for p in parts])
    return back_to(form)
