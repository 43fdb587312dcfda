"""The main job: APScheduler jobs wired to library calls, and the web server, in one process.

No logic lives here. The jobs are ``pipeline.jobs`` functions referenced as ``module:function``
strings and kept in a job store in the newsletter's own database, so they are added once and
keep their next run times across restarts: after downtime a missed run runs once (coalesce)
within the grace time; at most one instance of each job runs at a time.

    python scheduler.py [--dir DIR] [--host HOST] [--port PORT]    (same as `linkletter run`)
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import IntegrityError

from pipeline import jobs
from pipeline.newsletter import Newsletter
from pipeline.settings import parse_interval

log = logging.getLogger("linkletter.scheduler")

# job id -> (function reference, schedule key)
JOBS = {
    "collect": ("pipeline.jobs:collect_job", "collect"),
    "send": ("pipeline.jobs:send_job", "send"),
}


def trigger_for(expr: str):
    """An interval ('30m') from now on, or a cron expression in the machine's local time zone."""
    seconds = parse_interval(expr)
    if seconds:
        return IntervalTrigger(seconds=seconds, timezone=timezone.utc)
    return CronTrigger.from_crontab(expr)


def make_scheduler(nl: Newsletter) -> BackgroundScheduler:
    grace = parse_interval(nl.settings.schedule.grace) or 3600
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=nl.engine)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        timezone=timezone.utc,
    )


def install_jobs(scheduler: BackgroundScheduler, nl: Newsletter) -> None:
    """Add each job once. An existing job keeps its next run time (so a run missed during
    downtime still happens), unless its schedule in linkletter.toml changed."""
    root = str(nl.settings.root)
    for job_id, (func, key) in JOBS.items():
        expr = getattr(nl.settings.schedule, key)
        trigger = trigger_for(expr)
        job = scheduler.get_job(job_id)
        if job is None:
            first = datetime.now(timezone.utc) if job_id == "send" else None
            try:
                scheduler.add_job(func, trigger, args=[root], id=job_id, name=job_id,
                                  **({"next_run_time": first} if first else {}))
                continue
            except (ConflictingIdError, IntegrityError):  # another `run` on this database added it just now
                job = scheduler.get_job(job_id)
        if str(job.trigger) != str(trigger) or list(job.args) != [root]:
            scheduler.modify_job(job_id, args=[root])
            scheduler.reschedule_job(job_id, trigger=trigger)
    # the send check also runs at every start
    scheduler.modify_job("send", next_run_time=datetime.now(timezone.utc))


def configure_logging() -> None:
    """One line per event: the jobs log their own results; alembic and APScheduler only warnings."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _Server:  # made a uvicorn.Server subclass on first use, so importing this file stays cheap
    def __new__(cls, config):
        import uvicorn

        class Server(uvicorn.Server):
            def handle_exit(self, sig, frame) -> None:
                # SIGINT/SIGTERM: a running send stops after its batch in flight while the web
                # server shuts down; then the process exits normally (uvicorn would re-raise
                # the signal after its shutdown and skip ours).
                jobs.STOP.set()
                super().handle_exit(sig, frame)
                self._captured_signals.clear()

        return Server(config)


def run(nl: Newsletter, host: str | None = None, port: int | None = None) -> None:
    """Start the scheduler and the web server; return after SIGINT/SIGTERM, once the batch in
    flight is done."""
    from pipeline.web import create_app
    from pipeline.web.server import uvicorn_config

    host = host or nl.settings.host
    port = port or nl.settings.port
    jobs.STOP.clear()
    try:
        jobs.build_job(str(nl.settings.root))
    except Exception as e:  # noqa: BLE001 (a broken draft must not keep the server down)
        log.error("initial site build failed: %s", e)
    scheduler = make_scheduler(nl)
    scheduler.start(paused=True)
    install_jobs(scheduler, nl)
    scheduler.resume()
    log.info("scheduler started: %s", ", ".join(f"{j.id} next at {j.next_run_time}" for j in scheduler.get_jobs()))
    config = uvicorn_config(create_app(nl), host, port, log_level="warning", timeout_graceful_shutdown=3)
    try:
        _Server(config).run()
    finally:
        jobs.STOP.set()
        scheduler.pause()  # no new runs while the running ones finish (their batch in flight)
        scheduler.shutdown(wait=True)
        log.info("stopped")


def main(argv: list[str] | None = None) -> None:
    from pipeline.cli import main as cli

    args = list(sys.argv[1:] if argv is None else argv)
    front = []
    for i, arg in enumerate(args):  # --dir is an option of the command group, not of `run`
        if arg == "--dir":
            front, args = args[i:i + 2], args[:i] + args[i + 2:]
            break
        if arg.startswith("--dir="):
            front, args = [arg], args[:i] + args[i + 1:]
            break
    cli([*front, "run", *args], prog_name="linkletter")


if __name__ == "__main__":
    main()
