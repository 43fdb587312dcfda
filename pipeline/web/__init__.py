"""The web front: subscribe / confirm / unsubscribe pages, the bookmarklet endpoint, previews,
and the built site with its feeds. ``create_app(nl)`` is the Starlette application;
``serve(nl, host, port)`` runs it under uvicorn. Both are imported on first use (PEP 562), so
a module here importing ``pipeline.web.strings`` does not pull in the whole application."""

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    if name == "create_app":
        from pipeline.web.app import create_app

        return create_app
    if name == "serve":
        from pipeline.web.server import serve

        return serve
    raise AttributeError(f"module 'pipeline.web' has no attribute {name!r}")
