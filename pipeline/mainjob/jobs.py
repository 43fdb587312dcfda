"""The main job's work, one function per scheduled job, and the state one main-job process
owns (:class:`MainJob`). The scheduler refers to the job functions by ``module:function``
strings (``pipeline/mainjob/schedule.py``); each opens the newsletter folder it is given, does
its work through the library, and records its run in ``job_runs`` (``linkletter jobs``).

A job's error is logged with the job's name and recorded; it never reaches the scheduler.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pipeline.errors import LinkletterError
from pipeline.newsletter import Newsletter, open_newsletter
from pipeline.store import jobs as job_store
from pipeline.states import DraftStatus

log = logging.getLogger("linkletter.jobs")


@dataclass
class MainJob:
    """What one main-job process owns, shared by its scheduled runs."""

    # Set when the process shuts down: a running send finishes its batch in flight and stops,
    # a collect cuts its requests.
    stop: threading.Event = field(default_factory=threading.Event)
    # Drafts the pre-send check refused, by path: (modification time, message). An unchanged
    # draft is not checked again every minute (that would fetch every cited page each time).
    refused: dict[str, tuple[float, str]] = field(default_factory=dict)
    # True while the site has not been rebuilt since a send (e.g. a broken draft stopped the build).
    site_stale: bool = False


# The main job of this process. APScheduler calls the module-level job functions below by
# name, so they find the state here; `run` (pipeline/mainjob/server.py) installs a fresh one.
_current = MainJob()


def current() -> MainJob:
    return _current


def start_fresh() -> MainJob:
    """A new MainJob for a starting main job (a process may run one after another in tests)."""
    global _current
    _current = MainJob()
    return _current


def _run(job_id: str, root: str, work) -> str | None:
    nl = open_newsletter(root, os.environ)
    try:
        with nl.session() as s:
            job_store.record_job_start(s, job_id)
        try:
            result = work(nl, current())
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


def collect_and_assemble(nl: Newsletter, job: MainJob) -> str:
    from pipeline.collect import collect
    from pipeline.draft.assemble import assemble

    report = collect(nl, stop_event=job.stop)
    if report.stopped:  # shutting down: the next start collects the rest and assembles
        return str(report)
    result = assemble(nl, create_empty=False)  # no draft without picks for it (not while one is ready)
    if result.nothing and not result.created:
        return f"{report}; no draft changed"
    return f"{report}; draft {result.path.name}: {len(result.placed)} new link(s)"


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
    due = [d for d in drafts if d.status == DraftStatus.READY and (d.send_at is None or d.send_at <= now)]
    return due, problems


def send_due(nl: Newsletter, job: MainJob) -> str:
    """Send every due draft, each on its own: one that is refused or fails does not hold up the
    others. Then rebuild the site, also when an earlier rebuild failed."""
    from pipeline.render.publish import rebuild_after_send
    from pipeline.send.campaign import send_issue

    due, failed = due_drafts(nl)
    done = []
    for draft in due:
        if job.stop.is_set():
            break
        key, mtime = str(draft.path), draft.path.stat().st_mtime
        if key in job.refused and job.refused[key][0] == mtime:
            failed.append(job.refused[key][1])
            continue
        try:
            report = send_issue(nl, draft.path, stop_event=job.stop)
        except LinkletterError as e:
            job.refused[key] = (mtime, f"{draft.path.name}: {e}")
            failed.append(job.refused[key][1])
            tell_author(nl, draft, e)  # once per version of the draft, like the check itself
            continue
        job.refused.pop(key, None)
        done.append(report.summary())
        if report.finished and not report.already_sent:
            from pipeline.send.notify import notify_after_send

            notify_after_send(nl, report)
        job.site_stale = True
    if job.site_stale:
        rebuild_after_send(nl)
        job.site_stale = False
    _follow_up(nl)
    if failed:
        raise LinkletterError("; ".join(done + failed))
    return "; ".join(done) or "nothing due"


def _follow_up(nl: Newsletter) -> None:
    """Complaints and bounces that came in after a send: the author hears about them too."""
    from pipeline.send.notify import follow_up

    try:
        follow_up(nl)
    except Exception as e:  # noqa: BLE001 (a notice must never stop the send job)
        log.error("checking recent sends for complaints and bounces failed: %s", e)


def tell_author(nl: Newsletter, draft, error: LinkletterError) -> None:
    """Mail the author (``notify``) why a scheduled send of ``draft`` did not go out."""
    from pipeline.send.campaign import CheckRefused
    from pipeline.send.notify import notify_quietly

    refused = isinstance(error, CheckRefused)
    reason = "\n".join(error.problems) if refused else str(error)
    notify_quietly(nl, "notify.send_refused" if refused else "notify.send_failed", issue=draft.issue,
                   draft=f"drafts/{draft.path.name}", reason=reason)


def build(nl: Newsletter, job: MainJob) -> str:
    from pipeline.render.site import build_site

    return f"site built in {build_site(nl)}"


def poll_inbound(nl: Newsletter, job: MainJob) -> str:
    """What came back, from the IMAP mailbox (pipeline.inbound.imap)."""
    from pipeline.inbound.imap import poll_imap

    report = poll_imap(nl)
    if report.error:  # recorded as a failure, so `linkletter jobs` shows it; the next poll goes on
        raise LinkletterError(report.summary())
    return report.summary() if report.read else "nothing new"


def collect_job(root: str) -> str | None:
    return _run("collect", root, collect_and_assemble)


def send_job(root: str) -> str | None:
    return _run("send", root, send_due)


def build_job(root: str) -> str | None:
    return _run("build", root, build)


def inbound_job(root: str) -> str | None:
    return _run("inbound", root, poll_inbound)
