"""``/preview/{draft}`` (the web page) and ``/preview/{draft}/email`` (the email's HTML),
rendered live from the draft file for the author. Only from this machine (loopback), or
with the collect token (``?token=`` or the X-Linkletter-Token header)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from pipeline.errors import DraftError, LinkletterError
from pipeline.tokens import collect_token, tokens_equal
from pipeline.web.collect import TOKEN_HEADER
from pipeline.web.pages import error_page


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(request: Request) -> bool:
    # Behind a reverse proxy on the same machine, uvicorn puts the forwarded client address
    # here (trusted proxies only), so remote readers are not "loopback".
    if is_loopback(request.client.host if request.client else None):
        return True
    token = request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or ""
    return bool(token) and tokens_equal(token, collect_token(request.app.state.nl.settings))


class NoDraft(LinkletterError):
    pass


def draft_path(drafts_dir: Path, ref: str) -> Path:
    """An issue number or a file name in drafts/ (with or without .md); never a path elsewhere."""
    from pipeline.draft.format import find_draft

    if ref.isdigit():
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
    if not allowed(request):
        return error_page(nl.settings, request, 403)
    what = "email" if request.url.path.endswith("/email") else "page"
    try:
        html = await run_in_threadpool(_render, nl, request.path_params["draft"], what)
    except NoDraft:
        return error_page(nl.settings, request, 404)
    except LinkletterError as e:  # the author's own draft: show what is wrong with it
        return PlainTextResponse(str(e), status_code=422)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
