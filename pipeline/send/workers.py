"""The workers of a send: each SMTP connection (or the outbox) in its own thread claims a batch
of deliveries, sends each message and records each outcome before the next; ``--workers N``
runs the same threads in N processes. See :mod:`pipeline.send.campaign` for the whole flow.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, NamedTuple

from pipeline.errors import LinkletterError
from pipeline.files import private_dir
from pipeline.models import utcnow
from pipeline.send.dkim import DkimSigner, signer_from_settings
from pipeline.send.identity import new_owner
from pipeline.send.message import AddressError, MessageTemplate, dot_stuff, sender_address, smtp_address
from pipeline.send.pool import MessageRejected, RecipientRejected, SmtpSession, TemporaryFailure
from pipeline.send.recorder import Recorder
from pipeline.send.transports import TransportError, parse_smtp_url, write_outbox
from pipeline.inbound.addresses import verp_address
from pipeline.store import deliveries as dstore
from pipeline.store import events as estore
from pipeline.store import issues as istore


@dataclass(frozen=True)
class SendOptions:
    """Tuning of the engine; the defaults suit a real relay. Tests shorten the waits."""

    # A temporary failure (4xx) is retried with capped exponential backoff until the next try would
    # come more than ``retry_window`` seconds after the first one. Greylisting often asks for 5 to 15
    # minutes; a fixed number of fast retries (8 from 2 s: about 4 minutes in all) gave up before
    # that. With these defaults the tries come 2 s, 6 s, ... 8.5 min, 17 min, 27 min, ... 57 min
    # after the first: 14 attempts in an hour. ``max_attempts`` only caps the count as a safety net.
    batch_size: int = 50            # deliveries claimed at once by one connection
    max_attempts: int = 20          # a delivery with this many temporary failures fails for good
    retry_base: float = 2.0         # seconds before the first retry; doubles per attempt
    retry_max: float = 600.0        # longest wait between two attempts
    retry_window: float = 3600.0    # no retry later than this after a delivery's first attempt
    connect_attempts: int = 6       # a connection that can't be opened this often in a row gives up
    poll: float = 0.25              # how often idle workers and the progress look again
    timeout: float = 60.0           # SMTP socket timeout


class SendPacer:
    """At most ``rate`` messages per second over all threads of this process (0: no limit): it
    paces senders, unlike ``pipeline.web.ratelimit.RateLimiter``, which refuses requests."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.next = clock()
        self.lock = threading.Lock()

    def wait(self, stop: threading.Event) -> None:
        """Sleep (interruptibly, on ``stop``) until this caller's slot comes."""
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            slot = max(self.next, now)
            self.next = slot + self.interval
        if slot > now:
            stop.wait(slot - now)


class SmtpMessenger:
    def __init__(self, settings, options: SendOptions):
        self.session = SmtpSession(parse_smtp_url(settings.smtp_url), sender_address(settings.sender),
                                   timeout=options.timeout)
        self.stuffed = True

    def open(self) -> None:
        self.session.open()

    def deliver(self, issue: int, subscriber_id: int, rcpt: str, data: bytes, next_rcpt: str | None = None, *,
                sender: str | None = None, next_sender: str | None = None) -> None:
        self.session.deliver(rcpt, data, next_rcpt, sender=sender, next_sender=next_sender)

    def discard(self) -> None:
        self.session.discard()

    def close(self) -> None:
        self.session.close()


class OutboxMessenger:
    """One .eml per delivery, named by (issue, subscriber): a resumed send rewrites, never adds."""

    def __init__(self, settings, options: SendOptions):
        self.dir = settings.outbox_dir
        self.stuffed = False

    def open(self) -> None:
        private_dir(self.dir)

    def deliver(self, issue: int, subscriber_id: int, rcpt: str, data: bytes, next_rcpt: str | None = None, *,
                sender: str | None = None, next_sender: str | None = None) -> None:
        if sender:  # the envelope sender, recorded as an MTA's delivery agent would
            data = b"Return-Path: <" + sender.encode("ascii") + b">\r\n" + data
        write_outbox(self.dir, data, outbox_name(issue, subscriber_id))

    def discard(self) -> None:
        pass

    def close(self) -> None:
        pass


def outbox_name(issue: int, subscriber_id: int) -> str:
    return f"issue-{issue:04d}-sub-{subscriber_id:08d}.eml"


def make_messenger(settings, options: SendOptions):
    return SmtpMessenger(settings, options) if settings.smtp_url else OutboxMessenger(settings, options)


def personalize(template: MessageTemplate, signer: DkimSigner | None, subscriber_id: int, email: str, name: str,
                stuffed: bool, generation: int = 0) -> bytes:
    if signer is None:
        fill = template.fill_stuffed if stuffed else template.fill
        return fill(subscriber_id, email, name, generation)
    signed = signer.sign(template.fill(subscriber_id, email, name, generation))
    return dot_stuff(signed) if stuffed else signed


@dataclass
class Work:
    """What the connection threads of one process share."""

    settings: object
    engine: object
    issue_id: int
    issue_number: int
    owner: str
    template: MessageTemplate
    signer: DkimSigner | None
    options: SendOptions
    stop: threading.Event
    limiter: SendPacer
    recorder: Recorder | None = None
    sent_now: int = 0
    fatal: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, message: str) -> None:
        with self.lock:
            if self.fatal is None:
                self.fatal = message
        self.stop.set()

    def count_sent(self) -> None:
        with self.lock:
            self.sent_now += 1

    def envelope(self, delivery_id: int | None) -> str | None:
        """The delivery's own envelope sender (VERP) when ``bounce_address`` is set."""
        return verp_address(self.settings, delivery_id) if delivery_id is not None else None


def backoff(options: SendOptions, attempts: int) -> float:
    return min(options.retry_max, options.retry_base * (2 ** max(attempts, 0)))


def retry_delay(options: SendOptions, attempts: int) -> float | None:
    """Seconds to wait after a delivery's temporary failure, when ``attempts`` earlier attempts had
    failed too; None to give up (see SendOptions). The time since the first attempt is the sum
    of the earlier waits (the schema keeps no first-attempt time; the few seconds a try takes
    are not counted, which only makes the real window a little longer)."""
    if attempts + 1 >= options.max_attempts:
        return None
    waited = sum(backoff(options, i) for i in range(attempts))
    wait = backoff(options, attempts)
    return wait if waited + wait <= options.retry_window else None


class Mailing(NamedTuple):
    """A claimed delivery about to be mailed."""

    delivery_id: int
    subscriber_id: int
    attempts: int
    rcpt: str  # the address as SMTP takes it
    email: str
    name: str
    link_generation: int = 0


_GONE = dstore.Recipient("", "", "gone")


def _mailable(rec: Recorder, batch: list, subs: dict) -> list[Mailing]:
    """The claims still to be mailed; the others (unsubscribed or bounced since the send
    began, or an address that cannot be mailed) are marked failed, unattempted."""
    items = []
    for claim in batch:
        did = claim.delivery_id
        who = subs.get(claim.subscriber_id, _GONE)
        if who.status != "active":
            rec.write(lambda c, did=did, status=who.status: dstore.mark_failed(
                c, did, f"not sent: the subscriber is {status}", attempted=False))
            continue
        try:
            items.append(Mailing(did, claim.subscriber_id, claim.attempts, smtp_address(who.email), who.email,
                                 who.name, who.link_generation))
        except AddressError as e:
            rec.write(lambda c, did=did, e=e: dstore.mark_failed(c, did, str(e), attempted=False))
    return items


def connection_loop(work: Work, index: int) -> None:
    """One connection: claim a batch, send each message, record each outcome before the next."""
    # Longer than 60 lines on purpose: claim, send and record in one visible order is what
    # makes a send exactly-once (the outcome of a message is written before the next one goes).
    claimer = f"{work.owner}/{index}"
    opt, issue_id, rec = work.options, work.issue_id, work.recorder
    messenger = make_messenger(work.settings, opt)
    look_ahead = not work.limiter.interval  # with a rate limit, don't hold a DATA open while waiting
    connect_failures = 0
    renew_every = max(work.settings.send_lease_seconds, 1) / 3

    def release(ids: list[int]) -> None:
        rec.write(lambda c: dstore.release_claims(c, ids, claimer))

    try:
        with work.engine.connect() as conn:  # reads only; every write goes through the recorder
            while not work.stop.is_set():
                batch = rec.write(lambda c: dstore.claim_deliveries(c, issue_id, claimer, opt.batch_size, utcnow()))
                if not batch:
                    counts = dstore.counts_by_state(conn, issue_id)
                    conn.rollback()
                    if not counts.get("queued") and not counts.get("sending"):
                        return
                    work.stop.wait(opt.poll)
                    continue
                renewed = time.monotonic()
                subs = dstore.subscribers_by_id(conn, [c.subscriber_id for c in batch])
                conn.rollback()
                items = _mailable(rec, batch, subs)
                for pos, (did, sid, attempts, rcpt, email, name, generation) in enumerate(items):
                    if work.stop.is_set():
                        messenger.discard()
                        release([it.delivery_id for it in items[pos:]])
                        return
                    if time.monotonic() - renewed > renew_every:
                        rec.write(lambda c: dstore.touch_claims(c, claimer, utcnow()))
                        renewed = time.monotonic()
                    data = personalize(work.template, work.signer, sid, email, name, messenger.stuffed, generation)
                    after = items[pos + 1] if look_ahead and pos + 1 < len(items) else None
                    work.limiter.wait(work.stop)
                    try:
                        messenger.deliver(work.issue_number, sid, rcpt, data, after and after.rcpt, sender=work.envelope(did),
                                          next_sender=work.envelope(after and after.delivery_id))
                    except RecipientRejected as e:
                        rec.write(lambda c, e=e: (dstore.mark_failed(c, did, str(e)), dstore.bounce_subscriber(c, sid),
                                                  estore.record_smtp_refusal(c, did, sid, work.issue_number, email, str(e))))
                        connect_failures = 0
                        continue
                    except MessageRejected as e:
                        rec.write(lambda c, e=e: dstore.mark_failed(c, did, str(e)))
                        continue
                    except TemporaryFailure as e:
                        if messenger.stuffed and messenger.session.conn is None and "cannot reach" in str(e):
                            # the server is away: not this delivery's fault; hand the batch back and wait
                            release([it.delivery_id for it in items[pos:]])
                            connect_failures += 1
                            if connect_failures >= opt.connect_attempts:
                                work.fail(str(e))
                                return
                            work.stop.wait(backoff(opt, connect_failures - 1))
                            break
                        delay = retry_delay(opt, attempts)
                        if delay is None:
                            msg = f"gave up after {attempts + 1} attempts: {e}"
                            rec.write(lambda c: dstore.mark_failed(c, did, msg))
                        else:
                            due = utcnow() + timedelta(seconds=delay)
                            rec.write(lambda c, e=e: dstore.mark_retry(c, did, str(e), due))
                        continue
                    except TransportError as e:  # refused sender or login: every message would fail
                        messenger.discard()
                        release([it.delivery_id for it in items[pos:]])
                        work.fail(str(e))
                        return
                    except OSError as e:  # the outbox folder
                        release([it.delivery_id for it in items[pos:]])
                        work.fail(f"cannot write to the outbox: {e}")
                        return
                    rec.write_many(dstore.mark_sent_many, (did, utcnow()))
                    connect_failures = 0
                    work.count_sent()
                messenger.discard()  # nothing may stay open ahead past the batch
    except Exception as e:  # a database error: stop everyone, keep the message for the report
        work.fail(f"{type(e).__name__}: {e}")
    finally:
        messenger.close()


def run_connections(work: Work, connections: int) -> list[threading.Thread]:
    work.recorder = work.recorder or Recorder(work.engine)
    threads = [threading.Thread(target=connection_loop, args=(work, i), name=f"send-{i}", daemon=True)
               for i in range(connections)]
    for t in threads:
        t.start()
    return threads


def load_template(settings, engine, issue_id: int) -> tuple[MessageTemplate, int]:
    with engine.connect() as conn:
        row = istore.issue_by_id(conn, issue_id)
    if row is None or row["frozen_mime"] is None:
        raise LinkletterError(f"issue {issue_id} has no frozen message to send")
    return MessageTemplate.from_settings(settings, bytes(row["frozen_mime"]), row["number"]), row["number"]


def worker_process(settings, issue_id: int, connections: int, rate: float, options: SendOptions, stop, results,
                    parent: int) -> None:
    """A worker process of ``--workers N``: its own engine and connections, same claims."""
    from pipeline.db import make_engine

    engine = make_engine(settings.database_url)
    template, number = load_template(settings, engine, issue_id)
    local_stop = threading.Event()
    work = Work(settings=settings, engine=engine, issue_id=issue_id, issue_number=number, owner=new_owner(),
                 template=template, signer=signer_from_settings(settings), options=options, stop=local_stop,
                 limiter=SendPacer(rate))
    if stop.is_set():
        local_stop.set()
    threads = run_connections(work, connections)
    while any(t.is_alive() for t in threads):
        if stop.is_set() or os.getppid() != parent:  # asked to stop, or the coordinator died
            local_stop.set()
        for t in threads:
            t.join(0.1)
    work.recorder.close()
    results.put((work.sent_now, work.fatal))
    engine.dispose()


