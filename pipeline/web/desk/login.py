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


def _numbers(nl) -> dict | None:
    """The charts (as data: URIs of the SVGs ``pipeline.stats.svg`` draws), every issue's
    figures and where subscribers came from; None when ``pipeline.stats`` is not installed."""
    try:
        from pipeline.stats import issue_figures, subscriber_origins, subscriber_weeks
        from pipeline.stats.svg import active_chart, changes_chart
    except ImportError:
        return None
    weeks = subscriber_weeks(nl)
    charts = [base64.b64encode(svg.encode()).decode() for svg in (active_chart(weeks), changes_chart(weeks))]
    return {"charts": charts, "issues": issue_figures(nl), "origins": subscriber_origins(nl)}


@desk_page
async def numbers(request: Request, acc):
    data = await run_in_threadpool(_numbers, request.app.state.nl)
    return render(request, acc, "numbers.html", title="Numbers", numbers=data)
