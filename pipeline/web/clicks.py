"""``/r/<issue>/<index>?u=<url>&s=<signature>``: a counted link of a mailed issue (see
:mod:`pipeline.stats.clicks`). A genuine one raises its counter (GET; a HEAD, as link checkers
send, counts nothing) and redirects; anything unsigned or altered is a 400 page, never a
redirect. The answer is not cached, so each click counts, and nothing about the reader is kept."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pipeline.stats import clicks
from pipeline.web.pages import error_page


async def follow(request: Request) -> Response:
    nl = request.app.state.nl
    issue, index = request.path_params["issue"], request.path_params["index"]
    params = request.query_params
    url = params.get("u") if len(params.getlist("u")) == 1 else None
    sig = params.get("s") if len(params.getlist("s")) == 1 else None
    target = clicks.verified_target(nl.settings, issue, index, url, sig)
    if target is None:
        return error_page(nl.settings, request, 400)
    if request.method == "GET":
        await run_in_threadpool(clicks.record_click, nl, issue, index, target)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store",
                                                               "Referrer-Policy": "no-referrer"})
