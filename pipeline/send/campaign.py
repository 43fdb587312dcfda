"""Sending an issue to every active subscriber, exactly once each.

The flow of :func:`send_issue`:

1. **Lease.** The process that takes the issue's lease (``lease_owner``/``lease_expires_at``)
   is the coordinator: it freezes the rendered issue on the issue row (``frozen_*``, built
   into one MIME template) and enqueues one delivery per active subscriber in the same
   transaction, renews the lease while it runs, requeues claims of dead workers, and marks the
   issue and the draft sent at the end. A process that finds the lease held by a live process
   joins as a helper and only claims deliveries. A lease held by a dead process on this
   machine is taken over at once; one held elsewhere, when it expires.
2. **Claims.** Each SMTP connection claims a batch of due deliveries with one atomic
   statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so connections, worker processes and
   machines split the work without overlap.
3. **Send and record.** Each message is the template filled for its subscriber; the delivery is
   marked sent the moment the server accepted it, before the next message on that connection.
   A SIGKILL can therefore repeat at most one message per open connection.
4. **Outcomes.** 4xx or a broken connection: retried later with exponential backoff. 5xx to
   the recipient: the delivery failed and the subscriber is marked bounced. 5xx to the
   message: the delivery failed. 5xx to our sender, or a refused login: the send stops.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from pipeline.draft.format import Draft, read_draft, update_front_matter
from pipeline.errors import LinkletterError
from pipeline.models import utcnow
from pipeline.send.dkim import signer_from_settings
from pipeline.send.identity import new_owner, owner_is_dead
from pipeline.send.message import MessageTemplate, build_template, new_unsubscribe_marker, sender_address, smtp_address
from pipeline.send.pool import SmtpSession
from pipeline.send.single import send_message
from pipeline.send.transports import parse_smtp_url
from pipeline.send.workers import (RateLimiter, SendOptions, Work, load_template, outbox_name, run_connections,
                                   worker_process)
from pipeline.store import deliveries as dstore
from pipeline.store import issues as istore

log = logging.getLogger("linkletter.send")

__all__ = ["SendOptions", "SendReport", "SendError", "SendStatus", "send_issue", "send_test", "count_would_send",
           "send_status", "pre_send_check", "mark_draft_sent", "outbox_name", "RateLimiter"]


@dataclass
class SendReport:
    issue: int
    total: int = 0            # deliveries of the issue
    sent: int = 0
    failed: int = 0
    bounced: int = 0          # of the failed: refused recipients, now marked bounced
    pending: int = 0          # queued or in flight (a stopped send, or retries still waiting)
    sent_now: int = 0         # what this run sent
    duration: float = 0.0
    already_sent: bool = False
    finished: bool = False    # every delivery done; the issue and the draft are marked sent
    stopped: bool = False
    role: str = "coordinator"  # or 'helper' when another process held the lease
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent_now / self.duration if self.duration > 0 else 0.0

    def summary(self) -> str:
        if self.already_sent:
            return f"Issue {self.issue} was already sent ({self.sent} sent, {self.failed} failed); nothing to do."
        line = (f"Issue {self.issue}: {self.sent} sent, {self.failed} failed ({self.bounced} bounced), "
                f"{self.pending} pending; this run sent {self.sent_now} in {self.duration:.1f} s "
                f"({self.rate:.0f}/s).")
        if self.finished:
            line += " Every delivery is done; the issue is marked sent."
        elif self.stopped:
            line += " Stopped; run the same command again to go on."
        return line


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


# ---------------------------------------------------------------- the pre-send check hook

def pre_send_check(nl, draft: Draft) -> list[str]:
    """Problems that should stop a send: `linkletter check`'s errors (quotes not found in their
    sources, dead links, missing title, leftover placeholders), one 'file:line: message' each.
    Empty: nothing found. ``--force`` skips it."""
    from pipeline.check import check_draft

    return check_draft(nl, draft.path).error_messages()


def source_snapshot(nl, draft: Draft) -> str | None:
    """The cited sources' text and metadata, kept with the issue when it goes out (a record that
    outlasts link rot). A snapshot that cannot be made never stops a send."""
    from pipeline.check import snapshot_sources

    try:
        return snapshot_sources(nl, draft)
    except Exception as e:  # noqa: BLE001 (the send matters more than its record)
        log.warning("issue %s: no source snapshot: %s", draft.issue, e)
        return None


# ---------------------------------------------------------------- rendering and the template

def render_for_send(nl, draft: Draft):
    """The render stage's email: subject, html, text holding a marker made for this issue where
    the unsubscribe URL goes (its content can't hold it, see pipeline.send.message)."""
    from pipeline.render.email import render_issue

    return render_issue(nl, draft, unsubscribe_url=new_unsubscribe_marker())


def template_bytes(settings, rendered, *, test: bool = False) -> bytes:
    subject = rendered.subject if not test else f"[Test] {rendered.subject}"
    return build_template(settings, issue=rendered.issue, subject=subject, html=rendered.html, text=rendered.text,
                          test=test, marker=getattr(rendered, "unsubscribe_url", None))


# ---------------------------------------------------------------- the send

def _finalize(nl, issue_id: int, draft_path: Path, started: datetime | None) -> None:
    with nl.engine.begin() as conn:
        istore.mark_issue_sent(conn, issue_id, utcnow())
    mark_draft_sent(draft_path, started or utcnow())


def mark_draft_sent(draft_path: Path, when: datetime) -> None:
    """The draft's front matter becomes ``status: sent`` with the ``date`` it went out."""
    draft = read_draft(draft_path)
    if draft.status != "sent" or draft.date is None:
        update_front_matter(draft_path, status="sent", date=(draft.date or _aware(when)).replace(microsecond=0))


def _report(nl, issue_id: int, number: int) -> SendReport:
    with nl.engine.connect() as conn:
        counts = dstore.counts_by_state(conn, issue_id)
        bounced = dstore.bounced_count(conn, issue_id)
    return SendReport(issue=number, total=sum(counts.values()), sent=counts.get("sent", 0),
                      failed=counts.get("failed", 0), bounced=bounced,
                      pending=counts.get("queued", 0) + counts.get("sending", 0))


def send_issue(nl, draft_path, *, workers: int = 1, include_new: bool = False,
               progress: Callable[[dict, int], None] | None = None, stop_event: threading.Event | None = None,
               force: bool = False, render: Callable | None = None, options: SendOptions | None = None) -> SendReport:
    """Send the issue of ``draft_path`` to every active subscriber who hasn't got it yet.

    Safe to run again at any time (after a crash it resumes; after the end it sends nothing),
    and in several processes or machines at once (they split the deliveries).
    ``progress(counts, total)`` is called a few times a second; setting ``stop_event`` stops
    after the messages in flight, leaving the rest queued for the next run.
    """
    opt = options or SendOptions()
    settings = nl.settings
    stop_event = stop_event or threading.Event()
    t0 = time.monotonic()
    draft_path = Path(draft_path)
    draft = read_draft(draft_path)
    with nl.engine.connect() as conn:
        known = istore.issue_by_number(conn, draft.issue)
    # The check guards what goes out; once a send has started its content is frozen, so a
    # resume (or a run after the end) does not check again: a source gone down since must
    # not keep the rest of the subscribers from getting what the first ones got.
    if not force and (known is None or known["send_started_at"] is None):
        problems = pre_send_check(nl, draft)
        if problems:
            raise LinkletterError("the pre-send check found problems; fix the draft, or send it anyway with "
                                  "`linkletter send DRAFT --force`:\n  "
                                  + "\n  ".join(problems))
    signer = signer_from_settings(settings)
    if settings.smtp_url:
        _probe(settings, opt)  # a wrong address or password is one clear error, before anything is frozen

    owner = new_owner()
    with nl.engine.begin() as conn:
        issue_id = istore.ensure_issue(conn, number=draft.issue, slug=draft.slug, title=draft.title,
                                       subject=draft.subject_line, draft_path=str(draft_path))
        row = istore.issue_by_id(conn, issue_id)
    if draft.status == "sent" and row["send_started_at"] is None:
        raise LinkletterError(f"{draft_path.name} says 'status: sent' but this newsletter never sent issue "
                              f"{draft.issue}; to send it, set 'status: ready' in its front matter")
    if row["status"] == "sent" and not include_new:
        mark_draft_sent(draft_path, _aware(row["send_started_at"]) or _aware(row["sent_at"]) or utcnow())
        report = _report(nl, issue_id, draft.issue)
        report.already_sent = report.finished = True
        return report

    role = _take_lease(nl, issue_id, owner, row["lease_owner"])
    lease = timedelta(seconds=max(settings.send_lease_seconds, 1))
    work: Work | None = None
    threads: list[threading.Thread] = []
    procs: list = []
    mp_stop = None
    try:
        if role == "coordinator":
            _prepare(nl, issue_id, owner, draft, include_new=include_new, render=render or render_for_send)
        else:
            _wait_frozen(nl, issue_id, lease.total_seconds())
        with nl.engine.connect() as conn:
            row = istore.issue_by_id(conn, issue_id)
        started = _aware(row["send_started_at"])

        template, number = load_template(settings, nl.engine, issue_id)
        work = Work(settings=settings, engine=nl.engine, issue_id=issue_id, issue_number=number, owner=owner,
                     template=template, signer=signer, options=opt, stop=threading.Event(),
                     limiter=RateLimiter(settings.smtp_rate / max(1, workers)))
        connections = max(1, settings.smtp_connections) if settings.smtp_url else 1
        if stop_event.is_set():  # asked to stop before the first message: frozen and queued, nothing sent
            work.stop.set()
        results = None
        if workers > 1:
            ctx = multiprocessing.get_context("spawn")
            mp_stop, results = ctx.Event(), ctx.Queue()
            if stop_event.is_set():
                mp_stop.set()
            per = max(1, math.ceil(connections / workers))
            rate = settings.smtp_rate / workers
            procs = [ctx.Process(target=worker_process, daemon=True,
                                 args=(settings, issue_id, per, rate, opt, mp_stop, results, os.getpid()))
                     for _ in range(workers)]
            for p in procs:
                p.start()
        else:
            threads = run_connections(work, connections)

        last_renew = last_sweep = time.monotonic()
        stopped = False
        while any(t.is_alive() for t in threads) or any(p.is_alive() for p in procs):
            if stop_event.is_set() and not stopped:
                stopped = True
                work.stop.set()
                if mp_stop is not None:
                    mp_stop.set()
            now_m = time.monotonic()
            if role == "coordinator" and now_m - last_renew > lease.total_seconds() / 3:
                with nl.engine.begin() as conn:
                    if not istore.renew_lease(conn, issue_id, owner, utcnow() + lease):
                        role = "helper"  # someone took over (we looked dead); keep sending claims only
                last_renew = now_m
            if role == "coordinator" and now_m - last_sweep > 1.0:
                _requeue_dead(nl, issue_id, lease)
                last_sweep = now_m
            if progress:
                with nl.engine.connect() as conn:
                    counts = dstore.counts_by_state(conn, issue_id)
                progress(counts, sum(counts.values()))
            try:
                for t in threads:
                    t.join(opt.poll / max(1, len(threads)))
                for p in procs:
                    p.join(opt.poll / max(1, len(procs)))
            except KeyboardInterrupt:  # Ctrl-C: stop like SIGTERM, after the messages in flight
                stop_event.set()

        report = _report(nl, issue_id, number)
        report.role = role
        report.stopped = stopped or stop_event.is_set()
        report.sent_now = work.sent_now
        for _p in procs:
            try:
                n, fatal = results.get(timeout=1)
            except Exception:  # a worker process that died without a word (killed)
                continue
            report.sent_now += n
            work.fatal = work.fatal or fatal
        if work.fatal:
            report.errors.append(work.fatal)
        if report.pending == 0 and not work.fatal:
            if role == "coordinator" or _take_lease(nl, issue_id, owner, None) == "coordinator":
                _finalize(nl, issue_id, draft_path, started)
                report.finished = True
        if progress:
            with nl.engine.connect() as conn:
                counts = dstore.counts_by_state(conn, issue_id)
            progress(counts, sum(counts.values()))
        report.duration = time.monotonic() - t0
        if work.fatal and not report.stopped:
            raise SendError(work.fatal, report)
        return report
    finally:
        # also on an error: nothing may go on sending in the background of the caller
        if work is not None:
            work.stop.set()
        if mp_stop is not None:
            mp_stop.set()
        for t in threads:
            t.join()
        for p in procs:
            p.join()
        if work is not None and work.recorder is not None:
            work.recorder.close()
        with nl.engine.begin() as conn:
            istore.release_lease(conn, issue_id, owner)


class SendError(LinkletterError):
    """The send stopped on an error every message would meet (refused sender or login, server
    gone for good). Deliveries not sent stay queued for the next run."""

    def __init__(self, message: str, report: SendReport):
        super().__init__(f"the send stopped: {message}\n{report.summary()}")
        self.report = report


def _probe(settings, opt: SendOptions) -> None:
    """Open and close one connection first, so a wrong address or password is one clear error."""
    session = SmtpSession(parse_smtp_url(settings.smtp_url), sender_address(settings.sender), timeout=opt.timeout)
    try:
        session.open()
    finally:
        session.close()


def _take_lease(nl, issue_id: int, owner: str, current: str | None) -> str:
    """'coordinator' when we got the issue's lease (free, expired, or its holder died on this
    machine), else 'helper'."""
    now = utcnow()
    lease = timedelta(seconds=max(nl.settings.send_lease_seconds, 1))
    take_from = current if owner_is_dead(current) else None
    with nl.engine.begin() as conn:
        if istore.acquire_lease(conn, issue_id, owner, now, now + lease, take_from=take_from):
            return "coordinator"
        row = istore.issue_by_id(conn, issue_id)
    if owner_is_dead(row["lease_owner"]):
        with nl.engine.begin() as conn:
            if istore.acquire_lease(conn, issue_id, owner, now, now + lease, take_from=row["lease_owner"]):
                return "coordinator"
    return "helper"


def _wait_frozen(nl, issue_id: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with nl.engine.connect() as conn:
            row = istore.issue_by_id(conn, issue_id)
        if row["send_started_at"] is not None:
            return
        if time.monotonic() > deadline:
            raise LinkletterError(f"issue {row['number']} is being prepared for sending by {row['lease_owner']}; "
                                  f"try again later")
        time.sleep(0.2)


def _prepare(nl, issue_id: int, owner: str, draft: Draft, *, include_new: bool, render: Callable) -> None:
    """Freeze and enqueue (first run), or requeue what a dead run left and add new subscribers."""
    with nl.engine.connect() as conn:
        row = istore.issue_by_id(conn, issue_id)
    if row["send_started_at"] is None:
        rendered = render(nl, draft)
        if rendered.issue != draft.issue:
            raise LinkletterError(f"the rendered email is issue {rendered.issue}, the draft is issue {draft.issue}")
        mime = template_bytes(nl.settings, rendered)
        snapshot = source_snapshot(nl, draft)
        started = utcnow()
        with nl.engine.begin() as conn:  # freeze and enqueue together: a crash leaves neither or both
            if istore.freeze_issue(conn, issue_id, owner, html=rendered.html, text=rendered.text, mime=mime,
                                   subject=rendered.subject, title=draft.title, started_at=started,
                                   snapshot=snapshot):
                dstore.enqueue_deliveries(conn, issue_id, confirmed_before=started)
    elif include_new:
        with nl.engine.begin() as conn:
            dstore.enqueue_deliveries(conn, issue_id, confirmed_before=None)
    _requeue_dead(nl, issue_id, timedelta(seconds=max(nl.settings.send_lease_seconds, 1)))


def _requeue_dead(nl, issue_id: int, lease: timedelta) -> None:
    with nl.engine.begin() as conn:
        dead = [c for c in dstore.claimers(conn, issue_id) if owner_is_dead(c)]
        dstore.requeue_claims_of(conn, issue_id, dead)
        dstore.requeue_stale_claims(conn, issue_id, utcnow() - lease)


# ---------------------------------------------------------------- test mail, dry run, status

def send_test(nl, draft_path, address: str, *, render: Callable | None = None) -> str:
    """One copy of the issue, marked as a test, to ``address``; no deliveries. Returns where it went."""
    draft = read_draft(draft_path)
    rendered = (render or render_for_send)(nl, draft)
    template = MessageTemplate.from_settings(nl.settings, template_bytes(nl.settings, rendered, test=True), draft.issue)
    rcpt = smtp_address(address)
    name = f"test-issue-{draft.issue:04d}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.eml"
    return send_message(nl.settings, template.fill(0, rcpt, ""), rcpt, name=name)


def count_would_send(nl, draft_path, *, include_new: bool = False) -> int:
    """How many subscribers a send of this draft would mail now (for --dry-run)."""
    draft = read_draft(draft_path)
    with nl.engine.connect() as conn:
        row = istore.issue_by_number(conn, draft.issue)
        if row is None or row["send_started_at"] is None:
            return dstore.count_recipients(conn, None, confirmed_before=None)
        counts = dstore.counts_by_state(conn, row["id"])
        waiting = counts.get("queued", 0) + counts.get("sending", 0)
        new = dstore.count_recipients(conn, row["id"], confirmed_before=None) if include_new else 0
        return waiting + new


@dataclass
class SendStatus:
    issue: int
    status: str
    counts: dict[str, int]
    bounced: int
    started_at: datetime | None
    sent_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None

    def lines(self) -> list[str]:
        c = self.counts
        out = [f"Issue {self.issue}: {self.status}",
               f"  deliveries: {sum(c.values())}  sent: {c.get('sent', 0)}  queued: {c.get('queued', 0)}  "
               f"sending: {c.get('sending', 0)}  failed: {c.get('failed', 0)} ({self.bounced} bounced)"]
        if self.started_at:
            out.append(f"  started: {self.started_at.isoformat(timespec='seconds')}")
        if self.sent_at:
            out.append(f"  finished: {self.sent_at.isoformat(timespec='seconds')}")
        if self.lease_owner:
            out.append(f"  being sent by {self.lease_owner}"
                       + (" (that process is gone)" if owner_is_dead(self.lease_owner) else ""))
        return out


def send_status(nl, draft_path=None) -> SendStatus:
    """Counts of the send of ``draft_path``'s issue, or of the issue sent most recently."""
    with nl.engine.connect() as conn:
        if draft_path is not None:
            number = read_draft(draft_path).issue
            row = istore.issue_by_number(conn, number)
            if row is None:
                raise LinkletterError(f"issue {number} has not been sent yet")
        else:
            row = istore.latest_sending_issue(conn)
            if row is None:
                raise LinkletterError("no issue has been sent yet")
        counts = dstore.counts_by_state(conn, row["id"])
        bounced = dstore.bounced_count(conn, row["id"])
    return SendStatus(issue=row["number"], status=row["status"], counts=counts, bounced=bounced,
                      started_at=_aware(row["send_started_at"]), sent_at=_aware(row["sent_at"]),
                      lease_owner=row["lease_owner"], lease_expires_at=_aware(row["lease_expires_at"]))
