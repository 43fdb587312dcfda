"""The author's bookmarklet and its token.

The bookmarklet holds no secret: it only hands the visited page's address, title and selected
text to ``/collect/new`` on the newsletter's own origin (a form post into a new tab), so
nothing the visited page does (wrapping ``fetch``, ``createElement``, reading its own URL) can
see a token. That page asks for the bookmarklet token in a password field, which the
browser's password manager keeps for the newsletter's origin, and posts to ``/collect``.

The bookmarklet token's only use is saving picks (it does not open previews). It is
``collect_token`` from the config when that is set; otherwise it is kept in
``.bookmarklet-token`` in the newsletter folder (owner-only), derived from the secret key until
``linkletter bookmarklet --rotate`` replaces it with a new random one.
"""

from __future__ import annotations

import json
import os
import secrets
from urllib.parse import quote

from pipeline.errors import LinkletterError

TOKEN_FILE = ".bookmarklet-token"
MAX_SELECTION = 20_000


def bookmarklet_token(settings) -> str:
    """The token that saves picks through ``POST /collect``."""
    from pipeline.tokens import collect_token

    if settings.collect_token:
        return settings.collect_token
    try:
        kept = (settings.root / TOKEN_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        kept = ""
    return kept or collect_token(settings)


def rotate_bookmarklet_token(settings) -> str:
    """Replace the bookmarklet token with a new random one (the old one stops working at once)."""
    if settings.collect_token:
        raise LinkletterError(f"collect_token is set in {settings.origin('collect_token')}: change it there "
                              f"(or remove it and rotate again)")
    token = secrets.token_urlsafe(24)
    path = settings.root / TOKEN_FILE
    tmp = path.with_name(f".{TOKEN_FILE}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token + "\n")
    os.replace(tmp, path)
    return token


def bookmarklet(server_url: str) -> str:
    """The ``javascript:`` URL to save as a bookmark: it posts the page's URL, title and selected
    text into a new tab on ``server_url``'s ``/collect/new``. It carries no token."""
    endpoint = json.dumps(server_url.rstrip("/") + "/collect/new")
    js = (
        "(()=>{const f=document.createElement('form');f.method='post';f.action=%s;f.target='_blank';"
        "f.acceptCharset='utf-8';for(const[k,v]of[['url',location.href],['title',document.title],"
        "['selection',String(getSelection()).trim().slice(0,%d)]]){const i=document.createElement('input');"
        "i.type='hidden';i.name=k;i.value=v;f.appendChild(i)}document.body.appendChild(f);f.submit();f.remove()})()"
    ) % (endpoint, MAX_SELECTION)
    return "javascript:" + quote(js, safe="(){}[]=>:;,.'!+*/?&|$-_~@#")
