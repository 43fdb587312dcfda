"""The author's desk at ``/desk``: inbox, reading view, draft previews, sends, numbers.

A thin layer over the library the CLI uses (``pipeline.collect``, ``pipeline.draft``,
``pipeline.check``, ``pipeline.send``); who may open it is :mod:`pipeline.web.desk.auth`.
"""

from __future__ import annotations


def routes() -> list:
    """The desk's routes (imported here, so ``linkletter desk login`` loads no web framework)."""
    from starlette.routing import Route

    from pipeline.web.desk import draft, inbox, login, reading, sending

    get, post = ["GET"], ["POST"]
    return [
        Route("/desk", inbox.inbox, methods=get),
        Route("/desk/pick", inbox.pick, methods=post),
        Route("/desk/unpick", inbox.unpick, methods=post),
        Route("/desk/dismiss", inbox.dismiss, methods=post),
        Route("/desk/undismiss", inbox.undismiss, methods=post),
        Route("/desk/link/{link_id}", reading.reading, methods=get),
        Route("/desk/link/{link_id}/quote", reading.save_quote, methods=post),
        Route("/desk/link/{link_id}/note", reading.link_note, methods=post),
        Route("/desk/link/{link_id}/order", reading.reorder, methods=post),
        Route("/desk/quote/{quote_id}/note", reading.quote_note, methods=post),
        Route("/desk/quote/{quote_id}/remove", reading.remove_quote, methods=post),
        Route("/desk/draft", draft.draft_page, methods=get),
        Route("/desk/draft/assemble", draft.assemble_now, methods=post),
        Route("/desk/draft/{name}/page", draft.preview, methods=get),
        Route("/desk/draft/{name}/email", draft.preview, methods=get),
        Route("/desk/draft/{name}/findings", draft.findings, methods=get),
        Route("/desk/draft/{name}/events", draft.events, methods=get),
        Route("/desk/draft/{name}/test", draft.send_test, methods=post),
        Route("/desk/send", sending.send_page, methods=get),
        Route("/desk/send/progress", sending.send_progress, methods=get),
        Route("/desk/send/start", sending.send_now, methods=post),
        Route("/desk/numbers", login.numbers, methods=get),
        Route("/desk/login/{token}", login.login_page, methods=get),
        Route("/desk/login/{token}", login.login_post, methods=post),
        Route("/desk/logout", login.logout, methods=post),
    ]
