"""Sending an issue to every active subscriber, exactly once each.

The flow of :func:`send_issue`, one function per phase: ``_gate`` (read and parse the draft
once, check it, refuse what must not go out), ``_coordinate_or_join`` (the lease; freeze and
enqueue, see :mod:`pipeline.send.freeze`), ``_start_workers``, ``_supervise`` (lease renewal,
sweeps, progress, stop) and ``_finish`` (the report; the issue and the draft marked sent).

1. **Lease.** The process that takes the issue's lease (``lease_owner``/``lease_expires_at``)
   is the coordinator: it checks the issue, freezes it on the issue row (``frozen_html`` and
   ``frozen_text``: the body as mailed, which the archive shows; ``frozen_mime``: one MIME
   template) and enqueues one delivery per active subscriber in the same
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

import math
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from pipeline.draft.format import update_front_matter_with
from pipeline.errors import LinkletterError
from pipeline.models import utcnow
from pipeline.send.dkim import signer_from_settings
from pipeline.send.freeze import (freeze_and_enqueue, pre_send_check, render_for_send, requeue_dead,
                                  source_snapshot, template_bytes)
from pipeline.send.identity import new_owner, owner_is_dead
from pipeline.send.message import sender_address
from pipeline.send.pool import SmtpSession
from pipeline.send.status import SendStatus, aware, count_would_send, send_status, send_test
from pipeline.send.transports import parse_smtp_url
from pipeline.send.workers import (SendPacer, SendOptions, Work, load_template, outbox_name, run_connections,
                                   worker_process)
from pipeline.store import deliveries as dstore
from pipeline.store import issues as istore
from pipeline.states import DraftStatus, IssueStatus

__all__ = ["CheckRefused", "SendOptions", "SendRun", "SendReport", "SendError", "SendStatus", "send_issue", "send_test",
           "count_would_send", "send_status", "pre_send_check", "mark_draft_sent", "outbox_name", "SendPacer",
           "render_for_send", "source_snapshot", "template_bytes"]


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


@dataclass
class SendRun:
    """The options of one send (``send_issue(nl, draft, SendRun(...))``, or the same as keywords)."""

    workers: int = 1                  # processes; each opens smtp_connections / workers connections
    include_new: bool = False         # also mail those confirmed after the send began
    progress: Callable[[dict, int], None] | None = None  # (counts by state, total), a few times a second
    stop_event: threading.Event | None = None  # set: stop after the messages in flight
    force: bool = False               # skip the pre-send check
    render: Callable | None = None    # (nl, PreparedIssue) -> RenderedEmail; default: the render stage's
    options: SendOptions | None = None  # tuning of the engine


@dataclass
class _Send:
    """One send while it runs: what the phases hand on to each other."""

    run: SendRun
    opt: SendOptions
    stop_event: threading.Event
    prepared: object  # the PreparedIssue
    owner: str = field(default_factory=new_owner)
    t0: float = field(default_factory=time.monotonic)
    issue_id: int = 0
    role: str = "coordinator"
    loaded: dict | None = None  # the sources the check loaded
    started: datetime | None = None
    work: Work | None = None
    threads: list = field(default_factory=list)
    procs: list = field(default_factory=list)
    mp_stop: object = None
    results: object = None
    stopped: bool = False
    signer: object = None

    @property
    def draft(self):
        return self.prepared.draft


# ---------------------------------------------------------------- the send

def send_issue(nl, draft_path, run: SendRun | None = None, **options) -> SendReport:
    """Send the issue of ``draft_path`` to every active subscriber who hasn't got it yet.
    ``run`` (or the same fields as keywords, see :class:`SendRun`) holds the options.

    Safe to run again at any time (after a crash it resumes; after the end it sends nothing),
    and in several processes or machines at once (they split the deliveries).
    """
    from pipeline.render.issue import prepare

    run = run or SendRun(**options)
    s = _Send(run=run, opt=run.options or SendOptions(), stop_event=run.stop_event or threading.Event(),
              prepared=prepare(nl, Path(draft_path)))  # the one read and parse of the draft
    done = _gate(nl, s)
    if done is not None:
        return done
    try:
        _coordinate_or_join(nl, s)
        _start_workers(nl, s)
        _supervise(nl, s)
        return _finish(nl, s)
    finally:
        _shut_down(nl, s)


def _gate(nl, s: _Send) -> SendReport | None:
    """Refuse what must not go out; make sure the issue row exists. A report: nothing to do."""
    draft, settings = s.draft, nl.settings
    with nl.engine.connect() as conn:
        known = istore.issue_by_number(conn, draft.issue)
    # The check guards what goes out; once a send has started its content is frozen, so a
    # resume (or a run after the end) does not check again: a source gone down since must
    # not keep the rest of the subscribers from getting what the first ones got.
    if not s.run.force and (known is None or known["send_started_at"] is None):
        report = pre_send_check(nl, s.prepared)
        if report.error_messages():
            raise CheckRefused(report.error_messages())
        s.loaded = report.sources
    s.signer = signer_from_settings(settings)  # a bad DKIM key is an error before anything is frozen
    if settings.smtp_url:
        _probe(settings, s.opt)  # a wrong address or password is one clear error, before anything is frozen
    with nl.engine.begin() as conn:
        s.issue_id = istore.ensure_issue(conn, number=draft.issue, slug=draft.slug, title=draft.title,
                                         subject=draft.subject_line, draft_path=str(draft.path))
        row = istore.issue_by_id(conn, s.issue_id)
    if draft.status == DraftStatus.SENT and row["send_started_at"] is None:
        raise LinkletterError(f"{draft.path.name} says 'status: sent' but this newsletter never sent issue "
                              f"{draft.issue}; to send it, set 'status: ready' in its front matter")
    if row["status"] == IssueStatus.SENT and not s.run.include_new:
        mark_draft_sent(draft.path, aware(row["send_started_at"]) or aware(row["sent_at"]) or utcnow())
        report = _report(nl, s.issue_id, draft.issue)
        report.already_sent = report.finished = True
        return report
    s.role = _take_lease(nl, s.issue_id, s.owner, row["lease_owner"])
    return None


def _lease(settings) -> timedelta:
    return timedelta(seconds=max(settings.send_lease_seconds, 1))


def _coordinate_or_join(nl, s: _Send) -> None:
    """The coordinator freezes and enqueues; a helper waits until that is done."""
    if s.role == "coordinator":
        freeze_and_enqueue(nl, s.issue_id, s.owner, s.prepared, include_new=s.run.include_new, render=s.run.render,
                           loaded=s.loaded)
    else:
        _wait_frozen(nl, s.issue_id, _lease(nl.settings).total_seconds())
    with nl.engine.connect() as conn:
        s.started = aware(istore.issue_by_id(conn, s.issue_id)["send_started_at"])


def _start_workers(nl, s: _Send) -> None:
    """Connection threads in this process, or ``workers`` processes with their own."""
    settings, workers = nl.settings, s.run.workers
    template, number = load_template(settings, nl.engine, s.issue_id)
    s.work = Work(settings=settings, engine=nl.engine, issue_id=s.issue_id, issue_number=number, owner=s.owner,
                  template=template, signer=s.signer, options=s.opt, stop=threading.Event(),
                  limiter=SendPacer(settings.smtp_rate / max(1, workers)))
    connections = max(1, settings.smtp_connections) if settings.smtp_url else 1
    if s.stop_event.is_set():  # asked to stop before the first message: frozen and queued, nothing sent
        s.work.stop.set()
    if workers <= 1:
        s.threads = run_connections(s.work, connections)
        return
    ctx = multiprocessing.get_context("spawn")
    s.mp_stop, s.results = ctx.Event(), ctx.Queue()
    if s.stop_event.is_set():
        s.mp_stop.set()
    per = max(1, math.ceil(connections / workers))
    s.procs = [ctx.Process(target=worker_process, daemon=True,
                           args=(settings, s.issue_id, per, settings.smtp_rate / workers, s.opt, s.mp_stop,
                                 s.results, os.getpid()))
               for _ in range(workers)]
    for p in s.procs:
        p.start()


def _supervise(nl, s: _Send) -> None:
    """Until the workers end: pass on a stop, renew the lease, requeue dead claims, report progress."""
    lease = _lease(nl.settings)
    last_renew = last_sweep = time.monotonic()
    while any(t.is_alive() for t in s.threads) or any(p.is_alive() for p in s.procs):
        if s.stop_event.is_set() and not s.stopped:
            s.stopped = True
            s.work.stop.set()
            if s.mp_stop is not None:
                s.mp_stop.set()
        now_m = time.monotonic()
        if s.role == "coordinator" and now_m - last_renew > lease.total_seconds() / 3:
            with nl.engine.begin() as conn:
                if not istore.renew_lease(conn, s.issue_id, s.owner, utcnow() + lease):
                    s.role = "helper"  # someone took over (we looked dead); keep sending claims only
            last_renew = now_m
        if s.role == "coordinator" and now_m - last_sweep > 1.0:
            requeue_dead(nl, s.issue_id, lease)
            last_sweep = now_m
        _progress(nl, s)
        try:
            for t in s.threads:
                t.join(s.opt.poll / max(1, len(s.threads)))
            for p in s.procs:
                p.join(s.opt.poll / max(1, len(s.procs)))
        except KeyboardInterrupt:  # Ctrl-C: stop like SIGTERM, after the messages in flight
            s.stop_event.set()


def _progress(nl, s: _Send) -> None:
    if s.run.progress:
        with nl.engine.connect() as conn:
            counts = dstore.counts_by_state(conn, s.issue_id)
        s.run.progress(counts, sum(counts.values()))


def _finish(nl, s: _Send) -> SendReport:
    """The report; when every delivery is done, the issue and the draft are marked sent."""
    work = s.work
    report = _report(nl, s.issue_id, work.issue_number)
    report.role = s.role
    report.stopped = s.stopped or s.stop_event.is_set()
    report.sent_now = work.sent_now
    for _p in s.procs:
        try:
            n, fatal = s.results.get(timeout=1)
        except Exception:  # a worker process that died without a word (killed)
            continue
        report.sent_now += n
        work.fatal = work.fatal or fatal
    if work.fatal:
        report.errors.append(work.fatal)
    if report.pending == 0 and not work.fatal:
        if s.role == "coordinator" or _take_lease(nl, s.issue_id, s.owner, None) == "coordinator":
            _finalize(nl, s.issue_id, s.draft.path, s.started)
            report.finished = True
    _progress(nl, s)
    report.duration = time.monotonic() - s.t0
    if work.fatal and not report.stopped:
        raise SendError(work.fatal, report)
    return report


def _shut_down(nl, s: _Send) -> None:
    """Also on an error: nothing may go on sending in the background of the caller."""
    if s.work is not None:
        s.work.stop.set()
    if s.mp_stop is not None:
        s.mp_stop.set()
    for t in s.threads:
        t.join()
    for p in s.procs:
        p.join()
    if s.work is not None and s.work.recorder is not None:
        s.work.recorder.close()
    with nl.engine.begin() as conn:
        istore.release_lease(conn, s.issue_id, s.owner)


def _finalize(nl, issue_id: int, draft_path: Path, started: datetime | None) -> None:
    with nl.engine.begin() as conn:
        istore.mark_issue_sent(conn, issue_id, utcnow())
    mark_draft_sent(draft_path, started or utcnow())


def mark_draft_sent(draft_path: Path, when: datetime) -> None:
    """The draft's front matter becomes ``status: sent`` with the ``date`` it went out. The
    file is read again here on purpose: the author may have edited it during a long send."""
    def changes(draft) -> dict:
        if draft.status == DraftStatus.SENT and draft.date is not None:
            return {}
        return {"status": "sent", "date": (draft.date or aware(when).astimezone()).replace(microsecond=0)}

    update_front_matter_with(draft_path, changes)


def _report(nl, issue_id: int, number: int) -> SendReport:
    with nl.engine.connect() as conn:
        counts = dstore.counts_by_state(conn, issue_id)
        bounced = dstore.bounced_count(conn, issue_id)
    return SendReport(issue=number, total=sum(counts.values()), sent=counts.get("sent", 0),
                      failed=counts.get("failed", 0), bounced=bounced,
                      pending=counts.get("queued", 0) + counts.get("sending", 0))


class CheckRefused(LinkletterError):
    """The pre-send check found problems: nothing was frozen or sent."""

    def __init__(self, problems: list[str]):
        super().__init__("the pre-send check found problems; fix the draft, or send it anyway with "
                         "`linkletter send DRAFT --force`:\n  " + "\n  ".join(problems))
        self.problems = problems


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
