"""The server's own HTML pages: Jinja2 templates from ``templates/web/`` (a newsletter folder's
``templates/web/`` overrides them by name), filled with the localized strings."""

from __future__ import annotations

from functools import lru_cache

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pipeline.templates import FOLDER as TEMPLATES
from pipeline.web import strings

SHIPPED = TEMPLATES / "web"

# No cookies, no scripts, no framing: these pages only ever need their own form.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # a Referer only to this site; Origin stays on its own POSTs
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=8)
def _environment(own_dir: str) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader([own_dir, str(SHIPPED)]),
                              autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=True)


def environment(settings) -> jinja2.Environment:
    return _environment(str(settings.templates_dir / "web"))


def render_page(settings, request: Request | None, template: str, *, title_key: str, status: int = 200,
                headers: dict[str, str] | None = None, **context) -> HTMLResponse:
    """A page in the newsletter's language. ``title_key`` names the heading's string."""
    root = request.scope.get("root_path", "") if request is not None else ""
    days = max(1, settings.confirm_max_age // 86400)
    t = strings.table(settings.locale, title=settings.title, days=days)
    context.setdefault("subscribe_link", False)
    html = environment(settings).get_template(template).render(
        t=t, page_title=t[title_key], site_title=settings.title, home_url=root + "/",
        subscribe_url=root + "/subscribe", **context)
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def result_page(settings, request, key: str, *, status: int = 200, subscribe_link: bool = False,
                template: str = "result.html") -> HTMLResponse:
    """A page with a heading and one paragraph: the strings ``key.title`` and ``key.body``."""
    days = max(1, settings.confirm_max_age // 86400)
    body = strings.text(settings.locale, f"{key}.body", title=settings.title, days=days)
    return render_page(settings, request, template, title_key=f"{key}.title", status=status, body=body,
                       subscribe_link=subscribe_link)


def _error_key(status: int) -> str:
    if strings.has(f"error.{status}.title"):
        return f"error.{status}"
    return "error.500" if status >= 500 else "error.400"


def error_title_key(status: int) -> str:
    """The string key of the heading for an error status."""
    return _error_key(status) + ".title"


def error_page(settings, request, status: int, headers: dict[str, str] | None = None) -> HTMLResponse:
    resp = result_page(settings, request, _error_key(status), status=status, template="error.html")
    if headers:
        resp.headers.update(headers)
    return resp
