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


def _server(config, job: jobs.MainJob):
    """A uvicorn server whose SIGINT/SIGTERM also stops the main job's work."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            # A running send stops after its batch in flight while the web server shuts down;
            # then the process exits normally (uvicorn would re-raise the signal after its
            # shutdown and skip ours).
            job.stop.set()
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return Server(config)


def run(nl: Newsletter, host: str | None = None, port: int | None = None) -> None:
    """Start the scheduler and the web server; return after SIGINT/SIGTERM, once the batch in
    flight is done."""
    from pipeline.web.app import create_app
    from pipeline.web.server import uvicorn_config

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
        _server(config, job).run()
    finally:
        job.stop.set()
        scheduler.pause()  # no new runs while the running ones finish (their batch in flight)
        scheduler.shutdown(wait=True)
        log.info("stopped")
