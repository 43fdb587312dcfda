"""Every outgoing message is built here: the issue's MIME template, built once per issue and
personalized per subscriber by filling slots, and single messages (system mails) with the same
headers and body (:func:`build_single`). Header values go through :mod:`pipeline.send.headers`.

Building an ``EmailMessage`` costs milliseconds; a send of 100,000 mails can't afford that per
subscriber. So :func:`build_template` encodes the issue once: the headers with slots for ``To``,
``Date``, ``Message-ID`` and the ``List-Unsubscribe`` URL, and a multipart/alternative body whose
text and HTML parts are quoted-printable with the unsubscribe marker kept whole on a line of its
own (soft line breaks around it). The slots and the marker are random per issue (see
:class:`Slots`), so content can never hold them. The template is stored on the issue row when
the send starts (``frozen_mime``), so a resumed send mails exactly what the first run froze.

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
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, make_msgid, parseaddr

from pipeline.errors import LinkletterError
from pipeline.send.headers import AddressError, HeaderError, fold, format_address, format_to, list_id, smtp_address

__all__ = ["AddressError", "HeaderError", "MessageTemplate", "build_template", "build_single", "dot_stuff",
           "format_to", "fresh_message_id", "mail_date", "smtp_address", "sender_address", "new_unsubscribe_marker", "qp_url"]

# Slots of a frozen issue. The header slots and the body's unsubscribe marker hold a random token
# made when the issue is frozen (after its content is known), and the frozen bytes start with a
# line naming them: content can't contain a token it never saw, so a feed item holding a marker
# stays inert text. Issues frozen before this had fixed slots and the public placeholder.
_SLOTS_LINE = b"LINKLETTER-SLOTS "
_LEGACY_TO, _LEGACY_DATE = b"@@LINKLETTER-TO@@", b"@@LINKLETTER-DATE@@"
_LEGACY_MSGID, _LEGACY_UNSUB = b"@@LINKLETTER-MESSAGE-ID@@", b"@@LINKLETTER-UNSUBSCRIBE@@"


@dataclass(frozen=True)
class Slots:
    to: bytes
    date: bytes
    msgid: bytes
    unsub: bytes
    marker: bytes  # the unsubscribe URL's stand-in in the body
    mailto: bytes = b""  # the subscriber's mailto unsubscribe URI (with bounce_address; issue 15)

    @classmethod
    def new(cls, marker: str, mailto: bool = False) -> "Slots":
        token = secrets.token_hex(16).encode("ascii")
        return cls(b"@@" + token + b"-TO@@", b"@@" + token + b"-DATE@@", b"@@" + token + b"-MSGID@@",
                   b"@@" + token + b"-UNSUB@@", marker.encode("ascii"), b"@@" + token + b"-MAILTO@@" if mailto else b"")

    @classmethod
    def legacy(cls) -> "Slots":
        return cls(_LEGACY_TO, _LEGACY_DATE, _LEGACY_MSGID, _LEGACY_UNSUB, placeholder().encode("ascii"))

    def line(self) -> bytes:
        return _SLOTS_LINE + b" ".join(x for x in (self.to, self.date, self.msgid, self.unsub, self.marker, self.mailto) if x) + b"\r\n"

    @classmethod
    def split(cls, data: bytes) -> tuple["Slots", bytes]:
        """The slots named by a frozen template's first line, and the message after it."""
        if not data.startswith(_SLOTS_LINE):
            return cls.legacy(), data
        line, _, rest = data.partition(b"\r\n")
        return cls(*line[len(_SLOTS_LINE):].split(b" ")), rest


def placeholder() -> str:
    from pipeline.render import UNSUBSCRIBE_PLACEHOLDER

    return UNSUBSCRIBE_PLACEHOLDER


def new_unsubscribe_marker() -> str:
    """A stand-in for the unsubscribe URL that nobody can put into an issue's content: random,
    made for one issue when it is rendered for a send."""
    return f"https://unsubscribe.invalid/{secrets.token_urlsafe(24)}"


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


def _qp_body(text: str, ph: str | None) -> bytes:
    """Quoted-printable body with every placeholder alone on its own line between soft breaks."""
    from email.quoprimime import body_encode

    text = text.replace("\r\n", "\n")
    pieces = text.split(ph) if ph else [text]
    # body_encode works on one character per byte: hand it the UTF-8 bytes as latin-1
    enc = [body_encode(p.encode("utf-8").decode("latin-1"), maxlinelen=76, eol="\r\n") if p else "" for p in pieces]
    out = ("=\r\n" + (ph or "") + "=\r\n").join(enc)
    # the line break before a MIME boundary belongs to the boundary: always add one
    return (out + "\r\n").encode("ascii")


def sender_address(sender: str) -> str:
    return parseaddr(sender)[1]


def mail_date(sec: float | None = None) -> bytes:
    """RFC 5322 ``Date`` with a numeric zone (``Wed, 02 Dec 2026 01:00:00 +0000``), never the
    obsolete ``GMT`` (RFC 5322 4.3)."""
    when = datetime.fromtimestamp(time.time() if sec is None else sec, timezone.utc)
    return format_datetime(when).encode("ascii")


def fresh_message_id(settings) -> bytes:
    """A new random Message-ID in the sender's domain (a system mail, a test copy)."""
    domain = sender_address(settings.sender).rpartition("@")[2] or None
    return make_msgid(domain=domain).encode("ascii")


def _list_headers(settings, issue: int) -> bytes:
    """What mailbox providers look for in a newsletter: ``List-Id`` (RFC 2919), ``Precedence:
    bulk`` (auto-replies stay away, RFC 3834 2), ``Feedback-ID`` (Gmail's feedback loop:
    ``issue:stream:list:SenderId``, the right-most field stable, none unique to a reader)."""
    domain = sender_address(settings.sender).rpartition("@")[2] or "localhost"
    lid = list_id(settings.title, domain)
    label = lid.rpartition(b"<")[2].split(b".")[0] if b"<" in lid else lid.split(b".")[0]
    return (b"List-Id: " + lid + b"\r\n" + b"Precedence: bulk\r\n"
            + b"Feedback-ID: issue" + str(issue).encode("ascii") + b":newsletter:" + label + b":linkletter\r\n")


def _mime(settings, *, to: bytes | None, subject: str, date: bytes, msgid: bytes, extra: bytes, body_text: bytes,
          body_html: bytes) -> bytes:
    """Every outgoing message: From, To, Subject, Date, Message-ID, ``extra`` header lines, and a
    multipart/alternative body (text, then HTML, both quoted-printable: MRML writes the HTML
    as one long line, never 7bit/8bit under SMTP's 998-octet limit). CRLF line ends."""
    boundary = "=_ll_" + hashlib.sha256(body_text + body_html + subject.encode()).hexdigest()[:24]
    head = (
        fold("From", settings.sender)
        + (b"Reply-To: " + format_address(settings.reply_to) + b"\r\n" if getattr(settings, "reply_to", "") else b"")
        + (b"To: " + to + b"\r\n" if to is not None else b"")
        + fold("Subject", subject)
        + b"Date: " + date + b"\r\n"
        + b"Message-ID: " + msgid + b"\r\n"
        + extra
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


def build_template(settings, *, issue: int, subject: str, html: str, text: str, test: bool = False,
                   marker: str | None = None) -> bytes:
    """The issue's MIME message with slots, CRLF line ends, unstuffed. Built once per issue.
    ``marker`` is what the rendered html and text hold where the unsubscribe URL goes (the
    render stage's placeholder unless the issue was rendered with :func:`new_unsubscribe_marker`).
    The result starts with the line naming its slots (see :class:`Slots`)."""
    marker = marker or placeholder()
    slots = Slots.new(marker, mailto=bool(settings.bounce_address))
    from_addr = sender_address(settings.sender)
    mailto = slots.mailto or b"mailto:" + from_addr.encode("ascii") + b"?subject=unsubscribe"
    unsub = (b"List-Unsubscribe: <" + slots.unsub + b">,\r\n <" + mailto + b">\r\n"
             + b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
             + f"X-Linkletter-Issue: {issue}{' test' if test else ''}\r\n".encode("ascii"))
    return slots.line() + _mime(settings, to=slots.to, subject=subject, date=slots.date, msgid=slots.msgid,
                                extra=unsub + _list_headers(settings, issue), body_text=_qp_body(text, marker), body_html=_qp_body(html, marker))


def build_single(settings, *, subject: str, html: str, text: str, to_addr: str | None, to_name: str = "") -> bytes:
    """One ready message (a system mail, or an issue for a preview): the same headers and body
    as an issue's, with its own Date and Message-ID. CRLF line ends, not dot-stuffed."""
    to = format_to(to_name, to_addr) if to_addr else None
    return _mime(settings, to=to, subject=subject, date=mail_date(), msgid=fresh_message_id(settings), extra=b"",
                 body_text=_qp_body(text, None),
                 body_html=_qp_body(html, None))


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
            self.sec, self.value = sec, mail_date(sec)
        return self.value


class MessageTemplate:
    """A frozen issue message split at its slots; :meth:`fill` personalizes it."""

    def __init__(self, data: bytes, *, issue: int, secret: str, base_url: str, sender: str, bounce_address: str = ""):
        from pipeline.tokens import unsubscribe_url

        self.issue = issue
        self.secret = secret
        self._settings_like = type("S", (), {"base_url": base_url, "secret_key": secret, "sender": sender,
                                             "bounce_address": bounce_address})()
        self._unsubscribe_url = unsubscribe_url
        self.sender = sender_address(sender)
        self.domain = self.sender.rpartition("@")[2] or "localhost"
        self.slots, data = Slots.split(data)
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            raise LinkletterError(f"the frozen message of issue {issue} is damaged (no header end)")
        head += b"\r\n\r\n"
        # header pieces and the order of the slots between them
        slot_re = re.compile(b"|".join(re.escape(x) for x in (self.slots.to, self.slots.date, self.slots.msgid,
                                                                self.slots.unsub, self.slots.mailto) if x))
        self._head_order = [m.group(0) for m in slot_re.finditer(head)]
        self._head = slot_re.split(head)
        self._body = body.split(self.slots.marker)
        self._head_stuffed = [p.replace(b"\r\n.", b"\r\n..") for p in self._head]
        self._body_stuffed = [p.replace(b"\r\n.", b"\r\n..") for p in self._body]
        # a piece that starts a line with '.' right after a slot can't happen: slots are never at a line start
        self._dates = _DateCache()

    @classmethod
    def from_settings(cls, settings, data: bytes, issue: int) -> "MessageTemplate":
        return cls(data, issue=issue, secret=settings.secret_key, base_url=settings.base_url, sender=settings.sender,
                   bounce_address=settings.bounce_address)

    def unsubscribe_url(self, subscriber_id: int, generation: int = 0) -> str:
        return self._unsubscribe_url(self._settings_like, subscriber_id, generation)

    def _values(self, subscriber_id: int, email: str, name: str, generation: int,
                msgid: bytes | None = None) -> tuple[dict[bytes, bytes], bytes]:
        url = self.unsubscribe_url(subscriber_id, generation)
        slots = self.slots
        values = {
            slots.to: format_to(name, email),
            slots.date: self._dates.now(),
            slots.msgid: msgid or message_id(self.secret, self.issue, subscriber_id, self.domain),
            slots.unsub: url.encode("ascii", "strict") if url.isascii() else url.encode("utf-8"),
        }
        if slots.mailto:
            from pipeline.inbound.addresses import unsubscribe_mailto

            values[slots.mailto] = unsubscribe_mailto(self._settings_like, subscriber_id, generation, self.issue).encode("ascii")
        return values, qp_url(url)

    def _join(self, head: list[bytes], body: list[bytes], values: dict[bytes, bytes], url: bytes) -> bytes:
        parts = [head[0]]
        for slot, piece in zip(self._head_order, head[1:]):
            parts.append(values[slot])
            parts.append(piece)
        return b"".join(parts) + url.join(body)

    def fill(self, subscriber_id: int, email: str, name: str = "", generation: int = 0, *,
             msgid: bytes | None = None) -> bytes:
        """The subscriber's message as it is (not dot-stuffed): for the outbox and DKIM.
        ``generation``: the subscriber's link generation (see pipeline.tokens). ``msgid``: a
        Message-ID of its own (a test copy: each is a new message), else the delivery's."""
        values, url = self._values(subscriber_id, email, name, generation, msgid)
        return self._join(self._head, self._body, values, url)

    def fill_stuffed(self, subscriber_id: int, email: str, name: str = "", generation: int = 0) -> bytes:
        """The subscriber's message dot-stuffed for SMTP DATA (without the final '.')."""
        values, url = self._values(subscriber_id, email, name, generation)
        return self._join(self._head_stuffed, self._body_stuffed, values, url)
