"""Running the main job: the scheduler and the web server in one process, stopped cleanly by
SIGINT/SIGTERM (a send in progress finishes its batch in flight; the next start resumes it)."""

from __future__ import annotations

import logging

from pipeline.mainjob import jobs
from pipeline.mainjob.schedule import install_jobs, make_scheduler
from pipeline.newsletter import Newsletter

log = logging.getLogger("linkletter.scheduler")


def configure_logging() -> None:
    """One line per event: the jobs log their own results; alembic and APScheduler only warnings."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(nl: Newsletter, host: str | None = None, port: int | None = None) -> None:
    """Start the scheduler and the web server; return after SIGINT/SIGTERM, once the batch in
    flight is done."""
    from pipeline.web.app import create_app
    from pipeline.web.server import run_server, uvicorn_config

    job = jobs.start_fresh()
    try:
        jobs.build_job(str(nl.settings.root))
    except Exception as e:  # noqa: BLE001 (a broken draft must not keep the server down)
        log.error("initial site build failed: %s", e)
    scheduler = make_scheduler(nl)
    scheduler.start(paused=True)
    install_jobs(scheduler, nl)
    scheduler.resume()
    log.info("scheduler started: %s", ", ".join(f"{j.id} next at {j.next_run_time}" for j in scheduler.get_jobs()))
    try:
        config = uvicorn_config(create_app(nl), host or nl.settings.host, port or nl.settings.port,
                                log_level="warning", timeout_graceful_shutdown=3)
        # SIGINT/SIGTERM: a running send stops after its batch in flight while the web server
        # shuts down; then the process exits normally.
        run_server(config, on_exit=job.stop.set)
    finally:
        job.stop.set()
        scheduler.pause()  # no new runs while the running ones finish (their batch in flight)
        scheduler.shutdown(wait=True)
        log.info("stopped")
