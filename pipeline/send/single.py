"""How one message leaves (a system mail, a test copy of an issue): signed by the same DKIM
signer as an issue's deliveries, then handed to the same SMTP session code the campaign's
connections use (:class:`pipeline.send.pool.SmtpSession`), or written to the file outbox when
``smtp_url`` is empty. Every message is built by :mod:`pipeline.send.message` first.
"""

from __future__ import annotations

from pipeline.send.dkim import signer_from_settings
from pipeline.send.message import dot_stuff, sender_address, smtp_address
from pipeline.send.pool import SmtpSession
from pipeline.send.transports import parse_smtp_url, write_outbox

_FROM_SETTINGS = object()


def send_message(settings, data: bytes, rcpt: str, *, name: str | None = None, signer=_FROM_SETTINGS,
                 timeout: float = 30.0) -> str:
    """Sign ``data`` (a message from the builder, CRLF, not dot-stuffed) and send it to ``rcpt``.
    Returns where it went: the outbox file (named ``name`` when given), or 'rcpt via host:port'.
    Raises TransportError (or one of the pool's subclasses) with the server's reason."""
    if signer is _FROM_SETTINGS:
        signer = signer_from_settings(settings)
    if signer is not None:
        data = signer.sign(data)
    rcpt = smtp_address(rcpt)
    if not settings.smtp_url:
        return str(write_outbox(settings.outbox_dir, data, name))
    session = SmtpSession(parse_smtp_url(settings.smtp_url), sender_address(settings.sender), timeout=timeout)
    try:
        session.deliver(rcpt, dot_stuff(data))
    finally:
        session.close()
    return f"{rcpt} via {session.target.host}:{session.target.port}"
