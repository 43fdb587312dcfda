"""The pages readers use: subscribe (double opt-in), confirm, unsubscribe (incl. RFC 8058
one-click). Thin handlers over ``pipeline.subscribers``; no cookies, no sessions: the signed
token in the path is the proof."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pipeline import subscribers as subs
from pipeline.errors import LinkletterError
from pipeline.tokens import TokenError, TokenExpired, verify_confirm
from pipeline.web import strings
from pipeline.web.body import BodyError, read_form
from pipeline.web.guard import FORM_TOKEN_FIELD, form_token, own_origins, post_allowed, request_origin
from pipeline.web.pages import error_page, render_page, result_page

log = logging.getLogger("linkletter.web")

MAX_FORM_BYTES = 16 * 1024  # the subscribe form is two short fields
MAX_TOKEN = 200  # longer than any confirm or unsubscribe token


def client_ip(request: Request) -> str:
    # uvicorn has already applied X-Forwarded-For from trusted proxies (--forwarded-allow-ips).
    return request.client.host if request.client else "unknown"


def _form_page(request: Request, *, email: str = "", name: str = "", error: str | None = None,
               status: int = 200, came_from: str | None = None) -> Response:
    nl = request.app.state.nl
    clicks_note = strings.text(nl.settings.locale, "stats.clicks_note") if nl.settings.click_counts else None
    return render_page(nl.settings, request, "subscribe.html", title_key="subscribe.title", status=status,
                       action=request.url.path, email=email, name=name, error=error, clicks_note=clicks_note,
                       came_from=came_from, **_token_field(request))


def _site_page(value: str | None) -> str | None:
    """A path of this site (``/2026/12/issue-12/``): what the form records as the page a
    subscriber came from. Anything else (another site, a query, odd characters) is None."""
    if not value or len(value) > 200 or not value.startswith("/") or value.startswith("//"):
        return None
    return value if re.fullmatch(r"/[A-Za-z0-9._~/%-]*", value) else None


def _referring_page(request: Request) -> str | None:
    """The path of the page of this site that linked to the form, from the Referer."""
    referer = request.headers.get("referer", "")[:1000]
    parts = urlsplit(referer)
    if not parts.scheme or f"{parts.scheme.lower()}://{parts.netloc.lower()}" not in own_origins(request):
        return None
    page = _site_page(parts.path)
    return None if page == request.url.path else page


def _token_field(request: Request) -> dict[str, str]:
    return {"token_name": FORM_TOKEN_FIELD, "token_value": form_token(request)}


async def _posted_form(request: Request, *, one_click: bool = False) -> dict[str, str] | Response:
    """The bounded form of a state-changing POST, or the error page to answer instead.
    ``one_click``: an RFC 8058 one-click unsubscribe is allowed too (it may be multipart)."""
    settings = request.app.state.nl.settings
    try:
        form = await read_form(request, MAX_FORM_BYTES, multipart=one_click)
    except BodyError as e:
        return error_page(settings, request, e.status_code)
    if not ((one_click and _one_click(request, form)) or post_allowed(request, form)):
        log.info("refused a POST from another site or without a form token")
        return error_page(settings, request, 403)
    return form


async def subscribe_form(request: Request) -> Response:
    return _form_page(request, came_from=_referring_page(request))


async def subscribe_post(request: Request) -> Response:
    nl = request.app.state.nl
    settings = nl.settings
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    if not request.app.state.subscribe_limiter.allow(client_ip(request)):
        return error_page(settings, request, 429, headers={"Retry-After": "3600"})
    email, name = str(form.get("email") or ""), str(form.get("name") or "")
    page = _site_page(str(form.get("from") or ""))
    sent = result_page(settings, request, "subscribe.sent")
    if form.get("website"):  # the honeypot: people never fill it in
        log.info("subscribe: honeypot filled in; ignored")
        return sent
    lang = settings.locale
    try:  # subscribe() validates the address and the name (the one place that does)
        result = await run_in_threadpool(
            subs.subscribe, nl, email, name, ip=client_ip(request), user_agent=request.headers.get("user-agent"),
            consent_text=strings.text(lang, "subscribe.consent", title=settings.title),
            throttle=request.app.state.confirmation_throttle, page=page)
    except subs.SubscriberError as e:
        if e.field == "name":
            return _form_page(request, email=email, name="", error=strings.text(lang, "subscribe.invalid_name"),
                              status=400, came_from=page)
        return _form_page(request, email=email[:254], name=name[:200], error=strings.text(lang, "subscribe.invalid"),
                          status=400, came_from=page)
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


def _path_token(request: Request) -> str:
    """The token in the path, or '' when it cannot be one (a token is short and ASCII)."""
    token = request.path_params["token"]
    return token if token.isascii() and len(token) <= MAX_TOKEN else ""


def _confirm_id(request: Request) -> int | Response:
    settings = request.app.state.nl.settings
    try:
        return verify_confirm(settings.secret_key, _path_token(request), settings.confirm_max_age)
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
                       action=request.url.path, **_token_field(request))


async def confirm_post(request: Request) -> Response:
    sid = _confirm_id(request)
    if isinstance(sid, Response):
        return sid
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
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
        return subs.subscriber_for_unsubscribe(nl, _path_token(request))
    except TokenError:
        return result_page(settings, request, "unsubscribe.invalid", status=400, template="error.html")


async def unsubscribe_page(request: Request) -> Response:
    sid = _unsubscribe_id(request)
    if isinstance(sid, Response):
        return sid
    return render_page(request.app.state.nl.settings, request, "unsubscribe.html", title_key="unsubscribe.title",
                       action=request.url.path, **_token_field(request))


def _one_click(request: Request, form: dict[str, str]) -> bool:
    """RFC 8058: a mail provider's server posts ``List-Unsubscribe=One-Click`` (urlencoded or
    multipart) and, not being a browser, says nothing about an origin."""
    return form.get("List-Unsubscribe") == "One-Click" and request_origin(request) == "unknown"


async def unsubscribe_post(request: Request) -> Response:
    """The button, and RFC 8058 one-click (body ``List-Unsubscribe=One-Click``): the same thing.
    Idempotent; a removed person's token also answers 'unsubscribed' (they get no mail either way)."""
    sid = _unsubscribe_id(request)
    if isinstance(sid, Response):
        return sid
    form = await _posted_form(request, one_click=True)
    if isinstance(form, Response):
        return form
    nl = request.app.state.nl
    outcome = await run_in_threadpool(subs.unsubscribe, nl, sid)
    log.info("unsubscribe: %s", outcome)
    return result_page(nl.settings, request, "unsubscribe.done", subscribe_link=True)
