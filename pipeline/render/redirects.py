"""Old addresses keep working: every published issue that was imported with its old address
(``imported_from``) gets a redirect from that address's path to its page ``issues/N.html``.

``build`` writes the map for the usual static hosts, and ``serve`` answers from the same file:

- ``_redirects`` (Netlify, Cloudflare Pages, and others that read it): ``/old/path /issues/N.html 301``
- ``redirects.nginx``: an nginx ``map`` to include in the ``http`` block, used in the server
  block as ``if ($linkletter_redirect) { return 301 $linkletter_redirect; }``.

Only a path is redirected (the old host may be another service's, e.g. substack.com; where the
author's domain moved with them, the path is what old links still carry)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

REDIRECTS = "_redirects"
NGINX_MAP = "redirects.nginx"
MAX_MAP_BYTES = 5_000_000
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")  # no spaces, quotes or braces: safe in both files


def old_path(imported_from: str | None) -> str | None:
    """The path of an old address, when it is one (an export id such as 'substack:123' is not)."""
    if not imported_from:
        return None
    value = imported_from.strip()
    if value.startswith(("http://", "https://")):
        try:
            parts = urlsplit(value)
        except ValueError:
            return None
        value = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not value.startswith("/") or value == "/" or not _SAFE_PATH.match(value.split("?", 1)[0]):
        return None
    return value.split("?", 1)[0]


def redirect_pairs(drafts, base_url: str) -> list[tuple[str, str]]:
    """(old path, new path) for the published drafts, in issue order; a path claimed twice
    goes to the lower issue number."""
    from pipeline.render.issue import issue_path

    prefix = urlsplit(base_url).path.rstrip("/")
    pairs: dict[str, str] = {}
    for d in sorted(drafts, key=lambda d: d.issue):
        old = old_path(getattr(d, "imported_from", None))
        new = f"{prefix}/{issue_path(d.issue)}"
        if old and old != new:
            pairs.setdefault(old, new)
    return sorted(pairs.items())


def redirects_file(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{old} {new} 301\n" for old, new in pairs)


def nginx_map(pairs: list[tuple[str, str]]) -> str:
    lines = ["# Old addresses of imported issues (written by linkletter build). Include in the http block;",
             "# in the server block: if ($linkletter_redirect) { return 301 $linkletter_redirect; }",
             "map $uri $linkletter_redirect {", "    default \"\";"]
    lines += [f"    {old} {new};" for old, new in pairs]
    return "\n".join(lines + ["}", ""])


def read_redirects(site_dir: str | os.PathLike) -> dict[str, str]:
    """The built ``_redirects`` as old path -> new path (what ``serve`` answers with)."""
    path = Path(site_dir) / REDIRECTS
    try:
        if path.stat().st_size > MAX_MAP_BYTES:
            return {}
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("/") and parts[1].startswith("/"):
            out.setdefault(parts[0], parts[1])
    return out
