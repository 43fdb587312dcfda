"""The draft: its page and email previews side by side, reloaded when the file is saved (the
browser listens to ``/desk/draft/{name}/events``, server-sent events from a cheap ``stat`` of
the file every ``POLL`` seconds, said once the file held still for one poll), the check's
findings with line numbers (re-run on save, without fetching: ``check_draft(fetch=False)``),
"assemble now" (``pipeline.draft.assemble``, what ``linkletter draft`` does) and a test mail
(``send_test``, what ``linkletter send --test`` does). The draft stays the author's file in
drafts/: the desk only reads it (assembling adds the new picks above the marker, exactly as the
CLI does)."""

from __future__ import annotations

import asyncio
import functools
import os

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, StreamingResponse

from pipeline.errors import LinkletterError
from pipeline.web.desk.common import NO_STORE, back_to, desk_page, desk_post, message, not_found, render
from pipeline.web.preview import NoDraft, draft_path

POLL = 0.2
STREAM_LIFETIME = 300.0  # a stream ends after this; EventSource reconnects (``retry``) on its own
PREVIEW_CSP = ("default-src 'none'; img-src 'self' http: https: data:; style-src 'unsafe-inline'; "
               "font-src 'self' http: https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def open_draft_name(nl) -> tuple[str | None, list, list]:
    """The open draft's file name (the lowest-numbered with status 'draft'), every readable
    draft, and the errors of those that cannot be read."""
    from pipeline.draft.format import read_drafts_leniently
    from pipeline.states import DraftStatus

    drafts, errors = read_drafts_leniently(nl.settings.drafts_dir)
    drafts.sort(key=lambda d: d.issue)
    open_one = next((d for d in drafts if d.status == DraftStatus.DRAFT), None)
    return (open_one.path.name if open_one else None), drafts, errors


def resolve(nl, name: str):
    """The draft ``name`` in drafts/ (a file name or an issue number), or None."""
    try:
        return draft_path(nl.settings.drafts_dir, name)
    except (NoDraft, LinkletterError):
        return None


def named_draft(handler):
    """A desk GET for the draft ``{name}`` in drafts/: ``handler(request, acc, path)``; 404 for any other name."""

    @functools.wraps(handler)
    async def wrapper(request: Request, acc):
        path = resolve(request.app.state.nl, request.path_params["name"])
        if path is None:
            return not_found(request)
        return await handler(request, acc, path)

    return desk_page(wrapper)


@desk_page
async def draft_page(request: Request, acc):
    nl = request.app.state.nl
    name, drafts, errors = await run_in_threadpool(open_draft_name, nl)
    chosen = request.query_params.get("draft") or name
    path = resolve(nl, chosen) if chosen else None
    would = await run_in_threadpool(_would_send, nl, path) if path else None
    return render(request, acc, "draft.html", title="Draft", name=path.name if path else None, drafts=drafts,
                  errors=errors, test_address=_me(nl.settings), would_send=would)


def _would_send(nl, path) -> int | None:
    """How many subscribers a send of the draft would mail now (``send --dry-run``); None for a
    draft that cannot be read or is sent."""
    from pipeline.draft.format import read_draft
    from pipeline.send.campaign import count_would_send
    from pipeline.states import DraftStatus

    try:
        if read_draft(path).status == DraftStatus.SENT:
            return None
        return count_would_send(nl, path)
    except LinkletterError:
        return None


def _me(settings) -> str:
    from email.utils import parseaddr

    return getattr(settings, "notify", "") or parseaddr(settings.sender)[1]


def _render_preview(nl, name: str, what: str) -> str:
    from pipeline.web.preview import _render

    return _render(nl, name, what)


@named_draft
async def preview(request: Request, acc, path):
    nl = request.app.state.nl
    what = "email" if request.url.path.endswith("/email") else "page"
    headers = {**NO_STORE, "Content-Security-Policy": PREVIEW_CSP}
    try:
        html = await run_in_threadpool(_render_preview, nl, path.name, what)
    except LinkletterError as e:  # the author mid-edit: say what is wrong, the file is untouched
        return PlainTextResponse(str(e), status_code=422, headers=headers)
    return HTMLResponse(html, headers=headers)


def _check(nl, path):
    from pipeline.check import check_draft

    return check_draft(nl, path, fetch=False)


@named_draft
async def findings(request: Request, acc, path):
    """The check's findings as an HTML fragment (the draft page swaps it in on save)."""
    try:
        report = await run_in_threadpool(_check, request.app.state.nl, path)
        found, error = report.findings, None
    except LinkletterError as e:
        found, error = [], str(e)
    return render(request, acc, "findings.html", title="Findings", findings=found, error=error)


def _stamp(path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino  # an editor replacing the file changes the inode


@named_draft
async def events(request: Request, acc, path):
    """``changed`` each time the draft file is saved (polled every ``POLL`` seconds)."""

    async def stream():
        loop = asyncio.get_running_loop()
        last, end, beat = _stamp(path), loop.time() + STREAM_LIFETIME, loop.time()
        # a new state is said once it holds for one more poll: a save is often a truncate and
        # then a write, and the previews should reload once, for the file as saved
        pending = None
        yield "retry: 500\n\n"
        while loop.time() < end:
            await asyncio.sleep(POLL)
            now = _stamp(path)
            if now != last and now == pending:
                last, pending = now, None
                yield "event: changed\ndata: saved\n\n"
            elif now != last:
                pending = now
            elif loop.time() - beat > 15:
                beat = loop.time()
                yield ": still here\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={**NO_STORE, "X-Accel-Buffering": "no"})


@desk_post
async def assemble_now(request: Request, acc, form: dict):
    from pipeline.draft.assemble import assemble

    result = await run_in_threadpool(lambda: assemble(request.app.state.nl, fetch=True))
    form = {**form, "back": f"/desk/draft?draft={result.path.name}"}
    return back_to(form)


@desk_post
async def send_test(request: Request, acc, form: dict):
    from pipeline.send.campaign import send_test as mail_test

    nl = request.app.state.nl
    path = resolve(nl, request.path_params["name"])
    if path is None:
        return not_found(request)
    address = str(form.get("address") or "").strip()
    if not address:
        raise LinkletterError("give the address the test should go to")
    where = await run_in_threadpool(mail_test, nl, path, address)
    return message(request, f"Test mail sent: {where}", back=f"/desk/draft?draft={path.name}")
