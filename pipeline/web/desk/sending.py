"""Sends: while one runs, a progress bar (sent / total, rate, time left) fed from the deliveries
table, then the result; per issue what came back (delivered, bounced hard and soft,
complained, unsubscribed after it: the mail_events table). The numbers are those of
``linkletter status`` (``pipeline.send.status.issue_status``); the page asks
``/desk/send/progress`` for them twice a second while a send runs."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from pipeline.errors import LinkletterError
from pipeline.web.desk.common import NO_STORE, desk_page, render


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


def results(status) -> dict:
    """What came back for one issue."""
    e = status.events or {}
    return {"issue": status.issue, "status": status.status, "delivered": status.counts.get("sent", 0),
            "hard": e.get("hard_bounce", 0), "soft": e.get("soft_bounce", 0), "complained": e.get("complaint", 0),
            "unsubscribed": e.get("unsubscribe", 0), "failed": status.counts.get("failed", 0)}


def _overview(nl) -> dict:
    from pipeline.send.status import issue_status, started_issues

    numbers = started_issues(nl)
    statuses = [issue_status(nl, n) for n in numbers]
    current = progress(statuses[0]) if statuses else None
    return {"current": current, "issues": [results(s) for s in statuses]}


@desk_page
async def send_page(request: Request, acc):
    data = await run_in_threadpool(_overview, request.app.state.nl)
    return render(request, acc, "send.html", title="Sending", **data)


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
    data = await run_in_threadpool(_progress_of, request.app.state.nl, number)
    return JSONResponse(data or {"status": "none"}, headers=NO_STORE)
