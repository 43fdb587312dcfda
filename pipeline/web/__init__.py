"""The web front: subscribe / confirm / unsubscribe pages, the bookmarklet endpoint, previews,
and the built site with its feeds. ``create_app(nl)`` is the Starlette application;
``serve(nl, host, port)`` runs it under uvicorn."""

from pipeline.web.app import create_app
from pipeline.web.server import serve

__all__ = ["create_app", "serve"]
