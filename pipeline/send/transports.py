"""Where mail goes: an SMTP server given by ``smtp_url``, or, without one, the file outbox
(one ``.eml`` file per message in ``outbox/``, the embedded default).

The SMTP side is used by the campaign's connections (:mod:`pipeline.send.pool`) and, for single
messages, by :func:`pipeline.send.single.send_message`, which uses the same session code.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.hosts import is_loopback
from pipeline.errors import LinkletterError
from pipeline.files import private_dir


class TransportError(LinkletterError):
    """The mail could not be handed over. ``permanent`` is True for a 5xx reply."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: str  # 'none' | 'starttls' | 'ssl' | 'auto' (STARTTLS when the server offers it)
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # the password never reaches a log
        return f"SmtpTarget({self.host}:{self.port}, tls={self.tls}, user={self.username!r})"


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://[user:pass@]host[:port] (STARTTLS when offered; ?tls=none to never try),
    smtp+starttls://... (STARTTLS required), smtps://... (TLS from the start). A password goes
    only over TLS, to loopback, or with an explicit ?tls=none (see :func:`plain_login_refusal`)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise LinkletterError(f"smtp_url must start with smtp://, smtps:// or smtp+starttls://, got {scheme[:20]!r}")  # never the URL: it may hold the password
    if not parts.hostname:
        raise LinkletterError("smtp_url has no host")
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    tls = {"smtps": "ssl", "smtp+starttls": "starttls"}.get(scheme, "auto")
    if query.get("tls") in ("none", "off", "false"):
        tls = "none"
    try:
        given = parts.port
    except ValueError:  # Python's message quotes the text after the last ':', maybe the password
        raise LinkletterError(SMTP_URL_PORT_PROBLEM) from None
    port = given or (465 if scheme == "smtps" else 587 if scheme == "smtp+starttls" else 25)
    return SmtpTarget(host=parts.hostname, port=port, tls=tls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None)


SMTP_URL_PORT_PROBLEM = ("smtp_url: the port is not a number between 1 and 65535; if the user name or password "
                         "holds one of : / ? # @ %, write it percent-encoded (# as %23, @ as %40, / as %2F)")


# Loopback hosts may get a password in plain text without ?tls=none: the password never leaves the
# machine (a local relay, the tests' servers). A switch, so tests can play a remote server.
PLAIN_LOGIN_ON_LOOPBACK = True


def plain_login_refusal(target: SmtpTarget, encrypted: bool) -> str | None:
    """Why logging in on this connection would expose the password, or None when it may log in.

    A login over a connection without TLS sends the password readable by anyone on the way.
    It is allowed only when asked for explicitly (?tls=none) or on loopback."""
    if not target.username or encrypted or target.tls == "none":
        return None
    if PLAIN_LOGIN_ON_LOOPBACK and is_loopback(target.host):
        return None
    return (f"the mail server {target.host}:{target.port} offers no STARTTLS, so the password would travel "
            "in plain text; use smtps:// (or smtp+starttls://), or add ?tls=none to smtp_url to allow "
            "plain text deliberately")


def smtp_connect(target: SmtpTarget, timeout: float = 30.0) -> smtplib.SMTP:
    """An open, authenticated SMTP connection. Refuses (``TransportError``, permanent) to send a
    password over a connection without TLS, see :func:`plain_login_refusal`."""
    ctx = ssl.create_default_context()
    encrypted = target.tls == "ssl"
    if encrypted:
        conn: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=ctx)
    else:
        conn = smtplib.SMTP(target.host, target.port, timeout=timeout)
    conn.ehlo_or_helo_if_needed()
    if target.tls == "starttls" or (target.tls == "auto" and conn.has_extn("starttls")):
        conn.starttls(context=ctx)
        conn.ehlo()
        encrypted = True
    refusal = plain_login_refusal(target, encrypted)
    if refusal:
        conn.close()  # no QUIT needed: nothing was sent yet, and certainly no password
        raise TransportError(refusal, permanent=True)
    if target.username:
        conn.login(target.username, target.password or "")
    return conn


def write_outbox(outbox: Path, data: bytes, name: str | None = None) -> Path:
    """Write one message to the outbox folder, atomically (a reader never sees half a file)."""
    private_dir(outbox)
    name = name or f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=outbox)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    final = outbox / name
    os.replace(tmp, final)
    return final
