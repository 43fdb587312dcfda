"""End to end with a real MTA: an issue sent with a bounce address to a real Postfix on
loopback (tests/postfix.py), which accepts it for a recipient it then cannot deliver to, writes
its own DSN to that delivery's VERP address and relays it to the newsletter's MX (aiosmtpd
here); the DSN goes into `linkletter inbound` as a pipe would hand it over (a separate process,
the message on standard input, $RECIPIENT set as Postfix's pipe(8) and local(8) do), and the
subscriber is suppressed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from pipeline import subscribers as subs
from pipeline.models import Delivery, MailEvent
from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import SendOptions, send_issue
from tests.conftest import clean_env
from tests.postfix import Postfix, unavailable
from tests.smtp import SmtpServer
from tests.smtp_behaviours import write_draft

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=unavailable() or "")


def test_postfix_writes_a_dsn_to_the_verp_address_and_the_intake_suppresses_the_subscriber(nl_dir):
    draft = write_draft(nl_dir)
    with SmtpServer() as mx, Postfix(mx.port) as postfix:
        with open(nl_dir / "linkletter.toml", "a") as f:
            f.write(f'smtp_url = "smtp://127.0.0.1:{postfix.port}?tls=none"\nbounce_address = "bounces@news.example.org"\n')
        nl = open_newsletter(nl_dir, env={})
        gone = subs.add_subscriber(nl, "gone@dead.example").subscriber.id
        here = subs.add_subscriber(nl, "here@alive.example").subscriber.id
        report = send_issue(nl, draft, options=SendOptions(poll=0.05, timeout=30), force=True)
        assert report.sent == 2  # Postfix accepted both
        got = mx.wait_for(2, timeout=60)
        assert len(got) == 2, postfix.log
    dsn = next(m for m in got if m.mail_from in ("", "<>"))
    issue = next(m for m in got if m is not dsn)
    with nl.session() as s:
        delivery = {d.subscriber_id: d.id for d in s.scalars(select(Delivery))}
    assert issue.rcpt_tos == ["here@alive.example"] and issue.mail_from.startswith("bounces+")
    (rcpt,) = dsn.rcpt_tos
    assert rcpt.startswith("bounces+") and dsn.message["Content-Type"].startswith("multipart/report")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--dir", str(nl_dir), "inbound"], input=dsn.raw,
                          env=clean_env(RECIPIENT=rcpt), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert subs.get_subscriber(nl, gone).status == "bounced" and subs.get_subscriber(nl, here).status == "active"
    with nl.session() as s:
        (ev,) = s.scalars(select(MailEvent)).all()
    assert (ev.kind, ev.subscriber_id, ev.issue_number, ev.delivery_id) == ("hard_bounce", gone, 7, delivery[gone])
    assert "5.1.1" in ev.reason and ev.address == "gone@dead.example"
    nl.close()
