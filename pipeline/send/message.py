"""The issue's MIME message, built once per issue and personalized per subscriber by filling slots.

Building an ``EmailMessage`` costs milliseconds; a send of 100,000 mails can't afford that per
subscriber. So :func:`build_template` encodes the issue once: the headers with slots for ``To``,
``Date``, ``Message-ID`` and the ``List-Unsubscribe`` URL, and a multipart/alternative body whose
text and HTML parts are quoted-printable with the render stage's ``UNSUBSCRIBE_PLACEHOLDER`` kept
whole on a line of its own (soft line breaks around it). The template is stored on the issue row
when the send starts (``frozen_mime``), so a resumed send mails exactly what the first run froze.

:class:`MessageTemplate` splits the stored bytes at the slots once; :meth:`MessageTemplate.fill`
is then a ``bytes.join`` of the pieces with the subscriber's values (microseconds), and
:meth:`MessageTemplate.fill_stuffed` returns the same message already dot-stuffed for SMTP
``DATA`` (the stuffing was done once on the pieces, never per message).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from email import policy
from email.header import Header
from email.utils import formatdate, parseaddr

from pipeline.errors import LinkletterError

# Slots in the header block. They can't occur in real header values: we write every header.
SLOT_TO = b"@@LINKLETTER-TO@@"
SLOT_DATE = b"@@LINKLETTER-DATE@@"
SLOT_MSGID = b"@@LINKLETTER-MESSAGE-ID@@"
SLOT_UNSUB = b"@@LINKLETTER-UNSUBSCRIBE@@"
_HEADER_SLOTS = (SLOT_TO, SLOT_DATE, SLOT_MSGID, SLOT_UNSUB)
_SLOT_RE = re.compile(b"|".join(re.escape(s) for s in _HEADER_SLOTS))


def placeholder() -> str:
    from pipeline.render import UNSUBSCRIBE_PLACEHOLDER

    return UNSUBSCRIBE_PLACEHOLDER


class AddressError(LinkletterError):
    """A subscriber's address can't be put into a mail header as it is."""


_CTRL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDR = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9 !#$%&'*+/=?^_`{|}~.,;:@()\[\]-]*$")


def smtp_address(addr: str) -> str:
    """The address as it goes into ``RCPT TO`` and ``To``: ASCII, internationalized domains in
    their ASCII (IDNA) form. Anything that could break out of a header raises AddressError."""
    addr = addr.strip()
    local, _, domain = addr.rpartition("@")
    if not local or not domain:
        raise AddressError(f"not an email address: {addr!r}")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError(f"the domain of {addr!r} is not valid") from None
    out = f"{local}@{domain}"
    if not _ADDR.match(out):
        raise AddressError(f"{addr!r} can't be mailed without SMTPUTF8 or holds characters not allowed in an address")
    return out


def format_to(name: str, addr: str) -> bytes:
    """The ``To`` header value: the display name quoted or RFC 2047-encoded, never able to
    inject a header (line breaks and control characters become spaces)."""
    addr = smtp_address(addr)
    name = " ".join(_CTRL.sub(" ", name or "").split())
    if not name:
        return addr.encode("ascii")
    if _PLAIN_NAME.match(name):
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{addr}>'.encode("ascii")
    if name.isascii():  # only a quote or backslash needed escaping, handled above; be safe anyway
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{addr}>'.encode("ascii")
    encoded = Header(name, "utf-8", header_name="To").encode(linesep="\r\n")
    return f"{encoded} <{addr}>".encode("ascii")


def message_id(secret: str, issue: int, subscriber_id: int, domain: str) -> bytes:
    """``<issue-N.sub-ID.MAC@domain>``: the same for every attempt of one delivery, so a
    message that went twice is recognizable as one, and nobody can guess another's."""
    mac = hmac.new(secret.encode(), f"message-id:{issue}:{subscriber_id}".encode(), hashlib.sha256).digest()
    tag = base64.b32encode(mac[:5]).decode().lower()
    return f"<issue-{issue}.sub-{subscriber_id}.{tag}@{domain}>".encode("ascii")


def qp_url(url: str) -> bytes:
    """A URL as quoted-printable text starting a line: '=' and non-ASCII escaped, lines kept
    under 76 characters with soft breaks, and no line starting with '.' (SMTP dot-stuffing)."""
    if url.isascii() and url.isprintable() and "=" not in url and " " not in url:  # the usual case, fast
        chunks = [url[i:i + 75] for i in range(0, len(url), 75)]
        if not any(c.startswith(".") for c in chunks):
            return "=\r\n".join(chunks).encode("ascii")
    out: list[str] = []
    for ch in url:
        if ch == "=" or not (33 <= ord(ch) <= 126):
            out.extend(f"={b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    lines, line = [], ""
    for tok in out:
        if len(line) + len(tok) > 75:
            lines.append(line)
            line = ""
        if not line and tok == ".":
            tok = "=2E"
        line += tok
    lines.append(line)
    return "=\r\n".join(lines).encode("ascii")


def _qp_body(text: str, ph: str) -> bytes:
    """Quoted-printable body with every placeholder alone on its own line between soft breaks."""
    from email.quoprimime import body_encode

    text = text.replace("\r\n", "\n")
    pieces = text.split(ph)
    # body_encode works on one character per byte: hand it the UTF-8 bytes as latin-1
    enc = [body_encode(p.encode("utf-8").decode("latin-1"), maxlinelen=76, eol="\r\n") if p else "" for p in pieces]
    out = ("=\r\n" + ph + "=\r\n").join(enc)
    # the line break before a MIME boundary belongs to the boundary: always add one
    return (out + "\r\n").encode("ascii")


def _fold(name: str, value: str) -> bytes:
    """A header line, RFC 2047-encoded where needed and folded, ending in CRLF."""
    return policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP).encode("ascii")


def sender_address(sender: str) -> str:
    return parseaddr(sender)[1]


def build_template(settings, *, issue: int, subject: str, html: str, text: str, test: bool = False) -> bytes:
    """The issue's MIME message with slots, CRLF line ends, unstuffed. Built once per issue."""
    ph = placeholder()
    from_addr = sender_address(settings.sender)
    subject = " ".join(_CTRL.sub(" ", subject).split())
    body_text = _qp_body(text, ph)
    body_html = _qp_body(html, ph)
    boundary = "=_ll_" + hashlib.sha256(body_text + body_html + subject.encode()).hexdigest()[:24]
    head = (
        _fold("From", settings.sender)
        + b"To: " + SLOT_TO + b"\r\n"
        + _fold("Subject", subject)
        + b"Date: " + SLOT_DATE + b"\r\n"
        + b"Message-ID: " + SLOT_MSGID + b"\r\n"
        + b"List-Unsubscribe: <" + SLOT_UNSUB + b">,\r\n <mailto:" + from_addr.encode("ascii")
        + b"?subject=unsubscribe>\r\n"
        + b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        + f"X-Linkletter-Issue: {issue}{' test' if test else ''}\r\n".encode("ascii")
        + b"MIME-Version: 1.0\r\n"
        + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode("ascii")
    )
    b = boundary.encode("ascii")
    body = (
        b"--" + b + b"\r\n"
        b'Content-Type: text/plain; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + body_text
        + b"--" + b + b"\r\n"
        b'Content-Type: text/html; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + body_html
        + b"--" + b + b"--\r\n"
    )
    return head + b"\r\n" + body


def dot_stuff(data: bytes) -> bytes:
    """SMTP transparency (RFC 5321 4.5.2): a '.' starting a line is doubled."""
    data = data.replace(b"\r\n.", b"\r\n..")
    return b"." + data if data.startswith(b".") else data


class _DateCache:
    """RFC 5322 date of now, formatted at most once a second."""

    def __init__(self) -> None:
        self.sec = -1
        self.value = b""

    def now(self) -> bytes:
        sec = int(time.time())
        if sec != self.sec:
            self.sec, self.value = sec, formatdate(sec, usegmt=True).encode("ascii")
        return self.value


class MessageTemplate:
    """A frozen issue message split at its slots; :meth:`fill` personalizes it."""

    def __init__(self, data: bytes, *, issue: int, secret: str, base_url: str, sender: str):
        from pipeline.tokens import unsubscribe_url

        self.issue = issue
        self.secret = secret
        self._settings_like = type("S", (), {"base_url": base_url, "secret_key": secret})()
        self._unsubscribe_url = unsubscribe_url
        self.sender = sender_address(sender)
        self.domain = self.sender.rpartition("@")[2] or "localhost"
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            raise LinkletterError(f"the frozen message of issue {issue} is damaged (no header end)")
        head += b"\r\n\r\n"
        # header pieces and the order of the slots between them
        self._head_order = [m.group(0) for m in _SLOT_RE.finditer(head)]
        self._head = _SLOT_RE.split(head)
        self._body = body.split(placeholder().encode("ascii"))
        self._head_stuffed = [p.replace(b"\r\n.", b"\r\n..") for p in self._head]
        self._body_stuffed = [p.replace(b"\r\n.", b"\r\n..") for p in self._body]
        # a piece that starts a line with '.' right after a slot can't happen: slots are never at a line start
        self._dates = _DateCache()

    @classmethod
    def from_settings(cls, settings, data: bytes, issue: int) -> "MessageTemplate":
        return cls(data, issue=issue, secret=settings.secret_key, base_url=settings.base_url, sender=settings.sender)

    def unsubscribe_url(self, subscriber_id: int) -> str:
        return self._unsubscribe_url(self._settings_like, subscriber_id)

    def _values(self, subscriber_id: int, email: str, name: str) -> tuple[dict[bytes, bytes], bytes]:
        url = self.unsubscribe_url(subscriber_id)
        values = {
            SLOT_TO: format_to(name, email),
            SLOT_DATE: self._dates.now(),
            SLOT_MSGID: message_id(self.secret, self.issue, subscriber_id, self.domain),
            SLOT_UNSUB: url.encode("ascii", "strict") if url.isascii() else url.encode("utf-8"),
        }
        return values, qp_url(url)

    def _join(self, head: list[bytes], body: list[bytes], values: dict[bytes, bytes], url: bytes) -> bytes:
        parts = [head[0]]
        for slot, piece in zip(self._head_order, head[1:]):
            parts.append(values[slot])
            parts.append(piece)
        return b"".join(parts) + url.join(body)

    def fill(self, subscriber_id: int, email: str, name: str = "") -> bytes:
        """The subscriber's message as it is (not dot-stuffed): for the outbox and DKIM."""
        values, url = self._values(subscriber_id, email, name)
        return self._join(self._head, self._body, values, url)

    def fill_stuffed(self, subscriber_id: int, email: str, name: str = "") -> bytes:
        """The subscriber's message dot-stuffed for SMTP DATA (without the final '.')."""
        values, url = self._values(subscriber_id, email, name)
        return self._join(self._head_stuffed, self._body_stuffed, values, url)
