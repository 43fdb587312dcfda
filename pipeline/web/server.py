"""Running the application under uvicorn (``linkletter serve``, and ``linkletter run`` through
scheduler.py): ``uvicorn_config`` is the one place that says how.

What the server withstands on its own (see the README, "On a server"):

- at most ``MAX_CONNECTIONS`` open connections (fewer when the file limit is low), and
  ``MAX_PER_CLIENT`` from one address (trusted proxies excepted); more are closed at once, so
  half-open connections cannot use up the process's file descriptors;
- ``HEADER_TIMEOUT`` seconds for a request's headers to arrive (slowloris), ``KEEP_ALIVE``
  seconds of idle keep-alive, ``h11`` request heads of at most ``MAX_HEAD`` bytes;
- no more requests in progress than connections allowed (uvicorn answers 503 beyond), bodies
  bounded in size and time by ``pipeline.web.body``;
- repeated identical log lines (an ``accept()`` failing over and over) are written at most
  ``LogDedup.burst`` times a minute.
"""

from __future__ import annotations

import logging
import threading
import time

HEADER_TIMEOUT = 10.0
KEEP_ALIVE = 5
MAX_CONNECTIONS = 500
MAX_PER_CLIENT = 50
MAX_HEAD = 16 * 1024
_NOISY_LOGGERS = ("asyncio", "uvicorn.error", "linkletter.web")


def ensure_site(nl) -> bool:
    """Build the static site into ``settings.site_dir`` if it is not there yet. True if built."""
    if (nl.settings.site_dir / "index.html").is_file():
        return False
    from pipeline.render.site import build_site

    build_site(nl)
    return True


class LogDedup(logging.Filter):
    """Lets an identical line (same logger, level and text) through ``burst`` times per
    ``window`` seconds; the first one after a quiet spell says how many were left out."""

    def __init__(self, burst: int = 5, window: float = 60.0, clock=time.monotonic, max_keys: int = 1000):
        super().__init__()
        self.burst, self.window, self.clock, self.max_keys = burst, window, clock, max_keys
        self._seen: dict[tuple, list] = {}  # key -> [window start, passed, suppressed]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg)[:200], str(record.args)[:200])
        now = self.clock()
        with self._lock:
            entry = self._seen.get(key)
            if entry is None or now - entry[0] >= self.window:
                suppressed = entry[2] if entry else 0
                if len(self._seen) >= self.max_keys:
                    self._seen.clear()
                self._seen[key] = [now, 1, 0]
                if suppressed:
                    record.msg = f"{record.msg} [{suppressed} identical lines left out]"
                return True
            if entry[1] < self.burst:
                entry[1] += 1
                return True
            entry[2] += 1
            return False


def install_log_dedup() -> None:
    """Put one LogDedup on the loggers that a flood of connections makes noisy (idempotent)."""
    for name in _NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, LogDedup) for f in logger.filters):
            logger.addFilter(LogDedup())


def _connection_cap(limit: int) -> int:
    """``limit``, but well below the soft file-descriptor limit (database, logs, mail need some)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return limit
    return limit if soft == resource.RLIM_INFINITY else min(limit, max(8, soft - 100))


def uvicorn_config(app, host: str, port: int, *, header_timeout: float = HEADER_TIMEOUT,
                   max_connections: int = MAX_CONNECTIONS, max_per_client: int = MAX_PER_CLIENT,
                   **extra):
    """The uvicorn.Config both ``serve`` and scheduler.py run. uvicorn's own access log stays
    off: it would print the tokens in confirm and unsubscribe paths; ``pipeline.web.access_log``
    writes masked lines instead. ``extra`` goes to uvicorn.Config (log_level, ...)."""
    import uvicorn

    from pipeline.web.protocol import guarded_protocol

    install_log_dedup()
    cap = _connection_cap(max_connections)
    # uvicorn's limit counts connections too (and answers 503 at the limit): one above the cap
    options = dict(access_log=False, server_header=False, timeout_keep_alive=KEEP_ALIVE,
                   limit_concurrency=cap + 1, h11_max_incomplete_event_size=MAX_HEAD)
    options.update(extra)
    protocol = guarded_protocol(header_timeout=header_timeout, max_connections=cap, max_per_client=max_per_client)
    return uvicorn.Config(app, host=host, port=port, http=protocol, **options)


def run_server(config, on_exit=None) -> None:
    """Run uvicorn with ``config`` until SIGINT/SIGTERM: the one place the server starts
    (``serve`` and the main job). ``on_exit`` is called first when a signal arrives (the main
    job stops its work there); then the process returns normally instead of re-raising."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            if on_exit is not None:
                on_exit()
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    Server(config).run()


def serve(nl, host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted."""
    from pipeline.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if ensure_site(nl):
        logging.getLogger("linkletter.web").info("built the site into %s", nl.settings.site_dir)
    config = uvicorn_config(create_app(nl), host or nl.settings.host,
                            port if port is not None else nl.settings.port, log_level="info")
    run_server(config)
