"""One log line per request: method, path, status, duration (no client address: it is
personal data and the line is for debugging, not tracking). Tokens never reach the log:
the secret parts of paths (/confirm/<token>, /unsubscribe/<token>) and of the query string
are cut to a few characters. Control characters (a decoded ``%0a`` in the path) are escaped, so
a request cannot forge log lines."""

from __future__ import annotations

import logging
import re
import time

log = logging.getLogger("linkletter.web")

_PATH_TOKEN = re.compile(r"^(/(?:confirm|unsubscribe)/)([^/]+)")
_QUERY_TOKEN = re.compile(r"((?:^|&)token=)([^&]*)", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape_controls(text: str) -> str:
    """Each control character as ``\\xNN`` (a newline as ``\\x0a``): one request stays one log line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def mask(path: str, query: str = "") -> str:
    """``/confirm/MTIz.abc...`` → ``/confirm/MTIz…``; ``?token=secret`` → ``?token=…``."""
    path = _PATH_TOKEN.sub(lambda m: m.group(1) + m.group(2)[:4] + "…", path)
    if query and path.startswith("/r/"):  # a counted link: its target and signature stay out
        path += "?…"
    elif query:
        path += "?" + _QUERY_TOKEN.sub(lambda m: m.group(1) + "…", query)
    return escape_controls(path)


class AccessLog:
    """ASGI middleware writing the line when the response has finished (or failed)."""

    def __init__(self, app, logger: logging.Logger = log):
        self.app, self.log = app, logger

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500
        logged = False

        def write() -> None:
            nonlocal logged
            logged = True
            path = mask(scope.get("path", ""), scope.get("query_string", b"").decode("latin-1"))
            self.log.info("%s %s %d %.1fms", escape_controls(scope["method"]), path, status, (time.perf_counter() - start) * 1000)

        async def send_wrapper(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                write()  # before the last bytes go out, so the line exists when the client has its answer
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if not logged:
                write()
