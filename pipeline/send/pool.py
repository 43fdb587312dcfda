"""Reused SMTP connections that hand over prebuilt, dot-stuffed messages.

``smtplib.SMTP.sendmail`` converts line ends and dot-stuffs every message with regular
expressions (~175 µs for 60 KB) and waits for each reply in turn. :class:`SmtpSession` opens the
connection with smtplib (TLS, STARTTLS, AUTH stay smtplib's), then writes ``MAIL``, ``RCPT`` and
``DATA`` in one packet when the server offers PIPELINING (RFC 2920) and the message bytes as
they are. The outcome of each message is one of three exceptions or success:

- :class:`TemporaryFailure`: a 4xx reply, a dropped or timed-out connection: try again later;
- :class:`RecipientRejected`: a 5xx reply to ``RCPT``: the address is bad, the subscriber bounces;
- :class:`MessageRejected`: a 5xx reply to the message itself: this delivery failed;
- :class:`SenderRejected`: a 5xx reply to ``MAIL FROM``: every message would fail, stop the send.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from pipeline.send.transports import SmtpTarget, TransportError, smtp_connect


class TemporaryFailure(TransportError):
    """4xx, or the connection broke: retry later (the message may or may not have arrived)."""


class RecipientRejected(TransportError):
    """5xx for this recipient: the delivery failed for good."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class MessageRejected(TransportError):
    """5xx to the message itself after the recipient was accepted (content, size): this
    delivery failed for good, but the address is not known to be bad."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class SenderRejected(TransportError):
    """5xx to MAIL FROM: the server refuses our sender; sending on would fail every message."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


def _reply_text(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {' '.join(text.split())}"[:300]


class SmtpSession:
    """One SMTP connection, opened lazily and reused for many messages."""

    def __init__(self, target: SmtpTarget, sender: str, timeout: float = 60.0):
        self.target = target
        self.sender = sender
        self.timeout = timeout
        self.conn: smtplib.SMTP | None = None
        self.pipelining = False
        self.pending: tuple[str, str] | None = None  # (recipient, sender) of an envelope sent ahead, replies unread

    def open(self) -> None:
        if self.conn is not None:
            return
        try:
            self.conn = smtp_connect(self.target, timeout=self.timeout)
        except smtplib.SMTPAuthenticationError as e:
            raise TransportError(f"the mail server {self.target.host}:{self.target.port} refused the login: "
                                 f"{_reply_text(e.smtp_code, e.smtp_error)}", permanent=True) from None
        except smtplib.SMTPResponseException as e:
            raise TemporaryFailure(f"the mail server {self.target.host}:{self.target.port} answered "
                                   f"{_reply_text(e.smtp_code, e.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as e:
            raise TemporaryFailure(f"cannot reach the mail server {self.target.host}:{self.target.port}: {e}") from None
        self.pipelining = self.conn.has_extn("pipelining")
        try:  # room for a whole message in the kernel, so sendall rarely waits for the reader
            self.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        except OSError:
            pass

    def close(self) -> None:
        if self.pending is not None:  # QUIT would become message text after a 354
            self._drop()
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    def _drop(self) -> None:
        self.pending = None
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def _reply(self) -> tuple[int, bytes]:
        code, msg = self.conn.getreply()
        if code == -1:
            raise smtplib.SMTPServerDisconnected("connection closed")
        return code, msg

    def _reset(self) -> None:
        try:
            self.conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def deliver(self, rcpt: str, stuffed: bytes, next_rcpt: str | None = None, *, sender: str | None = None,
                next_sender: str | None = None) -> str:
        """Hand over one message (dot-stuffed, ending in CRLF) to ``rcpt``. Returns the server's
        acceptance reply; raises TemporaryFailure, RecipientRejected, MessageRejected or
        SenderRejected.

        With ``next_rcpt`` (and a server offering PIPELINING), the envelope of the next message
        (MAIL, RCPT, DATA) goes out in the same packet as this message's content (RFC 2920
        allows the content to start a group), saving a round trip per message. The caller must
        then deliver to ``next_rcpt`` next, or call :meth:`discard` (which drops the connection:
        a DATA the server already answered with 354 can't be taken back).

        ``sender``/``next_sender``: the envelope sender of this and the next message (a bounce
        address per delivery, see pipeline.inbound.addresses); the session's own by default."""
        self.open()
        try:
            return self._deliver((rcpt, sender or self.sender), stuffed,
                                 (next_rcpt, next_sender or self.sender) if next_rcpt else None)
        except (OSError, smtplib.SMTPServerDisconnected, ssl.SSLError, socket.timeout) as e:
            self._drop()
            raise TemporaryFailure(f"the connection to the mail server broke: {e or type(e).__name__}") from None

    def discard(self) -> None:
        """Forget an envelope sent ahead (see :meth:`deliver`) by dropping the connection."""
        if self.pending is not None:
            self._drop()

    def _envelope(self, envelope: tuple[str, str]) -> bytes:
        rcpt, sender = envelope
        return f"MAIL FROM:<{sender}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n".encode("ascii")

    def _deliver(self, envelope: tuple[str, str], stuffed: bytes, next_envelope: tuple[str, str] | None) -> str:
        rcpt, sender = envelope
        if self.pending is not None and self.pending != envelope:
            self._drop()  # an envelope for someone else is open: start over on a new connection
            self.open()
        conn = self.conn
        if self.pending == envelope:  # the envelope went out with the previous message
            self.pending = None
            mail, rcpt_reply, data = self._reply(), self._reply(), self._reply()
        elif self.pipelining:
            conn.sock.sendall(self._envelope(envelope))
            mail, rcpt_reply, data = self._reply(), self._reply(), self._reply()
        else:
            cmds = self._envelope(envelope).split(b"\r\n")
            conn.sock.sendall(cmds[0] + b"\r\n")
            mail = self._reply()
            rcpt_reply = data = (0, b"")
            if mail[0] == 250:
                conn.sock.sendall(cmds[1] + b"\r\n")
                rcpt_reply = self._reply()
                if rcpt_reply[0] in (250, 251):
                    conn.sock.sendall(b"DATA\r\n")
                    data = self._reply()
        if mail[0] != 250 or rcpt_reply[0] not in (250, 251) or data[0] != 354:
            if data[0] == 354:  # a server that opened DATA without a valid transaction: never send it
                self._drop()
            else:
                self._reset()
            if mail[0] != 250:
                text = _reply_text(*mail)
                if 500 <= mail[0] < 600:
                    raise SenderRejected(f"the mail server refused the sender <{sender}>: {text}")
                raise TemporaryFailure(f"MAIL FROM: {text}")
            if rcpt_reply[0] not in (250, 251):
                text = _reply_text(*rcpt_reply)
                if 500 <= rcpt_reply[0] < 600:
                    raise RecipientRejected(f"RCPT TO: {text}")
                raise TemporaryFailure(f"RCPT TO: {text}")
            # a refusal to take data is the server's state, not the address's
            raise TemporaryFailure(f"DATA: {_reply_text(*data)}")
        ahead = self._envelope(next_envelope) if next_envelope and self.pipelining else b""
        conn.sock.sendall(stuffed + b".\r\n" + ahead)
        if ahead:
            self.pending = next_envelope
        code, msg = self._reply()
        if code == 250:
            return _reply_text(code, msg)
        if self.pending is not None:
            self._drop()  # the next envelope is open behind this refusal: start clean
        else:
            self._reset()
        text = _reply_text(code, msg)
        if 500 <= code < 600:
            raise MessageRejected(f"message refused: {text}")
        raise TemporaryFailure(f"message: {text}")
