"""The HTTP server: ``create_app(nl)`` builds the Starlette application.

    /subscribe                 GET form, POST subscribe (double opt-in mail)
    /confirm/{token}           GET page with one button, POST confirms
    /unsubscribe/{token}       GET page with one button, POST unsubscribes (also RFC 8058 one-click)
    /collect                   POST from the bookmarklet (token), OPTIONS preflight
    /preview/{draft}[/email]   the draft's web page / email, live (loopback or token)
    /...                       the built site from settings.site_dir (ETag, Last-Modified, 304)

Every error answers with its status code and a page in the newsletter's language; one log
line per request, with tokens masked.
"""

from __future__ import annotations

import logging
import os

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.web import collect, people, preview
from pipeline.web.access_log import AccessLog
from pipeline.web.pages import error_page
from pipeline.web.ratelimit import RateLimiter

log = logging.getLogger("linkletter.web")


class SiteFiles(StaticFiles):
    """The built site. Starlette's StaticFiles answers with ETag and Last-Modified and turns
    If-None-Match / If-Modified-Since into 304. A site not built yet is a 404, not a crash."""

    async def check_config(self) -> None:
        if self.directory is not None and not os.path.isdir(self.directory):
            return
        await super().check_config()


def create_app(nl, *, subscribe_limiter: RateLimiter | None = None) -> Starlette:
    """The application for the opened newsletter ``nl`` (settings and engine are taken from it)."""
    settings = nl.settings

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error_page(settings, request, exc.status_code, headers=getattr(exc, "headers", None))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("error answering %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return error_page(settings, request, 500)

    routes = [
        Route("/subscribe", people.subscribe_form, methods=["GET"]),
        Route("/subscribe", people.subscribe_post, methods=["POST"]),
        Route("/confirm/{token}", people.confirm_page, methods=["GET"]),
        Route("/confirm/{token}", people.confirm_post, methods=["POST"]),
        Route("/unsubscribe/{token}", people.unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", people.unsubscribe_post, methods=["POST"]),
        Route("/collect", collect.collect_post, methods=["POST"]),
        Route("/collect", collect.collect_preflight, methods=["OPTIONS"]),
        Route("/preview/{draft}", preview.preview, methods=["GET"]),
        Route("/preview/{draft}/email", preview.preview, methods=["GET"]),
        Mount("/", app=SiteFiles(directory=settings.site_dir, html=True, check_dir=False), name="site"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.nl = nl
    app.state.subscribe_limiter = subscribe_limiter or RateLimiter(settings.subscribe_rate_limit)
    app.add_middleware(AccessLog)
    return app
