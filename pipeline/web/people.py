"""The pages readers use: subscribe (double opt-in), confirm, unsubscribe (incl. RFC 8058
one-click). Thin handlers over ``pipeline.subscribers``; no cookies, no sessions: the signed
token in the path is the proof."""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pipeline import subscribers as subs
from pipeline.errors import LinkletterError
from pipeline.tokens import TokenError, TokenExpired, verify_confirm
from pipeline.web import strings
from pipeline.web.pages import error_page, render_page, result_page

log = logging.getLogger("linkletter.web")

MAX_FORM_BYTES = 16 * 1024  # the subscribe form is two short fields


def client_ip(request: Request) -> str:
    # uvicorn has already applied X-Forwarded-For from trusted proxies (--forwarded-allow-ips).
    return request.client.host if request.client else "unknown"


def _form_page(request: Request, *, email: str = "", name: str = "", error: str | None = None,
               status: int = 200) -> Response:
    nl = request.app.state.nl
    return render_page(nl.settings, request, "subscribe.html", title_key="subscribe.title", status=status,
                       action=request.url.path, email=email, name=name, error=error)


async def subscribe_form(request: Request) -> Response:
    return _form_page(request)


async def subscribe_post(request: Request) -> Response:
    nl = request.app.state.nl
    settings = nl.settings
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return error_page(settings, request, 413)
    if not request.app.state.subscribe_limiter.allow(client_ip(request)):
        return error_page(settings, request, 429, headers={"Retry-After": "3600"})
    form = await request.form()
    email, name = str(form.get("email") or ""), str(form.get("name") or "")
    sent = result_page(settings, request, "subscribe.sent")
    if form.get("website"):  # the honeypot: people never fill it in
        log.info("subscribe: honeypot filled in; ignored")
        return sent
    lang = settings.language
    try:
        subs.normalize_email(email)
    except subs.SubscriberError:
        return _form_page(request, email=email[:254], name=name[:200], error=strings.text(lang, "subscribe.invalid"),
                          status=400)
    try:
        subs.clean_name(name)
    except subs.SubscriberError:
        return _form_page(request, email=email, name="", error=strings.text(lang, "subscribe.invalid_name"),
                          status=400)
    result = await run_in_threadpool(
        subs.subscribe, nl, email, name, ip=client_ip(request), user_agent=request.headers.get("user-agent"),
        consent_text=strings.text(lang, "subscribe.consent", title=settings.title))
    log.info("subscribe: %s", result.outcome)
    if result.send_confirmation:
        # After the answer is sent: every outcome answers alike and equally fast (no enumeration).
        sent.background = BackgroundTask(_mail_confirmation, nl, result.subscriber_id)
    return sent


def _mail_confirmation(nl, subscriber_id: int) -> None:
    try:
        subs.send_confirmation(nl, subscriber_id)
    except LinkletterError as e:
        log.error("subscribe: the confirmation mail to subscriber #%d failed: %s", subscriber_id, e)


def _confirm_id(request: Request) -> int | Response:
    settings = request.app.state.nl.settings
    try:
        return verify_confirm(settings.secret_key, request.path_params["token"], settings.confirm_max_age)
    except TokenExpired:
        return result_page(settings, request, "confirm.expired", status=400, subscribe_link=True, template="error.html")
    except TokenError:
        return result_page(settings, request, "confirm.invalid", status=400, subscribe_link=True, template="error.html")


async def confirm_page(request: Request) -> Response:
    # GET changes nothing: mail scanners follow links, only a person presses the button.
    sid = _confirm_id(request)
    if isinstance(sid, Response):
        return sid
    return render_page(request.app.state.nl.settings, request, "confirm.html", title_key="confirm.title",
                       action=request.url.path)


async def confirm_post(request: Request) -> Response:
    sid = _confirm_id(request)
    if isinstance(sid, Response):
        return sid
    nl = request.app.state.nl
    outcome = await run_in_threadpool(subs.confirm, nl, sid)
    log.info("confirm: %s", outcome)
    if outcome == "not-pending":
        return result_page(nl.settings, request, "confirm.gone", status=400, subscribe_link=True, template="error.html")
    return result_page(nl.settings, request, "confirm.done")


def _unsubscribe_id(request: Request) -> int | Response:
    nl = request.app.state.nl
    settings = nl.settings
    try:  # one indexed read: the token must be of the subscriber's current link generation
        return subs.subscriber_for_unsubscribe(nl, request.path_params["token"])
    except TokenError:
        return result_page(settings, request, "unsubscribe.invalid", status=400, template="error.html")


async def unsubscribe_page(request: Request) -> Response:
    sid = _unsubscribe_id(request)
    if isinstance(sid, Response):
        return sid
    return render_page(request.app.state.nl.settings, request, "unsubscribe.html", title_key="unsubscribe.title",
                       action=request.url.path)


async def unsubscribe_post(request: Request) -> Response:
    """The button, and RFC 8058 one-click (body ``List-Unsubscribe=One-Click``): the same thing.
    Idempotent; a removed person's token also answers 'unsubscribed' (they get no mail either way)."""
    sid = _unsubscribe_id(request)
    if isinstance(sid, Response):
        return sid
    nl = request.app.state.nl
    outcome = await run_in_threadpool(subs.unsubscribe, nl, sid)
    log.info("unsubscribe: %s", outcome)
    return result_page(nl.settings, request, "unsubscribe.done", subscribe_link=True)
