"""The mailbox poll: what came back, read from an IMAP folder (``inbound_imap_url``) by the main
job or ``linkletter inbound --imap``, each message through :func:`receive_message` (the same
path as the MTA pipe), then moved to ``inbound_imap_processed_folder``, only after it was
recorded. A connection that drops in the middle leaves the rest where it was: the next poll
reads it again, and the events' keys make a message read twice count once.

IMAPS (TLS from the start, certificate checked) to any host; plain ``imap://`` only to
loopback (a local Dovecot). The password comes from ``LINKLETTER_INBOUND_IMAP_PASSWORD``.
Every read is bounded: a socket timeout, at most ``MAX_PER_POLL`` messages a poll, and at most
``inbound_max_bytes`` of a message fetched (a larger one is fetched cut and kept).
"""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from pipeline.errors import LinkletterError
from pipeline.hosts import is_loopback

MAX_PER_POLL = 500
TIMEOUT = 60.0


class ImapError(LinkletterError):
    """The mailbox could not be read (connection, login, folder); nothing was lost."""


@dataclass
class PollReport:
    read: int = 0  # messages fetched and recorded (or kept)
    moved: int = 0
    seen_before: int = 0  # recorded by an earlier, interrupted poll
    error: str = ""
    kinds: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items()))
        text = f"IMAP: {self.read} read, {self.moved} moved" + (f" ({kinds})" if kinds else "")
        if self.seen_before:
            text += f", {self.seen_before} seen before"
        return text + (f"; stopped: {self.error}" if self.error else "")


def _connect(settings) -> imaplib.IMAP4:
    parts = urlsplit(settings.inbound_imap_url)
    host, user = parts.hostname or "", unquote(parts.username or "")
    if parts.scheme == "imap" and not is_loopback(host):
        raise ImapError("inbound_imap_url: plain imap:// is only allowed to loopback; use imaps://")
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    try:
        if parts.scheme == "imaps":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT)
        else:
            conn = imaplib.IMAP4(host, port, timeout=TIMEOUT)
    except (OSError, imaplib.IMAP4.error) as e:
        raise ImapError(f"cannot reach the IMAP server {host}:{port}: {e}") from None
    try:
        conn.login(user, settings.inbound_imap_password)
    except imaplib.IMAP4.error:
        _close(conn)
        raise ImapError(f"the IMAP server {host}:{port} refused the login of {user!r} "
                        "(password: LINKLETTER_INBOUND_IMAP_PASSWORD)") from None
    return conn


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(result: tuple, what: str) -> list:
    typ, data = result
    if typ != "OK":
        raise ImapError(f"IMAP {what} failed: {data!r:.200}")
    return data


def poll_imap(nl) -> PollReport:
    """Read the folder once (see the module docstring). Raises ImapError when the mailbox can't
    be opened; a connection lost during the poll ends it with ``report.error`` set."""
    settings = nl.settings
    if not settings.inbound_imap_url:
        raise ImapError("inbound_imap_url is not set")
    report = PollReport()
    conn = _connect(settings)
    try:
        _poll(nl, conn, report)
    except (OSError, imaplib.IMAP4.abort) as e:
        report.error = f"the connection to the IMAP server broke: {e or type(e).__name__}"
    finally:
        _close(conn)
    return report


def _poll(nl, conn: imaplib.IMAP4, report: PollReport) -> None:
    from pipeline.inbound.receive import receive_message

    settings = nl.settings
    processed = settings.inbound_imap_processed_folder.replace("/", _delimiter(conn))
    conn.create(_quote(processed))  # NO when it exists already: fine
    _ok(conn.select(_quote(settings.inbound_imap_folder)), f"SELECT {settings.inbound_imap_folder}")
    uids = _ok(conn.uid("SEARCH", None, "ALL"), "SEARCH")[0].split()[:MAX_PER_POLL]
    capabilities = b" ".join(_ok(conn.capability(), "CAPABILITY")).upper().split()  # after login: the full list
    can_move = b"MOVE" in capabilities
    limit = max(settings.inbound_max_bytes, 1024)
    for uid in uids:
        uid = uid.decode("ascii")
        raw = _fetch(conn, uid, limit)
        if raw is None:  # gone meanwhile (another reader moved it)
            continue
        result = receive_message(nl, raw, source="imap")
        report.read += 1
        report.seen_before += result.duplicate
        report.kinds[result.kind] = report.kinds.get(result.kind, 0) + 1
        if can_move:
            _ok(conn.uid("MOVE", uid, _quote(processed)), "MOVE")
        else:
            _ok(conn.uid("COPY", uid, _quote(processed)), "COPY")
            _ok(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
            conn.expunge()
        report.moved += 1


def _delimiter(conn: imaplib.IMAP4) -> str:
    """The server's hierarchy delimiter ('/' in the setting is written with it; Dovecot's
    Maildir uses '.'), from ``LIST "" ""`` (RFC 3501 6.3.8)."""
    typ, data = conn.list('""', '""')
    m = re.search(rb'\) "(.)"', data[0] or b"") if typ == "OK" and data and data[0] else None
    return m.group(1).decode("ascii") if m else "/"


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _fetch(conn: imaplib.IMAP4, uid: str, limit: int) -> bytes | None:
    """The message (at most ``limit`` + 1 bytes, so a cut one is recognized as too large), or None."""
    data = _ok(conn.uid("FETCH", uid, "(RFC822.SIZE)"), "FETCH")
    m = _SIZE.search(data[0] or b"") if data and data[0] else None
    if m is None:
        return None
    part = "BODY.PEEK[]" if int(m.group(1)) <= limit else f"BODY.PEEK[]<0.{limit + 1}>"
    data = _ok(conn.uid("FETCH", uid, f"({part})"), "FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None
