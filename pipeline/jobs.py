"""The main job's work, one function per scheduled job. ``scheduler.py`` refers to these by
``module:function`` strings; each opens the newsletter folder it is given, does its work
through the library, and records its run in ``job_runs`` (shown by ``linkletter jobs``).

A job's error is logged with the job's name and recorded; it never reaches the scheduler.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from datetime import datetime, timezone

from pipeline.errors import LinkletterError
from pipeline.newsletter import Newsletter, open_newsletter
from pipeline.store import jobs as job_store

log = logging.getLogger("linkletter.jobs")

# Set when the process shuts down: a running send finishes its batch in flight and stops.
STOP = threading.Event()


def _run(job_id: str, root: str, work) -> str | None:
    nl = open_newsletter(root, os.environ)
    try:
        with nl.session() as s:
            job_store.record_job_start(s, job_id)
        try:
            result = work(nl)
        except Exception as e:  # noqa: BLE001 (a job must never kill the scheduler)
            if isinstance(e, LinkletterError):  # meant for a person: the message says it all
                log.error("job %s failed: %s", job_id, e)
            else:
                log.error("job %s failed: %s\n%s", job_id, e, traceback.format_exc())
            with nl.session() as s:
                job_store.record_job_result(s, job_id, None, f"{type(e).__name__}: {e}")
            return None
        with nl.session() as s:
            job_store.record_job_result(s, job_id, result, None)
        # an idle check ('nothing due') every minute is not news
        log.log(logging.DEBUG if result.startswith("nothing") else logging.INFO, "job %s: %s", job_id, result)
        return result
    finally:
        nl.close()


def collect_and_assemble(nl: Newsletter) -> str:
    from pipeline.collect import collect
    from pipeline.draft.assemble import assemble

    report = collect(nl)
    result = assemble(nl)
    placed = len(getattr(result, "link_ids", []) or [])
    return f"{report}; draft {result.path.name}: {placed} new link(s)"


def due_drafts(nl: Newsletter, now: datetime | None = None) -> list:
    """Drafts whose status is 'ready' and whose send_at has passed or is absent."""
    from pipeline.draft.format import list_drafts

    now = now or datetime.now(timezone.utc)
    return [d for d in list_drafts(nl.settings.drafts_dir)
            if d.status == "ready" and (d.send_at is None or d.send_at <= now)]


def send_due(nl: Newsletter) -> str:
    from pipeline.render.site import build_site
    from pipeline.send.campaign import send_issue

    done = []
    for draft in due_drafts(nl):
        if STOP.is_set():
            break
        report = send_issue(nl, draft.path, stop_event=STOP)
        done.append(report.summary())
    if done:
        build_site(nl)
    return "; ".join(done) or "nothing due"


def build(nl: Newsletter) -> str:
    from pipeline.render.site import build_site

    return f"site built in {build_site(nl)}"


def collect_job(root: str) -> str | None:
    return _run("collect", root, collect_and_assemble)


def send_job(root: str) -> str | None:
    return _run("send", root, send_due)


def build_job(root: str) -> str | None:
    return _run("build", root, build)
