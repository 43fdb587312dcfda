"""The bookmarklet's endpoints: ``/collect/new`` shows what the bookmarklet handed over and
asks for the token; ``POST /collect`` stores the page as a pick, with the selected passage as a
quote that links back to it through a text fragment (``URL#:~:text=start,end``). Guarded by the
bookmarklet token (``pipeline.web.author``), the Host check and the same-origin rule: no other
site's page may post here (no CORS), so the token never has to be in a page it controls. A
script may post JSON with the token in the X-Linkletter-Token header.
"""

from __future__ import annotations

import logging
import re

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pipeline.collect.fragments import text_fragment_url
from pipeline.errors import LinkletterError
from pipeline.tokens import tokens_equal
from pipeline.web import strings
from pipeline.web.author import MAX_SELECTION, bookmarklet_token
from pipeline.web.body import BodyError, media_type, parse_json, parse_urlencoded, read_body, read_form
from pipeline.web.guard import host_allowed, request_origin
from pipeline.web.pages import error_page, error_title_key, render_page

log = logging.getLogger("linkletter.web")

TOKEN_HEADER = "X-Linkletter-Token"
MAX_BODY = 256 * 1024  # a 20,000-character selection, percent-encoded, fits
MAX_URL = 4000


async def collect_form(request: Request) -> Response:
    """``/collect/new``: the bookmarklet's hand-over (a POST from the visited page, or a GET with
    the same fields in the query). Nothing is saved here: the page shows what will be saved and
    asks for the bookmarklet token; its form posts to ``/collect`` on this origin."""
    settings = request.app.state.nl.settings
    if not host_allowed(request):
        return error_page(settings, request, 403)
    if request.method == "POST":
        try:
            data = await read_form(request, MAX_BODY)
        except BodyError as e:
            return error_page(settings, request, e.status_code)
    else:
        data = dict(request.query_params)
    root = request.scope.get("root_path", "")
    return render_page(settings, request, "collect.html", title_key="collect.new.title",
                       action=root + "/collect", url=str(data.get("url") or "")[:MAX_URL],
                       page_name=str(data.get("title") or "")[:500],
                       selection=str(data.get("selection") or "")[:MAX_SELECTION])


def _answer(request: Request, status: int, message: str, **extra) -> Response:
    settings = request.app.state.nl.settings
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:  # the form on /collect/new
        key = "collect.saved" if status < 400 else error_title_key(status)
        return render_page(settings, request, "result.html", title_key=key, status=status, body=message)
    body = {"ok": status < 400, **({"message": message} if status < 400 else {"error": message}), **extra}
    return JSONResponse(body, status_code=status)


def _token_ok(given: str, expected: str) -> bool:
    return bool(given) and tokens_equal(given, expected)


async def _read_data(request: Request, header_token: str | None) -> dict:
    """The bounded body as a dict: a urlencoded form, or JSON (only with the token header,
    which has been checked before: nothing is parsed for a stranger)."""
    body = await read_body(request, MAX_BODY)
    kind = media_type(request)
    if kind == "application/json":
        if header_token is None:
            raise BodyError(403, "wrong or missing token")
        data = parse_json(body)
        return data if isinstance(data, dict) else {}
    if kind in ("application/x-www-form-urlencoded", "") or not body:
        return parse_urlencoded(body)
    raise BodyError(415, "send a form (application/x-www-form-urlencoded) or JSON")


async def collect_post(request: Request) -> Response:
    nl = request.app.state.nl
    if not host_allowed(request) or request_origin(request) == "cross":
        return _answer(request, 403, "only the form on this server may save picks")
    expected = bookmarklet_token(nl.settings)
    header_token = request.headers.get(TOKEN_HEADER)
    if header_token is not None and not _token_ok(header_token, expected):
        return _answer(request, 403, "wrong or missing token")  # before the body is read
    try:
        data = await _read_data(request, header_token)
    except BodyError as e:
        return _answer(request, e.status_code, e.reason)
    if header_token is None and not _token_ok(str(data.get("token") or ""), expected):
        return _answer(request, 403, "wrong or missing token")
    url, title = str(data.get("url") or "").strip(), str(data.get("title") or "").strip()
    selection = re.sub(r"\s+", " ", str(data.get("selection") or "")).strip()[:MAX_SELECTION]
    if not re.match(r"^https?://", url, re.I) or len(url) > MAX_URL:
        return _answer(request, 400, "url must be an http:// or https:// address")
    quotes = [(selection, text_fragment_url(url, selection))] if selection else []
    try:
        link_id = await run_in_threadpool(_add, nl, url, quotes, title[:500] or None, str(data.get("note") or "") or None)
    except LinkletterError as e:
        return _answer(request, 400, str(e))
    log.info("collect: link #%d%s", link_id, " with a quote" if quotes else "")
    response = _answer(request, 200, strings.text(nl.settings.locale, "collect.saved", title=nl.settings.title),
                       link_id=link_id)
    # the page is fetched once the answer is out (the bookmarklet does not wait for it), so a
    # draft made next has the title and the site; a failure is retried by the next collect
    response.background = BackgroundTask(run_in_threadpool, _fetch, nl, link_id)
    return response


def _fetch(nl, link_id: int) -> None:
    from pipeline.collect import fetch_pages

    try:
        fetch_pages(nl, [link_id])
    except Exception as e:  # noqa: BLE001 (a background fetch must never take the server down)
        log.warning("collect: fetching the page of link #%d failed: %s", link_id, type(e).__name__)


def _add(nl, url, quotes, title, note) -> int:
    from pipeline.collect import add_link

    return add_link(nl, url, quotes=quotes, note=note, title=title, origin="bookmarklet", fetch=False)
