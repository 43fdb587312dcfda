"""Running the application under uvicorn (``linkletter serve``)."""

from __future__ import annotations

import logging


def ensure_site(nl) -> bool:
    """Build the static site into ``settings.site_dir`` if it is not there yet. True if built."""
    if (nl.settings.site_dir / "index.html").is_file():
        return False
    from pipeline.render.site import build_site

    build_site(nl)
    return True


def uvicorn_config(app, host: str, port: int, **extra):
    """The uvicorn.Config both ``serve`` and the main job run. uvicorn's own access log stays
    off: it would print the tokens in confirm and unsubscribe paths; ``pipeline.web.access_log``
    writes masked lines instead. ``extra`` goes to uvicorn.Config (log_level, ...)."""
    import uvicorn

    options = dict(access_log=False, server_header=False)
    options.update(extra)
    return uvicorn.Config(app, host=host, port=port, **options)


def serve(nl, host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted. uvicorn's own access log stays off: it would print the tokens
    in confirm and unsubscribe paths; ``pipeline.web.access_log`` writes masked lines instead."""
    from pipeline.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if ensure_site(nl):
        logging.getLogger("linkletter.web").info("built the site into %s", nl.settings.site_dir)
    import uvicorn

    uvicorn.Server(uvicorn_config(create_app(nl), host or nl.settings.host,
                                  port if port is not None else nl.settings.port, log_level="info")).run()
