"""The one place where webhook events meet the intake: a verified call's replay key is taken
once, an SNS subscription confirmed, and each event handed to
:func:`pipeline.inbound.record_event` (stored once by its key, suppression rules applied).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from pipeline.web.webhooks.events import Refused, Verified, clean

log = logging.getLogger("linkletter.web")


def handle(nl, module, body: bytes, headers, certs) -> dict:
    """Verify the call with its provider's ``module`` and record what it holds: the answer's counts."""
    verified = module.verify(nl.settings, body, headers, certs=certs)
    name = module.NAME
    if verified.replay_key is not None and not _first_use(nl, name, verified.replay_key):
        if verified.replay_answer != 200:
            raise Refused(verified.replay_answer, "this signed call was used before (a replay)")
        return {"recorded": 0, "duplicates": len(verified.events), "skipped": 0, "note": "received before"}
    try:
        note = verified.confirm() if verified.confirm is not None else ""
        counts = record(nl, name, verified)
    except Exception:
        _forget(nl, name, verified.replay_key)  # nothing was done: the provider's retry must get through
        raise
    if note:
        log.info("webhook %s: %s", name, note)
        counts["note"] = note
    return counts


def record(nl, provider: str, verified: Verified) -> dict:
    """Each event once into the intake's :func:`record_event`."""
    from pipeline.inbound import InboundEvent, event_key, record_event

    recorded = duplicates = 0
    for ev in verified.events:
        result = record_event(nl, InboundEvent(
            kind=ev.kind, source=f"webhook:{provider}", event_key=event_key("webhook", provider, ev.key),
            reason=ev.reason, address=ev.address, message_id=ev.message_id or None))
        if result.recorded:
            recorded += 1
            log.info("webhook %s: %s for %s%s", provider, result.kind, clean(ev.address, 100),
                     f" ({clean(result.note, 200)})" if result.note else "")
        else:
            duplicates += 1
    if verified.skipped:
        log.info("webhook %s: %d event(s) not taken: %s", provider, len(verified.skipped),
                 clean("; ".join(dict.fromkeys(verified.skipped)), 300))
    return {"recorded": recorded, "duplicates": duplicates, "skipped": len(verified.skipped),
            **({"skipped_reasons": verified.skipped[:20]} if verified.skipped else {})}


def _first_use(nl, provider: str, key: str) -> bool:
    from pipeline.models import utcnow
    from pipeline.store import notices

    keep = timedelta(seconds=2 * max(nl.settings.webhook_max_age, 86400))
    with nl.engine.begin() as conn:
        notices.forget_receipts_before(conn, utcnow() - keep)  # older calls are refused by their age anyway
        return notices.record_receipt(conn, provider, key)


def _forget(nl, provider: str, key: str | None) -> None:
    if key is None:
        return
    from pipeline.store import notices

    with nl.engine.begin() as conn:
        notices.forget_receipt(conn, provider, key)
