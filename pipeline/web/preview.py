"""``/preview/{draft}`` (the web page) and ``/preview/{draft}/email`` (the email's HTML),
rendered live from the draft file for the author. Only from this machine (a loopback client,
and a Host header naming this server, so a DNS-rebinding page cannot read drafts); no token
opens them (from elsewhere: an SSH tunnel, ``ssh -L 8080:127.0.0.1:8080``)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from pipeline.errors import DraftError, LinkletterError
from pipeline.web.guard import from_this_machine
from pipeline.web.pages import error_page


class NoDraft(LinkletterError):
    pass


def draft_path(drafts_dir: Path, ref: str) -> Path:
    """An issue number or a file name in drafts/ (with or without .md); never a path elsewhere."""
    from pipeline.draft.format import find_draft

    if re.fullmatch(r"[0-9]{1,9}", ref):  # ASCII digits only: '²' is a digit to str.isdigit()
        try:
            return find_draft(drafts_dir, ref)
        except DraftError:
            raise
        except LinkletterError:
            raise NoDraft(f"no draft {ref!r}") from None
    name = ref if ref.endswith(".md") else ref + ".md"
    if not re.fullmatch(r"[\w][\w.-]*\.md", name) or not (drafts_dir / name).is_file():
        raise NoDraft(f"no draft {ref!r}")
    return drafts_dir / name


def _render(nl, ref: str, what: str) -> str:
    from pipeline.draft.format import read_draft

    draft = read_draft(draft_path(nl.settings.drafts_dir, ref))
    if what == "email":
        from pipeline.render.email import render_issue

        return render_issue(nl, draft).html
    from pipeline.render.site import render_issue_page

    return render_issue_page(nl, draft)


async def preview(request: Request) -> Response:
    nl = request.app.state.nl
    if not from_this_machine(request):
        return error_page(nl.settings, request, 403)
    what = "email" if request.url.path.endswith("/email") else "page"
    try:
        html = await run_in_threadpool(_render, nl, request.path_params["draft"], what)
    except NoDraft:
        return error_page(nl.settings, request, 404)
    except LinkletterError as e:  # the author's own draft: show what is wrong with it
        return PlainTextResponse(str(e), status_code=422)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
