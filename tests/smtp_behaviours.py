"""SMTP servers on loopback that misbehave on purpose, for the send engine's tests.

Built on ``tests.smtp.SmtpServer`` (aiosmtpd) with other handlers:

- :class:`TempFailFirst`: answers the first DATA of every recipient with 451, then 250;
- :class:`RejectSome`: answers RCPT with 550 for the given addresses;
- :class:`DropOnce`: drops the connection in the middle of the n-th message;
- :class:`Slow`: takes ``delay`` seconds per message (to kill a sender mid-send);
- :class:`RejectSender`: answers MAIL FROM with 553.

and :class:`CountingSink`, a small raw-asyncio receiver with PIPELINING that only records
(recipient, Message-ID) per message: many times faster than aiosmtpd, for the tests that send
thousands of messages.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from collections import Counter

from tests.smtp import Received, SmtpServer, free_port


class Recording:
    """aiosmtpd handler that records accepted messages on its server, like tests.smtp's."""

    def __init__(self) -> None:
        self.server: SmtpServer | None = None

    def record(self, envelope) -> None:
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, msg))

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.record(envelope)
        return "250 OK"


class TempFailFirst(Recording):
    def __init__(self) -> None:
        super().__init__()
        self.tried: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        key = tuple(envelope.rcpt_tos)
        self.tried[key] += 1
        if self.tried[key] == 1:
            return "451 4.3.0 try again later"
        self.record(envelope)
        return "250 OK"


class RejectSome(Recording):
    def __init__(self, rejected: set[str]) -> None:
        super().__init__()
        self.rejected = {a.lower() for a in rejected}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.rejected:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class DropOnce(Recording):
    """Closes the connection instead of answering the ``nth`` message (1-based), once."""

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth, self.seen, self.dropped = nth, 0, 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.seen += 1
        if self.seen == self.nth:
            self.dropped += 1
            server.transport.close()
            return "421 closing"  # never reaches the client: the transport is closed
        self.record(envelope)
        return "250 OK"


class Slow(Recording):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.delay)
        self.record(envelope)
        return "250 OK"


class RejectSender(Recording):
    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        return "553 5.7.1 sender not allowed"


def server_with(handler: Recording) -> SmtpServer:
    server = SmtpServer(handler)
    handler.server = server
    return server


class TlsRecording(Recording):
    """Records, per accepted message, whether its session was TLS and who logged in."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[tuple[bool, str | None]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        login = session.auth_data.login.decode() if session.authenticated and session.auth_data else None
        self.sessions.append((session.ssl is not None, login))
        return await super().handle_DATA(server, session, envelope)


def starttls_server(handler: TlsRecording, certfile, keyfile, users: dict[str, str]) -> SmtpServer:
    """aiosmtpd requiring STARTTLS and AUTH (LOGIN/PLAIN) with the given users' passwords."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticator(_server, _session, _envelope, _mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = users.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(certfile), str(keyfile))
    server = server_with(handler)
    server.controller = Controller(handler, hostname="127.0.0.1", port=server.port, tls_context=ctx,
                                   require_starttls=True, auth_required=True, auth_require_tls=True,
                                   authenticator=authenticator)
    return server


def self_signed_cert(directory) -> tuple:
    """A certificate for 127.0.0.1/localhost and its key (openssl), for a TLS test server."""
    import subprocess

    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


# ---------------------------------------------------------------- a fast counting receiver

_MSGID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.I | re.M)


class CountingSink:
    """A minimal SMTP receiver in its own thread: EHLO with PIPELINING, MAIL, RCPT, DATA,
    RSET, QUIT. Records ``(recipient, message_id)`` of every accepted message in ``received``."""

    def __init__(self, *, reject: set[str] = frozenset(), tempfail_first: bool = False, drop_at: int | None = None,
                 delay: float = 0.0):
        self.port = free_port()
        self.received: list[tuple[str, str]] = []
        self.reject = {a.lower() for a in reject}      # answered 550 at RCPT
        self.tempfail_first = tempfail_first           # the first message to each recipient gets 451
        self.drop_at = drop_at                         # the n-th message's connection is closed unanswered
        self.delay = delay                             # seconds before each message's reply
        self.tried: Counter = Counter()
        self.data_count = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?tls=none"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port, limit=1 << 22))
        self.ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ready\r\n")
        rcpts: list[str] = []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                cmd = line[:4].upper()
                if cmd in (b"EHLO", b"HELO"):
                    writer.write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif cmd == b"MAIL":
                    rcpts = []
                    writer.write(b"250 ok\r\n")
                elif cmd == b"RCPT":
                    addr = line.split(b"<", 1)[1].split(b">", 1)[0].decode()
                    if addr.lower() in self.reject:
                        writer.write(b"550 5.1.1 no such user\r\n")
                    else:
                        rcpts.append(addr)
                        writer.write(b"250 ok\r\n")
                elif cmd == b"DATA":
                    if not rcpts:
                        writer.write(b"554 5.5.1 no valid recipients\r\n")
                        await writer.drain()
                        continue
                    writer.write(b"354 go on\r\n")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    with self.lock:
                        self.data_count += 1
                        drop = self.data_count == self.drop_at
                        key = tuple(rcpts)
                        self.tried[key] += 1
                        fail = self.tempfail_first and self.tried[key] == 1
                    if drop:
                        self.dropped += 1
                        return
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    if fail:
                        writer.write(b"451 4.3.0 try again later\r\n")
                    else:
                        m = _MSGID.search(data)
                        with self.lock:
                            for r in rcpts:
                                self.received.append((r, m.group(1).decode() if m else ""))
                        writer.write(b"250 queued\r\n")
                    rcpts = []
                elif cmd == b"RSET":
                    rcpts = []
                    writer.write(b"250 ok\r\n")
                elif cmd == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    return
                else:
                    writer.write(b"250 ok\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    def __enter__(self) -> "CountingSink":
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        def _stop() -> None:
            self.server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(_stop)
        self.thread.join(5)


# ---------------------------------------------------------------- newsletter fixtures for send tests

DRAFT = """---
issue: 7
title: "Weekly Reads #7: On slowness"
subject: "On slowness – Über Langsamkeit"
preheader: "Three links on taking time"
status: ready
---
A short intro. Take your time.

## [The slow web](https://example.org/slow-web)

> Pages that load slowly are read slowly, and that is not always bad.
> — [Example](https://example.org/slow-web)

What I think about it, with a line that starts with a dot below.

.dot at the start of a line
"""


def write_draft(nl_dir, text: str = DRAFT, name: str = "007-on-slowness.md"):
    path = nl_dir / "drafts" / name
    path.write_text(text, encoding="utf-8")
    return path


def add_subscribers(engine, count: int, *, start: int = 0, confirmed_at=None, status: str = "active",
                    name: str = "Reader {i}") -> list[int]:
    """Insert subscribers directly (one bulk statement); returns their ids."""
    from sqlalchemy import insert, select

    from pipeline.models import Subscriber, utcnow

    t = Subscriber.__table__
    when = confirmed_at or utcnow()
    rows = [{"email": f"reader{i}@example.net", "name": name.format(i=i), "status": status, "created_at": when,
             "confirmed_at": when, "consent_source": "cli"} for i in range(start, start + count)]
    with engine.begin() as conn:
        conn.execute(insert(t), rows)
        ids = conn.execute(select(t.c.id).where(t.c.email.in_([r["email"] for r in rows]))).scalars().all()
    return sorted(ids)
