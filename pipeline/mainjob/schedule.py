"""Scheduler wiring: APScheduler jobs for the main job's work (``pipeline/mainjob/jobs.py``),
kept in a job store in the newsletter's own database, so they are added once and keep their
next run times across restarts: after downtime a missed run runs once (coalesce) within the
grace time; at most one instance of each job runs at a time."""

from __future__ import annotations

import logging
import pickle
from datetime import datetime, timedelta, timezone

from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from pipeline.newsletter import Newsletter
from pipeline.settings import parse_interval

log = logging.getLogger("linkletter.scheduler")
JOBS_TABLE = "apscheduler_jobs"  # APScheduler's default name, said once

# job id -> (function reference, schedule key)
JOBS = {
    "collect": ("pipeline.mainjob.jobs:collect_job", "collect"),
    "send": ("pipeline.mainjob.jobs:send_job", "send"),
}
# the IMAP poll of what came back (issue 15): only with inbound_imap_url, every inbound_imap_interval
INBOUND_JOB = ("inbound", "pipeline.mainjob.jobs:inbound_job")


def trigger_for(expr: str, now: datetime | None = None):
    """An interval ('30m') from ``now`` (default: the clock) on, or a cron expression in the
    machine's local time zone."""
    seconds = parse_interval(expr)
    if seconds:
        start = now + timedelta(seconds=seconds) if now else None  # None: APScheduler's own now
        return IntervalTrigger(seconds=seconds, timezone=timezone.utc, start_date=start)
    return CronTrigger.from_crontab(expr)


def make_scheduler(nl: Newsletter) -> BackgroundScheduler:
    _ensure_jobs_table(nl)
    _drop_jobs_of_old_releases(nl)
    grace = parse_interval(nl.settings.schedule.grace) or 3600
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=nl.engine, tablename=JOBS_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        timezone=timezone.utc,
    )


def install_jobs(scheduler: BackgroundScheduler, nl: Newsletter, now: datetime | None = None) -> None:
    """Add each job once. An existing job keeps its next run time (so a run missed during
    downtime still happens), unless its schedule in linkletter.toml changed. ``now`` (default:
    the clock) is when this start happens, for tests."""
    root = str(nl.settings.root)
    now = now or datetime.now(timezone.utc)
    for job_id, (func, key) in JOBS.items():
        expr = getattr(nl.settings.schedule, key)
        trigger = trigger_for(expr, now)
        job = scheduler.get_job(job_id)
        if job is None:
            first = now if job_id == "send" else None
            try:
                scheduler.add_job(func, trigger, args=[root], id=job_id, name=job_id,
                                  **({"next_run_time": first} if first else {}))
                continue
            except (ConflictingIdError, IntegrityError):  # another `run` on this database added it just now
                job = scheduler.get_job(job_id)
        if str(job.trigger) != str(trigger) or list(job.args) != [root]:
            scheduler.modify_job(job_id, args=[root])
            scheduler.reschedule_job(job_id, trigger=trigger)
    _install_inbound(scheduler, nl, root, now)
    # the send check also runs at every start
    scheduler.modify_job("send", next_run_time=now)


def _install_inbound(scheduler: BackgroundScheduler, nl: Newsletter, root: str, now: datetime) -> None:
    job_id, func = INBOUND_JOB
    job = scheduler.get_job(job_id)
    if not nl.settings.inbound_imap_url:
        if job is not None:
            scheduler.remove_job(job_id)
        return
    trigger = trigger_for(nl.settings.inbound_imap_interval, now)
    if job is None:
        try:
            scheduler.add_job(func, trigger, args=[root], id=job_id, name=job_id)
            return
        except (ConflictingIdError, IntegrityError):
            job = scheduler.get_job(job_id)
    if str(job.trigger) != str(trigger) or list(job.args) != [root]:
        scheduler.modify_job(job_id, args=[root])
        scheduler.reschedule_job(job_id, trigger=trigger)


def _ensure_jobs_table(nl: Newsletter) -> None:
    """Create APScheduler's job table before the scheduler starts. Two `run` processes starting
    at once would both try to create it in ``scheduler.start`` and one would fail; here the one
    that loses the race finds the table made by the other and goes on."""
    table = SQLAlchemyJobStore(engine=nl.engine, tablename=JOBS_TABLE).jobs_t
    try:
        table.create(nl.engine, checkfirst=True)
    except DBAPIError:
        if not inspect(nl.engine).has_table(JOBS_TABLE):
            raise


def _drop_jobs_of_old_releases(nl: Newsletter) -> None:
    """A job stored by a release whose job functions lived elsewhere (``pipeline.jobs``) could
    not be restored by APScheduler; it is removed before the scheduler starts, so install_jobs
    adds it anew (the send check runs at every start anyway, the collect gets its schedule)."""
    known = {func for func, _key in JOBS.values()} | {INBOUND_JOB[1]}
    with nl.engine.begin() as conn:
        if not inspect(conn).has_table(JOBS_TABLE):
            return
        for job_id, state in conn.execute(text(f"SELECT id, job_state FROM {JOBS_TABLE}")).all():
            if pickle.loads(state).get("func") not in known:
                log.info("replacing the job %s stored by an earlier release", job_id)
                conn.execute(text(f"DELETE FROM {JOBS_TABLE} WHERE id = :id"), {"id": job_id})
