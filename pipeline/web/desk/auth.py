"""Who may open the desk: the author on this machine, or the author elsewhere with a session.

- From this machine (a loopback client and a Host naming this server: ``guard.from_this_machine``)
  the desk opens directly.
- From elsewhere: ``linkletter desk login`` makes a one-time login link (``/desk/login/<token>``,
  valid ``LOGIN_AGE`` seconds). Its GET page only shows a button (a mail scanner following the
  link consumes nothing); the POST consumes the token and sets a session cookie: random,
  HttpOnly, SameSite=Strict (Secure over https), valid ``SESSION_AGE`` seconds, revocable
  (``linkletter desk logout --all``).
- Login tokens and sessions are kept only as SHA-256 hashes with their expiry, in
  ``.desk-sessions.json`` in the newsletter folder (owner-only, 0600; written atomically under
  an exclusive lock, so the CLI and the server can both write it).
- CSRF: every POST on the desk carries ``csrf``, an HMAC of the secret key over the session
  (or "loopback") and the form's path; and a request another site sends is refused on top.

Anyone else gets a 404: the desk does not say it is there.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pipeline.errors import LinkletterError

STORE = ".desk-sessions.json"
COOKIE = "linkletter_desk"
LOGIN_AGE = 15 * 60
SESSION_AGE = 14 * 24 * 3600
MAX_ENTRIES = 200  # a flood of login links cannot grow the file without bound


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _path(settings) -> Path:
    return Path(settings.root) / STORE


@contextmanager
def _locked(settings) -> Iterator[dict]:
    """The store's content, to read and change; written back (atomically, 0600) on exit."""
    path = _path(settings)
    lock_fd = os.open(path.with_name(STORE + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        data = {k: {h: float(v) for h, v in dict(data.get(k) or {}).items()} for k in ("logins", "sessions")}
        before = json.dumps(data, sort_keys=True)
        yield data
        _prune(data)
        if json.dumps(data, sort_keys=True) != before or not path.exists():
            tmp = path.with_name(f".{STORE}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, path)
    finally:
        os.close(lock_fd)


def _prune(data: dict) -> None:
    now = time.time()
    for kind in ("logins", "sessions"):
        live = sorted(((h, exp) for h, exp in data[kind].items() if exp > now), key=lambda e: e[1])
        data[kind] = dict(live[-MAX_ENTRIES:])


def create_login(settings, *, now: float | None = None) -> str:
    """A new one-time login token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    with _locked(settings) as data:
        data["logins"][_hash(token)] = (time.time() if now is None else now) + LOGIN_AGE
    return token


def login_url(settings, token: str) -> str:
    return settings.base_url.rstrip("/") + "/desk/login/" + token


def login_valid(settings, token: str) -> bool:
    with _locked(settings) as data:
        return data["logins"].get(_hash(token), 0) > time.time()


def consume_login(settings, token: str) -> str:
    """Use up a login token; returns a new session id. An unknown, used or expired token is an error."""
    with _locked(settings) as data:
        expires = data["logins"].pop(_hash(token), 0)
        if expires <= time.time():
            raise LinkletterError("this login link is not valid (used, expired, or never made)")
        session = secrets.token_urlsafe(32)
        data["sessions"][_hash(session)] = time.time() + SESSION_AGE
    return session


def session_valid(settings, session: str | None) -> bool:
    if not session or len(session) > 200:
        return False
    with _locked(settings) as data:
        return data["sessions"].get(_hash(session), 0) > time.time()


def end_session(settings, session: str) -> None:
    with _locked(settings) as data:
        data["sessions"].pop(_hash(session), None)


def logout_all(settings) -> int:
    """End every session and unused login link; returns how many sessions there were."""
    with _locked(settings) as data:
        count = len(data["sessions"])
        data["sessions"].clear()
        data["logins"].clear()
    return count


def csrf_token(settings, session: str | None, path: str) -> str:
    """The token a desk form posting to ``path`` carries (bound to the session)."""
    who = _hash(session) if session else "loopback"
    mac = hmac.new(settings.secret_key.encode(), f"desk-csrf:{who}:{path}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def csrf_valid(settings, session: str | None, path: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(settings, session, path).encode(),
                                               given.encode("utf-8", "replace"))
