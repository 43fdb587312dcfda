"""``linkletter inbound``: what comes back by mail, read from standard input (an MTA's alias
or pipe) or from the IMAP mailbox; a thin layer over ``pipeline.inbound``.

The exit status is for the MTA: 0 when the message was recorded (or kept for the author
because it could not be used: never bounced back), 75 (EX_TEMPFAIL) when it could not be
recorded now (a locked or unreachable database, a broken setting): the MTA then keeps the
message and tries again later."""

from __future__ import annotations

import os
import sys

import click

from pipeline.cli.base import main

EX_TEMPFAIL = 75


def terminal_text(text: str) -> str:
    """Outside text (addresses, reasons) made safe for a terminal or log: controls escaped."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
                   for ch in text)


def _read_stdin(limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of the message; the rest is read and dropped, so the MTA's
    pipe never breaks (a larger message is kept cut, see receive_message)."""
    stream = getattr(sys.stdin, "buffer", sys.stdin)
    data = stream.read(limit + 1)
    while stream.read(1 << 16):
        pass
    return data


@main.command()
@click.option("--recipient", "recipients", multiple=True, metavar="ADDRESS",
              help="The envelope recipient, if the MTA passes it (else $ORIGINAL_RECIPIENT / $RECIPIENT, then the headers).")
@click.option("--imap", is_flag=True, help="Poll the inbound_imap_url mailbox once instead of reading standard input.")
@click.pass_obj
def inbound(state, recipients: tuple[str, ...], imap: bool) -> None:
    """Record one message that came back (a bounce, a complaint, a mailto unsubscribe, an
    auto-reply) from standard input, as an MTA pipe: alias `bounces: "|linkletter --dir DIR inbound"`.
    Exit 0: recorded or kept; 75: try again later."""
    from sqlalchemy.exc import OperationalError

    from pipeline.errors import LinkletterError

    try:
        nl = state.nl
        if imap:
            from pipeline.inbound.imap import poll_imap

            report = poll_imap(nl)
            click.echo(terminal_text(report.summary()))
            return
        env = [os.environ.get(k, "") for k in ("ORIGINAL_RECIPIENT", "RECIPIENT")]
        raw = _read_stdin(nl.settings.inbound_max_bytes)
        from pipeline.inbound import receive_message

        result = receive_message(nl, raw, source="inbound", recipients=[*recipients, *(e for e in env if e)])
    except OperationalError as e:
        click.echo(f"linkletter inbound: the database is busy or unreachable, try again later: "
                   f"{terminal_text(str(e.orig))[:200]}", err=True)
        sys.exit(EX_TEMPFAIL)
    except (LinkletterError, OSError) as e:
        click.echo(f"linkletter inbound: {terminal_text(str(e))[:300]}; try again later", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(terminal_text(result.summary()))
