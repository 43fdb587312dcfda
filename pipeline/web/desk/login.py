"""``/desk/login/{token}`` (GET: a page with one button; POST: the token is used up and the
session cookie set), ``/desk/logout``, and the "Numbers" page, which shows what
``pipeline.stats`` draws when that package is installed."""

from __future__ import annotations

import base64

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse

from pipeline.errors import LinkletterError
from pipeline.web.desk import auth
from pipeline.web.desk.common import NO_STORE, Access, back_to, desk_page, desk_post, not_found, render
from pipeline.web.guard import host_allowed, request_origin


def _token(request: Request) -> str:
    token = request.path_params.get("token", "")
    return token if 20 <= len(token) <= 100 and token.isascii() else ""


async def login_page(request: Request):
    settings = request.app.state.nl.settings
    token = _token(request)
    if not host_allowed(request) or not token or not await run_in_threadpool(auth.login_valid, settings, token):
        return not_found(request)
    return render(request, Access(None), "login.html", title="Log in to the desk")


async def login_post(request: Request):
    settings = request.app.state.nl.settings
    token = _token(request)
    if not host_allowed(request) or not token or request_origin(request) == "cross":
        return not_found(request)
    try:
        session = await run_in_threadpool(auth.consume_login, settings, token)
    except LinkletterError:
        return not_found(request)
    response = RedirectResponse("/desk", status_code=303, headers=NO_STORE)
    response.set_cookie(auth.COOKIE, session, max_age=auth.SESSION_AGE, path="/desk", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@desk_post
async def logout(request: Request, acc, form: dict):
    if acc.session:
        await run_in_threadpool(auth.end_session, request.app.state.nl.settings, acc.session)
    response = back_to({"back": "/desk"})
    response.delete_cookie(auth.COOKIE, path="/desk", httponly=True, samesite="strict")
    return response


def _charts(nl) -> list[tuple[str, str]] | None:
    """(title, SVG) pairs from ``pipeline.stats.desk_charts(nl)``; None when it is not there."""
    try:
        from pipeline import stats
    except ImportError:
        return None
    charts = getattr(stats, "desk_charts", None)
    if charts is None:
        return None
    return [(str(title), base64.b64encode(str(svg).encode()).decode()) for title, svg in charts(nl)]


@desk_page
async def numbers(request: Request, acc):
    charts = await run_in_threadpool(_charts, request.app.state.nl)
    return render(request, acc, "numbers.html", title="Numbers", charts=charts)
