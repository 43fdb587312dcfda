"""Queries about scheduled jobs: their last runs (job_runs) and their next run times
(APScheduler's own table, apscheduler_jobs, in the same database)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pipeline.models import JobRun, utcnow

SCHEDULER_TABLE = "apscheduler_jobs"


def record_job_start(session: Session, job_id: str) -> None:
    # Upsert by primary key: one row per job, so 'linkletter jobs' reads one row each.
    run = session.get(JobRun, job_id) or JobRun(job_id=job_id)
    run.last_run_at = utcnow()
    run.last_result = "running"
    session.add(run)


def record_job_result(session: Session, job_id: str, result: str | None, error: str | None) -> None:
    # 'failures' counts consecutive failures, so a job that keeps failing stands out and a
    # success resets it.
    run = session.get(JobRun, job_id) or JobRun(job_id=job_id, last_run_at=utcnow())
    run.last_result = result if error is None else "failed"
    run.last_error = error
    run.failures = 0 if error is None else run.failures + 1
    session.add(run)


def job_runs(session: Session) -> dict[str, JobRun]:
    return {r.job_id: r for r in session.exec(select(JobRun))}


def next_run_times(engine: Engine) -> dict[str, datetime | None]:
    # Read APScheduler's table directly (id, next_run_time as a UNIX timestamp) instead of
    # starting a scheduler: listing jobs must not take part in running them.
    if SCHEDULER_TABLE not in inspect(engine).get_table_names():
        return {}
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {SCHEDULER_TABLE}")).all()
    return {r[0]: datetime.fromtimestamp(r[1], timezone.utc) if r[1] is not None else None for r in rows}
