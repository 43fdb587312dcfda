"""The mailbox path: a real Dovecot on loopback (tests/dovecot.py), messages put into its INBOX
with IMAP APPEND, then polled by the intake; a relay that drops the connection mid-fetch and
before the move (nothing lost, nothing counted twice); IMAPS with a certificate checked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pipeline.inbound.imap import ImapError, poll_imap
from pipeline.models import MailEvent, Subscriber
from pipeline.newsletter import open_newsletter
from tests.conftest import run_cli
from tests.dovecot import DOVECOT, PASSWORD, CuttingProxy, Dovecot
from tests.inbound_mail import auto_reply, postfix_dsn
from tests.smtp_behaviours import add_subscribers

pytestmark = pytest.mark.skipif(DOVECOT is None, reason="Dovecot is not installed (Debian: dovecot-imapd; .ci/run installs it)")
PROCESSED = "Linkletter.Processed"  # "Linkletter/Processed" with Dovecot's Maildir delimiter


def _nl(nl_dir, url: str):
    with open(nl_dir / "linkletter.toml", "a") as f:
        f.write(f'inbound_imap_url = "{url}"\n')
    return open_newsletter(nl_dir, env={"LINKLETTER_INBOUND_IMAP_PASSWORD": PASSWORD})


def _bounces(n: int) -> list[bytes]:
    # without bounce_address: matched by the address the DSN names
    return [postfix_dsn("news@example.org", f"reader{i}@example.net", msgid=f"<dsn-{i}@mx.example.net>") for i in range(n)]


def _event_count(nl) -> int:
    with nl.session() as s:
        return s.scalar(select(func.count()).select_from(MailEvent))


def _bounced(nl) -> int:
    with nl.session() as s:
        return s.scalar(select(func.count()).select_from(Subscriber).where(Subscriber.status == "bounced"))


def test_polled_messages_are_recorded_then_moved(nl_dir, tmp_path):
    with Dovecot(tmp_path / "dovecot") as imap:
        nl = _nl(nl_dir, imap.url)
        add_subscribers(nl.engine, 3)
        imap.append(*_bounces(3), auto_reply("news@example.org"))
        report = poll_imap(nl)
        assert (report.read, report.moved, report.error) == (4, 4, "")
        assert report.kinds == {"hard_bounce": 3, "auto_reply": 1}
        assert imap.count("INBOX") == 0 and imap.count(PROCESSED) == 4
        assert _bounced(nl) == 3
        assert poll_imap(nl).read == 0  # nothing left
        events = nl.session
        with events() as s:
            assert {e.source for e in s.scalars(select(MailEvent))} == {"imap"}
        nl.close()


def test_a_connection_dropped_mid_fetch_loses_nothing_and_counts_nothing_twice(nl_dir, tmp_path):
    with Dovecot(tmp_path / "dovecot") as imap:
        proxy = CuttingProxy(imap.port, server_mark=b"BODY[] {", nth=3)  # in the middle of the third message
        nl = _nl(nl_dir, f"imap://bounces@127.0.0.1:{proxy.port}")
        add_subscribers(nl.engine, 5)
        imap.append(*_bounces(5))
        first = poll_imap(nl)
        assert proxy.cut.is_set() and "broke" in first.error
        assert first.read == first.moved == 2
        assert _event_count(nl) == 2 and imap.count("INBOX") == 3  # the cut one is still there
        second = poll_imap(nl)  # the relay passes later connections through
        assert (second.read, second.moved, second.seen_before, second.error) == (3, 3, 0, "")
        assert _event_count(nl) == 5 and _bounced(nl) == 5
        assert imap.count("INBOX") == 0 and imap.count(PROCESSED) == 5
        proxy.close()
        nl.close()


def test_a_connection_dropped_before_the_move_reads_the_message_again_once(nl_dir, tmp_path):
    with Dovecot(tmp_path / "dovecot") as imap:
        proxy = CuttingProxy(imap.port, client_mark=b"UID MOVE")
        nl = _nl(nl_dir, f"imap://bounces@127.0.0.1:{proxy.port}")
        add_subscribers(nl.engine, 2)
        imap.append(*_bounces(2))
        first = poll_imap(nl)
        assert first.error and first.read == 1 and first.moved == 0  # recorded, not moved
        assert _event_count(nl) == 1 and imap.count("INBOX") == 2
        second = poll_imap(nl)
        assert (second.read, second.moved, second.seen_before) == (2, 2, 1)
        assert _event_count(nl) == 2 and imap.count(PROCESSED) == 2
        proxy.close()
        nl.close()


def test_imaps_checks_the_certificate_and_a_wrong_password_is_an_error(nl_dir, tmp_path, monkeypatch):
    with Dovecot(tmp_path / "dovecot", tls=True) as imap:
        nl = _nl(nl_dir, imap.url)
        add_subscribers(nl.engine, 1)
        imap.append(*_bounces(1))
        with pytest.raises(ImapError, match="cannot reach"):  # a certificate nobody vouches for
            poll_imap(nl)
        monkeypatch.setenv("SSL_CERT_FILE", str(imap.cert))  # now trusted, as a real CA's would be
        assert poll_imap(nl).read == 1 and _bounced(nl) == 1
        nl.close()
        bad = open_newsletter(nl_dir, env={"LINKLETTER_INBOUND_IMAP_PASSWORD": "wrong"})
        with pytest.raises(ImapError, match="refused the login"):
            poll_imap(bad)
        bad.close()


def test_plain_imap_to_another_host_is_refused(nl_dir):
    nl = _nl(nl_dir, "imap://bounces@imap.example.org")
    with pytest.raises(ImapError, match="only allowed to loopback"):
        poll_imap(nl)
    nl.close()
    proc = run_cli("--dir", str(nl_dir), "inbound", "--imap", check=False)
    assert proc.returncode == 75 and "loopback" in proc.stderr


def test_the_main_job_polls_the_mailbox_on_its_own_schedule(nl_dir, tmp_path, monkeypatch):
    from pipeline.mainjob import jobs, schedule

    with Dovecot(tmp_path / "dovecot") as imap:
        nl = _nl(nl_dir, imap.url)
        add_subscribers(nl.engine, 1)
        s = schedule.make_scheduler(nl)
        s.start(paused=True)
        schedule.install_jobs(s, nl)
        job = s.get_job("inbound")
        assert job.func_ref == "pipeline.mainjob.jobs:inbound_job" and "0:05:00" in str(job.trigger)
        s.shutdown(wait=False)
        imap.append(*_bounces(1))
        monkeypatch.setenv("LINKLETTER_INBOUND_IMAP_PASSWORD", PASSWORD)
        assert jobs.inbound_job(str(nl_dir)).startswith("IMAP: 1 read, 1 moved")
        assert _bounced(nl) == 1
        nl.close()
