"""The bookmarklet: ``POST /collect`` stores the page the author is reading as a pick, with
the selected passage as a quote that links back to it through a text fragment
(``URL#:~:text=start,end``). Guarded by the collect token; CORS only as far as the bookmarklet
needs it (any page may POST, because the token is the guard; no credentials are ever sent).
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pipeline.errors import LinkletterError
from pipeline.tokens import collect_token, tokens_equal
from pipeline.web import strings
from pipeline.web.pages import render_page

log = logging.getLogger("linkletter.web")

TOKEN_HEADER = "X-Linkletter-Token"
MAX_BODY = 256 * 1024
MAX_SELECTION = 20_000
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": f"Content-Type, {TOKEN_HEADER}",
    "Access-Control-Max-Age": "86400",
    "Vary": "Origin",
}
_FRAGMENT_WORDS = 4  # words at each end of a long passage


def _encode(text: str) -> str:
    # Text directives must percent-encode '&', ',' and '-' (the syntax's own characters);
    # quote(safe='') encodes everything but letters, digits and '_.~-', so '-' is added.
    return quote(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, selection: str) -> str:
    """``url`` with a text fragment that highlights ``selection``: the whole passage when it is
    short, else ``textStart,textEnd`` with its first and last words. An existing fragment is
    replaced."""
    base = url.split("#", 1)[0]
    words = selection.split()
    if not words:
        return url
    if len(words) <= 2 * _FRAGMENT_WORDS:
        directive = _encode(" ".join(words))
    else:
        directive = _encode(" ".join(words[:_FRAGMENT_WORDS])) + "," + _encode(" ".join(words[-_FRAGMENT_WORDS:]))
    return f"{base}#:~:text={directive}"


def bookmarklet(server_url: str, token: str) -> str:
    """The ``javascript:`` URL to save as a bookmark. It posts the page's URL, title and the
    selected text; when the page forbids the request (a strict Content-Security-Policy), it
    falls back to submitting a form into a new tab."""
    endpoint = json.dumps(server_url.rstrip("/") + "/collect")
    js = (
        "(()=>{const d=new URLSearchParams({token:%s,url:location.href,title:document.title,"
        "selection:String(getSelection()).trim()}),u=%s;"
        "fetch(u,{method:'POST',body:d}).then(r=>r.json().then(j=>alert(r.ok?j.message:'Linkletter: '+j.error)))"
        ".catch(()=>{const f=document.createElement('form');f.method='post';f.action=u;f.target='_blank';"
        "for(const[k,v]of d){const i=document.createElement('input');i.type='hidden';i.name=k;i.value=v;"
        "f.appendChild(i)}document.body.appendChild(f);f.submit();f.remove()})})()"
    ) % (json.dumps(token), endpoint)
    return "javascript:" + quote(js, safe="(){}[]=>:;,.'!+*/?&|$-_~@#")


async def collect_preflight(request: Request) -> Response:
    return Response(status_code=204, headers=CORS)


def _answer(request: Request, status: int, message: str, **extra) -> Response:
    settings = request.app.state.nl.settings
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:  # the form fallback in a new tab
        key = "error.403" if status == 403 else None
        resp = render_page(settings, request, "result.html", title_key=key + ".title" if key else "collect.saved",
                           status=status, body=message)
        resp.headers.update(CORS)
        return resp
    body = {"ok": status < 400, **({"message": message} if status < 400 else {"error": message}), **extra}
    return JSONResponse(body, status_code=status, headers=CORS)


async def collect_post(request: Request) -> Response:
    nl = request.app.state.nl
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return _answer(request, 413, "request too large")
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("application/json"):
            data = await request.json()
            data = data if isinstance(data, dict) else {}
        else:
            data = dict(await request.form())
    except (ValueError, UnicodeDecodeError):
        return _answer(request, 400, "the body is neither a form nor JSON")
    token = request.headers.get(TOKEN_HEADER) or str(data.get("token") or "")
    if not token or not tokens_equal(token, collect_token(nl.settings)):
        return _answer(request, 403, "wrong or missing token")
    url, title = str(data.get("url") or "").strip(), str(data.get("title") or "").strip()
    selection = re.sub(r"\s+", " ", str(data.get("selection") or "")).strip()[:MAX_SELECTION]
    if not re.match(r"^https?://", url, re.I) or len(url) > 4000:
        return _answer(request, 400, "url must be an http:// or https:// address")
    quotes = [(selection, text_fragment_url(url, selection))] if selection else []
    try:
        link_id = await run_in_threadpool(_add, nl, url, quotes, title or None, str(data.get("note") or "") or None)
    except LinkletterError as e:
        return _answer(request, 400, str(e))
    log.info("collect: link #%d%s", link_id, " with a quote" if quotes else "")
    return _answer(request, 200, strings.text(nl.settings.language, "collect.saved", title=nl.settings.title),
                   link_id=link_id)


def _add(nl, url, quotes, title, note) -> int:
    from pipeline.collect import add_link

    return add_link(nl, url, quotes=quotes, note=note, title=title, origin="bookmarklet", fetch=False)
