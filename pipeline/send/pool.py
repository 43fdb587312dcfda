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
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    def _drop(self) -> None:
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

    def deliver(self, rcpt: str, stuffed: bytes) -> str:
        """Hand over one message (dot-stuffed, ending in CRLF) to ``rcpt``. Returns the server's
        acceptance reply; raises TemporaryFailure, RecipientRejected or SenderRejected."""
        self.open()
        try:
            return self._deliver(rcpt, stuffed)
        except (OSError, smtplib.SMTPServerDisconnected, ssl.SSLError, socket.timeout) as e:
            self._drop()
            raise TemporaryFailure(f"the connection to the mail server broke: {e or type(e).__name__}") from None

    def _deliver(self, rcpt: str, stuffed: bytes) -> str:
        conn = self.conn
        cmds = f"MAIL FROM:<{self.sender}>\r\nRCPT TO:<{rcpt}>\r\n".encode("ascii")
        if self.pipelining:
            conn.sock.sendall(cmds + b"DATA\r\n")
            mail, rcpt_reply, data = self._reply(), self._reply(), self._reply()
        else:
            conn.sock.sendall(cmds[: cmds.index(b"\r\n") + 2])
            mail = self._reply()
            rcpt_reply = data = (0, b"")
            if mail[0] == 250:
                conn.sock.sendall(cmds[cmds.index(b"\r\n") + 2:])
                rcpt_reply = self._reply()
                if rcpt_reply[0] in (250, 251):
                    conn.sock.sendall(b"DATA\r\n")
                    data = self._reply()
        if mail[0] != 250:
            if data[0] == 354:  # pipelined DATA was accepted after all: end it empty
                conn.sock.sendall(b".\r\n")
                self._reply()
            self._reset()
            text = _reply_text(*mail)
            if 500 <= mail[0] < 600:
                raise SenderRejected(f"the mail server refused the sender <{self.sender}>: {text}")
            raise TemporaryFailure(f"MAIL FROM: {text}")
        if rcpt_reply[0] not in (250, 251):
            if data[0] == 354:
                conn.sock.sendall(b".\r\n")
                self._reply()
            self._reset()
            text = _reply_text(*rcpt_reply)
            if 500 <= rcpt_reply[0] < 600:
                raise RecipientRejected(f"RCPT TO: {text}")
            raise TemporaryFailure(f"RCPT TO: {text}")
        if data[0] != 354:
            self._reset()
            text = _reply_text(*data)
            raise TemporaryFailure(f"DATA: {text}")  # a refusal to take data is the server's state, not the address
        conn.sock.sendall(stuffed + b".\r\n")
        code, msg = self._reply()
        if code == 250:
            return _reply_text(code, msg)
        self._reset()
        text = _reply_text(code, msg)
        if 500 <= code < 600:
            raise MessageRejected(f"message refused: {text}")
        raise TemporaryFailure(f"message: {text}")
