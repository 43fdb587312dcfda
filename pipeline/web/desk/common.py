"""What every desk page shares: the access check (404 for anyone but the author), the POST
guard (same origin, a valid CSRF token, a bounded body), rendering with a per-response script
nonce, and the headers (nothing cached anywhere, no framing by other sites)."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from functools import lru_cache

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from pipeline.errors import LinkletterError
from pipeline.templates import FOLDER as TEMPLATES
from pipeline.web.body import BodyError, read_form
from pipeline.web.desk import auth
from pipeline.web.guard import from_this_machine, host_allowed, request_origin
from pipeline.web.pages import error_page

SHIPPED = TEMPLATES / "desk"
MAX_FORM = 256 * 1024  # a long selected passage fits
NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache", "Vary": "Cookie",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def csp(nonce: str, frame_ancestors: str = "'none'") -> str:
    return (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; "
            f"connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors {frame_ancestors}; "
            f"base-uri 'none'")


@dataclass(frozen=True)
class Access:
    """The author's way in: ``session`` is the session id, None on this machine."""

    session: str | None


def access(request: Request) -> Access | None:
    settings = request.app.state.nl.settings
    if not host_allowed(request):
        return None
    session = request.cookies.get(auth.COOKIE)
    if session and auth.session_valid(settings, session):
        return Access(session)
    if from_this_machine(request):
        return Access(None)
    return None


def not_found(request: Request) -> Response:
    resp = error_page(request.app.state.nl.settings, request, 404)
    resp.headers.update(NO_STORE)
    return resp


def desk_page(handler):
    """A GET handler ``handler(request, acc)``; anyone but the author gets a 404."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        acc = await run_in_threadpool(access, request)
        if acc is None:
            return not_found(request)
        return await handler(request, acc)

    return wrapper


def desk_post(handler):
    """A POST handler ``handler(request, acc, form)``, called only for the author, from the
    desk's own pages (never another site), with the CSRF token of this path."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        settings = request.app.state.nl.settings
        acc = await run_in_threadpool(access, request)
        if acc is None:
            return not_found(request)
        if request_origin(request) == "cross":
            return message(request, "This change must come from the desk's own pages.", status=403)
        try:
            form = await read_form(request, MAX_FORM)
        except BodyError as e:
            return message(request, e.reason, status=e.status_code)
        if not auth.csrf_valid(settings, acc.session, request.url.path, form.get("csrf", "")):
            return message(request, "The form has expired or did not come from the desk: reload the page.",
                           status=403)
        try:
            return await handler(request, acc, form)
        except LinkletterError as e:
            return message(request, str(e), status=400, back=_back(form))

    return wrapper


def _back(form: dict) -> str:
    back = str(form.get("back") or "")
    return back if back.startswith("/desk") and not back.startswith("//") and "\\" not in back else "/desk"


def back_to(form: dict) -> RedirectResponse:
    """After a change: back to the page it was made on (only ever a desk path)."""
    return RedirectResponse(_back(form), status_code=303, headers=NO_STORE)


@lru_cache(maxsize=8)
def _environment(own_dir: str) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader([own_dir, str(SHIPPED)]), autoescape=True,
                              undefined=jinja2.StrictUndefined, auto_reload=True)


def render(request: Request, acc: Access, template: str, *, title: str, status: int = 200, **context) -> HTMLResponse:
    settings = request.app.state.nl.settings
    nonce = secrets.token_urlsafe(16)

    def csrf(path: str) -> str:
        return auth.csrf_token(settings, acc.session, path)

    html = _environment(str(settings.templates_dir / "desk")).get_template(template).render(
        title=title, site_title=settings.title, nonce=nonce, csrf=csrf, here=request.url.path,
        remote=acc.session is not None, lang=settings.language, **context)
    return HTMLResponse(html, status_code=status, headers={**NO_STORE, "Content-Security-Policy": csp(nonce)})


def message(request: Request, text: str, *, status: int = 200, back: str = "/desk") -> HTMLResponse:
    """A page with one message (an error the author can act on) and a way back."""
    acc = access(request) or Access(None)
    return render(request, acc, "message.html", title="Desk" if status < 400 else "Not done", status=status,
                  text=text, back=back)
