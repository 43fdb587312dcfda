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

    report = collect(nl, stop_event=STOP)
    if report.stopped:  # shutting down: the next start collects the rest and assembles
        return str(report)
    result = assemble(nl)
    placed = len(getattr(result, "link_ids", []) or [])
    return f"{report}; draft {result.path.name}: {placed} new link(s)"


def due_drafts(nl: Newsletter, now: datetime | None = None) -> tuple[list, list[str]]:
    """(drafts whose status is 'ready' and whose send_at has passed or is absent, problems).
    A draft that cannot be read (the author is in the middle of editing it) is a problem to
    report, not a reason to hold up the others."""
    from pipeline.draft.format import list_drafts, read_drafts_leniently
    from pipeline.errors import DraftError

    now = now or datetime.now(timezone.utc)
    problems: list[str] = []
    try:
        drafts = list_drafts(nl.settings.drafts_dir)
    except DraftError as e:
        drafts, broken = read_drafts_leniently(nl.settings.drafts_dir)
        problems = list(dict.fromkeys([str(e), *map(str, broken)]))
        numbers = [d.issue for d in drafts]
        drafts = [d for d in drafts if numbers.count(d.issue) == 1]  # never guess between two
    due = [d for d in drafts if d.status == "ready" and (d.send_at is None or d.send_at <= now)]
    return due, problems


# Drafts the pre-send check refused, by path: (modification time, message). An unchanged
# draft is not checked again every minute (that would fetch every cited page each time).
_REFUSED: dict[str, tuple[float, str]] = {}
# True while the site has not been rebuilt since a send (e.g. a broken draft stopped the build).
_SITE_STALE = threading.Event()


def send_due(nl: Newsletter) -> str:
    """Send every due draft, each on its own: one that is refused or fails does not hold up the
    others. Then rebuild the site, also when an earlier rebuild failed."""
    from pipeline.render.site import build_site
    from pipeline.send.campaign import send_issue

    due, failed = due_drafts(nl)
    done = []
    for draft in due:
        if STOP.is_set():
            break
        key, mtime = str(draft.path), draft.path.stat().st_mtime
        if key in _REFUSED and _REFUSED[key][0] == mtime:
            failed.append(_REFUSED[key][1])
            continue
        try:
            report = send_issue(nl, draft.path, stop_event=STOP)
        except LinkletterError as e:
            _REFUSED[key] = (mtime, f"{draft.path.name}: {e}")
            failed.append(_REFUSED[key][1])
            continue
        _REFUSED.pop(key, None)
        done.append(report.summary())
        _SITE_STALE.set()
    if _SITE_STALE.is_set():
        build_site(nl, skip_unsent_broken=True)
        _SITE_STALE.clear()
    if failed:
        raise LinkletterError("; ".join(done + failed))
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
