"""Sends: while one runs, a progress bar (sent / total, rate, time left) fed from the deliveries
table, then the result; per issue what came back (delivered, bounced hard and soft,
complained, unsubscribed after it: the mail_events table). The numbers are those of
``linkletter status`` (``pipeline.send.status.issue_status``); the page asks
``/desk/send/progress`` for them twice a second while a send runs.

"Send now" (the draft page's button, confirmed) runs ``pipeline.send.campaign.send_issue`` in
a thread of the server, exactly what ``linkletter send DRAFT`` runs (the pre-send check first;
no ``--force`` on the desk), then rebuilds the site like the CLI. One desk send at a time per
server; a send is safe to resume, so a server stopped mid-send leaves it for ``linkletter send``
or the main job to finish."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from pipeline.errors import LinkletterError
from pipeline.web.desk.common import NO_STORE, back_to, desk_page, desk_post, render

log = logging.getLogger("linkletter.web")


@dataclass
class DeskSend:
    """The send started from this server's desk (one at a time) and how it ended."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    outcome: str | None = None
    failed: bool = False

    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def desk_send(app) -> DeskSend:
    if not hasattr(app.state, "desk_send"):
        app.state.desk_send = DeskSend()
    return app.state.desk_send


def _send_and_publish(nl, path, state: DeskSend) -> None:
    from pipeline.render.publish import rebuild_after_send
    from pipeline.send.campaign import send_issue

    try:
        report = send_issue(nl, path, stop_event=state.stop)
        state.outcome, state.failed = report.summary(), bool(report.errors)
        if report.errors:
            state.outcome += " " + "; ".join(report.errors)
        if report.finished and not report.already_sent:
            rebuild_after_send(nl)
    except LinkletterError as e:
        state.outcome, state.failed = f"Not sent: {e}", True
    except Exception as e:  # noqa: BLE001 (a send thread must say what happened, never die silently)
        log.error("desk send of %s failed: %s: %s", path.name, type(e).__name__, e)
        state.outcome, state.failed = f"The send stopped: {type(e).__name__}: {e}", True


def progress(status, now: datetime | None = None) -> dict:
    """What the progress bar shows for a :class:`SendStatus`."""
    c = status.counts
    total = sum(c.values())
    sent = c.get("sent", 0)
    failed = c.get("failed", 0)
    now = now or datetime.now(timezone.utc)
    elapsed = (now - status.started_at).total_seconds() if status.started_at else 0.0
    rate = sent / elapsed if elapsed > 0 and sent else 0.0
    left = total - sent - failed
    return {"issue": status.issue, "status": status.status, "sent": sent, "failed": failed, "total": total,
            "bounced": status.bounced, "rate": round(rate, 2),
            "seconds_left": round(left / rate) if rate and left else (0 if not left else None),
            "running": status.status == "sending", "percent": round(100 * (sent + failed) / total) if total else 0}


def _figures(f) -> dict:
    """One row of the table from the numbers' per-issue figures (pipeline.stats), which count
    the deliveries of a finished issue once per process (100,000 rows an issue otherwise)."""
    return {"issue": f.number, "status": f.status, "delivered": f.delivered, "hard": f.hard_bounces,
            "soft": f.soft_bounces, "complained": f.complaints, "unsubscribed": f.unsubscribes, "failed": f.failed}


def _overview(nl) -> dict:
    from pipeline.send.status import issue_status, started_issues
    from pipeline.stats import issue_figures

    numbers = started_issues(nl)
    current = progress(issue_status(nl, numbers[0])) if numbers else None
    return {"current": current, "issues": [_figures(f) for f in issue_figures(nl)]}


@desk_page
async def send_page(request: Request, acc):
    data = await run_in_threadpool(_overview, request.app.state.nl)
    state = desk_send(request.app)
    return render(request, acc, "send.html", title="Sending", outcome=state.outcome, desk_running=state.running(),
                  outcome_failed=state.failed, **data)


@desk_post
async def send_now(request: Request, acc, form: dict):
    from pipeline.web.desk.draft import resolve

    nl = request.app.state.nl
    path = resolve(nl, str(form.get("draft") or ""))
    if path is None:
        raise LinkletterError("no such draft in drafts/")
    if form.get("confirm") != "yes":
        raise LinkletterError("tick the box to confirm the send, then press the button again")
    state = desk_send(request.app)
    with state.lock:
        if state.running():
            raise LinkletterError("a send started from the desk is still running")
        state.outcome, state.failed, state.stop = None, False, threading.Event()
        state.thread = threading.Thread(target=_send_and_publish, args=(nl, path, state), name="desk-send", daemon=True)
        state.thread.start()
    return back_to({"back": "/desk/send"})


def _progress_of(nl, number: int | None) -> dict | None:
    from pipeline.send.status import issue_status

    try:
        return progress(issue_status(nl, number))
    except LinkletterError:
        return None


@desk_page
async def send_progress(request: Request, acc):
    raw = request.query_params.get("issue", "")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    data = await run_in_threadpool(_progress_of, request.app.state.nl, number) or {"status": "none"}
    data["desk_send_running"] = desk_send(request.app).running()  # its outcome is not written yet
    return JSONResponse(data, headers=NO_STORE)
