"""HTTPS webhooks of the email services an author is likely to send through:
``POST /webhooks/<provider>`` for ``ses`` (Amazon SES via SNS), ``postmark``, ``sendgrid``,
``mailgun`` and ``generic`` (a signed JSON form of our own, see ``generic.py``).

Machine callers: no same-origin check, but each call must prove where it comes from (a
signature, or for Postmark a shared secret); an unknown provider, or one whose secret setting
is empty, is a 404. The body is read bounded in size and time (``pipeline.web.body``). A
verified call's events go through the one record-and-act function of the intake
(``record.py`` is the only place that calls it), each once by its event key; the answer comes
as soon as they are stored. A refused call is answered with its status and reason (JSON) and
logged; nothing of it is recorded.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pipeline.web.body import BodyError, read_body
from pipeline.web.webhooks import generic, mailgun, postmark, sendgrid, ses
from pipeline.web.webhooks.events import Refused, clean

log = logging.getLogger("linkletter.web")

PROVIDERS = {m.NAME: m for m in (ses, postmark, sendgrid, mailgun, generic)}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]  # all answered here: POST only, else 405
MAX_BODY = 1024 * 1024  # an SNS message is at most 256 KB; SendGrid batches stay well under 1 MB


async def receive(request: Request) -> Response:
    nl = request.app.state.nl
    name = request.path_params["provider"]
    module = PROVIDERS.get(name)
    if module is None or not module.enabled(nl.settings):
        return JSONResponse({"ok": False, "error": "no such webhook"}, status_code=404)
    if request.method != "POST":
        return JSONResponse({"ok": False, "error": "POST only"}, status_code=405, headers={"Allow": "POST"})
    try:
        body = await read_body(request, MAX_BODY)
        from pipeline.web.webhooks.record import handle

        result = await run_in_threadpool(handle, nl, module, body, request.headers, request.app.state.sns_certs)
    except (Refused, BodyError) as e:
        status, reason = e.status_code if isinstance(e, BodyError) else e.status, clean(e.reason, 300)
        log.warning("webhook %s refused (%d): %s", name, status, reason)
        return JSONResponse({"ok": False, "error": reason}, status_code=status)
    return JSONResponse({"ok": True, **result})
