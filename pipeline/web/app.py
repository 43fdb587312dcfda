"""The HTTP server: ``create_app(nl)`` builds the Starlette application.

    /subscribe                 GET form, POST subscribe (double opt-in mail)
    /confirm/{token}           GET page with one button, POST confirms
    /unsubscribe/{token}       GET page with one button, POST unsubscribes (also RFC 8058 one-click)
    /collect/new               the bookmarklet hands the page over (GET or POST): a form to save it
    /collect                   POST from that form (bookmarklet token), or a script (token header)
    /preview/{draft}[/email]   the draft's web page / email, live (this machine only)
    /webhooks/{provider}       POST from an email service: bounces, complaints (pipeline.web.webhooks)
    /desk...                   the author's desk (pipeline.web.desk): this machine, or a login session
    /r/{issue}/{index}?u=&s=   a counted link (click_counts): signed, counts one click, redirects
    /...                       the built site from settings.site_dir (ETag, Last-Modified, 304)

Every error answers with its status code and a page in the newsletter's language; one log
line per request, with tokens masked. Bodies are read bounded (``pipeline.web.body``); state
changes only on POST from the server's own pages (``pipeline.web.guard``).
"""

from __future__ import annotations

import logging
import os

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.web import clicks, collect, desk, people, preview, webhooks
from pipeline.web.access_log import AccessLog, escape_controls, mask
from pipeline.web.pages import error_page
from pipeline.web.ratelimit import ConfirmationThrottle, RateLimiter

log = logging.getLogger("linkletter.web")


MAX_SITE_FILE = 10_000_000  # a page, a feed, an image of an issue; larger files are streamed


class SiteFiles(StaticFiles):
    """The built site. Starlette's StaticFiles answers with ETag and Last-Modified and turns
    If-None-Match / If-Modified-Since into 304. A site not built yet is a 404, not a crash."""

    async def check_config(self) -> None:
        if self.directory is not None and not os.path.isdir(self.directory):
            return
        await super().check_config()

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        """The file as one open file holds it. A build replaces files by renaming new ones into
        place (render/writer.py); Starlette's FileResponse takes the size from the lookup's stat
        and opens the file again by name, so a file replaced in between went out cut off at the
        old Content-Length. Site files are small: they are read whole, headers from the same fd."""
        from starlette.datastructures import Headers
        from starlette.responses import FileResponse
        from starlette.staticfiles import NotModifiedResponse

        if stat_result.st_size > MAX_SITE_FILE:  # a large media file: rarely rebuilt, streamed
            return super().file_response(full_path, stat_result, scope, status_code)
        try:
            with open(full_path, "rb") as f:
                stat_result = os.fstat(f.fileno())
                data = f.read(MAX_SITE_FILE + 1)
        except OSError:
            raise HTTPException(status_code=404) from None
        headers = FileResponse(full_path, status_code=status_code, stat_result=stat_result).headers
        if self.is_not_modified(headers, Headers(scope=scope)):
            return NotModifiedResponse(headers)
        body = b"" if scope.get("method") == "HEAD" else data
        return Response(body, status_code=status_code, headers={**headers, "content-length": str(len(data))})

    _redirects: tuple[float, dict[str, str]] = (-1.0, {})

    def redirect_for(self, path: str) -> str | None:
        """The new page of an imported issue's old path, from the built ``_redirects``
        (re-read when the build changed it)."""
        from pipeline.render.redirects import REDIRECTS, read_redirects

        try:
            mtime = os.stat(os.path.join(str(self.directory), REDIRECTS)).st_mtime
        except OSError:
            return None
        if mtime != self._redirects[0]:
            self._redirects = (mtime, read_redirects(str(self.directory)))
        target = self._redirects[1].get(path)
        return target if target and target.startswith("/") and not target.startswith("//") else None

    async def get_response(self, path: str, scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            target = self.redirect_for(scope["path"]) if exc.status_code == 404 else None
            if target is None:
                raise
            return RedirectResponse(target, status_code=301)


def create_app(nl, *, subscribe_limiter: RateLimiter | None = None,
               confirmation_throttle: ConfirmationThrottle | None = None) -> Starlette:
    """The application for the opened newsletter ``nl`` (settings and engine are taken from it)."""
    settings = nl.settings

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error_page(settings, request, exc.status_code, headers=getattr(exc, "headers", None))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("error answering %s %s: %s: %s", escape_controls(request.method), mask(request.url.path),
                  type(exc).__name__, escape_controls(str(exc))[:500])
        return error_page(settings, request, 500)

    routes = [
        Route("/subscribe", people.subscribe_form, methods=["GET"]),
        Route("/subscribe", people.subscribe_post, methods=["POST"]),
        Route("/confirm/{token}", people.confirm_page, methods=["GET"]),
        Route("/confirm/{token}", people.confirm_post, methods=["POST"]),
        Route("/unsubscribe/{token}", people.unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", people.unsubscribe_post, methods=["POST"]),
        Route("/collect/new", collect.collect_form, methods=["GET", "POST"]),
        Route("/collect", collect.collect_post, methods=["POST"]),
        Route("/preview/{draft}", preview.preview, methods=["GET"]),
        Route("/preview/{draft}/email", preview.preview, methods=["GET"]),
        Route("/webhooks/{provider}", webhooks.receive, methods=webhooks.METHODS),
        *desk.routes(),
        Route("/r/{issue:int}/{index:int}", clicks.follow, methods=["GET", "HEAD"]),
        Mount("/", app=SiteFiles(directory=settings.site_dir, html=True, check_dir=False), name="site"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.nl = nl
    app.state.subscribe_limiter = subscribe_limiter or RateLimiter(settings.subscribe_rate_limit)
    app.state.sns_certs = webhooks.ses.CertCache()
    app.state.confirmation_throttle = confirmation_throttle or ConfirmationThrottle(settings.confirmation_mails_per_hour)
    app.add_middleware(AccessLog)
    return app
