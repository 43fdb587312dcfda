"""Where mail goes: an SMTP server given by ``smtp_url``, or, without one, the file outbox
(one ``.eml`` file per message in ``outbox/``, the embedded default).

``send_message(settings, msg)`` sends one message (system mails: confirmations, tests).
The campaign engine uses its own pooled connections for issues.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import ssl
import tempfile
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.errors import LinkletterError


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
        raise LinkletterError(f"smtp_url must start with smtp://, smtps:// or smtp+starttls://, got {scheme or url!r}")
    if not parts.hostname:
        raise LinkletterError("smtp_url has no host")
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    tls = {"smtps": "ssl", "smtp+starttls": "starttls"}.get(scheme, "auto")
    if query.get("tls") in ("none", "off", "false"):
        tls = "none"
    port = parts.port or (465 if scheme == "smtps" else 587 if scheme == "smtp+starttls" else 25)
    return SmtpTarget(host=parts.hostname, port=port, tls=tls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None)


# Loopback hosts may get a password in plain text without ?tls=none: the password never leaves the
# machine (a local relay, the tests' servers). A switch, so tests can play a remote server.
PLAIN_LOGIN_ON_LOOPBACK = True


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost (by name: no DNS lookup)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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


def envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    sender = getaddresses([msg["From"]])[0][1]
    rcpts = [a for _n, a in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", []) + msg.get_all("Bcc", []))]
    return sender, rcpts


def write_outbox(outbox: Path, data: bytes, name: str | None = None) -> Path:
    """Write one message to the outbox folder, atomically (a reader never sees half a file)."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = name or f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=outbox)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    final = outbox / name
    os.replace(tmp, final)
    return final


def send_message(settings, msg: EmailMessage) -> str:
    """Send one message through the configured transport. Returns where it went."""
    # SMTP lines end in CRLF; smtplib passes bytes through as they are, and a server reads a
    # message with bare LFs as one overlong line.
    data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    if not settings.smtp_url:
        return str(write_outbox(settings.outbox_dir, data))
    target = parse_smtp_url(settings.smtp_url)
    sender, rcpts = envelope(msg)
    try:
        conn = smtp_connect(target)
        try:
            conn.sendmail(sender, rcpts, data)
        finally:
            try:
                conn.quit()
            except smtplib.SMTPException:
                pass
    except smtplib.SMTPResponseException as e:
        raise TransportError(f"the mail server refused the message: {e.smtp_code} {e.smtp_error!r}",
                             permanent=500 <= e.smtp_code < 600) from None
    except smtplib.SMTPRecipientsRefused as e:
        code = min(c for c, _m in e.recipients.values())
        raise TransportError(f"the mail server refused the recipient: {code}", permanent=500 <= code < 600) from None
    except (OSError, smtplib.SMTPException) as e:
        raise TransportError(f"cannot reach the mail server {target.host}:{target.port}: {e}") from None
    return f"smtp://{target.host}:{target.port}"
