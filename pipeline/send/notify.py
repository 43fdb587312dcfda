"""Mails to the author (the ``notify`` setting): the author hears about trouble without reading
the log: a scheduled send refused by the check or failed, a send with more hard bounces than
``notify_hard_bounce_percent`` or more complaints than ``notify_complaints``.

:func:`notify_author` is the one way to write to the author: ``notify_author(nl, "notify.NAME",
**facts)`` takes the subject from ``notify.NAME.subject``, what happened from ``.body`` and
what to do from ``.todo`` (optional) in the newsletter's language, fills in ``facts``, builds
the mail with the one builder (:mod:`pipeline.send.message`) and sends it like every single
mail (:mod:`pipeline.send.single`: signed, SMTP or the outbox). Another area adds a notice by
adding those keys to its own string module.

Facts may come from outside (a check's message quoting a page, a server's reply): control
characters become spaces (in the subject also line breaks), each fact is cut to a few
thousand characters, and the HTML part escapes everything.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import time

from pipeline.i18n import STRINGS, locale, t

log = logging.getLogger("linkletter.notify")

_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_MAX_FACT = 4000


def _fact(value, *, one_line: bool) -> str:
    text = _CTRL.sub(" ", str(value))
    if one_line:
        text = " ".join(text.split())
        return text[:200] + ("…" if len(text) > 200 else "")
    return text[:_MAX_FACT] + ("…" if len(text) > _MAX_FACT else "")


def compose(nl, key: str, **facts) -> tuple[str, str, str]:
    """(subject, text, html) of the notice ``key`` (``notify.NAME``) with ``facts`` filled in."""
    settings = nl.settings
    lang = locale(settings.language, getattr(settings, "address_form", "sie"))
    key = key.removesuffix(".subject")
    base = {"title": settings.title, "notify": settings.notify}
    subject = t(lang, f"{key}.subject", **{**base, **{k: _fact(v, one_line=True) for k, v in facts.items()}})
    filled = {**base, **{k: _fact(v, one_line=False) for k, v in facts.items()}}
    paragraphs = [t(lang, f"{key}.body", **filled)]
    if f"{key}.todo" in STRINGS:
        paragraphs.append(t(lang, "notify.todo_heading") + "\n" + t(lang, f"{key}.todo", **filled))
    paragraphs.append("-- \n" + t(lang, "notify.footer", **base))
    text = "\n\n".join(paragraphs) + "\n"
    body = "".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)
    page = (f'<!doctype html>\n<html lang="{html.escape(settings.language)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(subject)}</title></head>\n<body>\n{body}</body></html>\n")
    return subject, text, page


def notify_author(nl, key: str, **facts) -> str | None:
    """Mail the notice ``key`` to the ``notify`` address. Returns where it went, or None when
    ``notify`` is empty. Raises the transport's error when it can't be sent (the caller
    decides whether that matters: a job logs it and goes on)."""
    from email.utils import parseaddr

    from pipeline.send.message import build_single
    from pipeline.send.single import send_message

    settings = nl.settings
    if not settings.notify:
        return None
    subject, text, page = compose(nl, key, **facts)
    name, addr = parseaddr(settings.notify)
    data = build_single(settings, subject=subject, text=text, html=page, to_addr=addr, to_name=name)
    label = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")
    outbox_name = f"{label}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.eml"
    return send_message(settings, data, addr, name=outbox_name)


def notify_quietly(nl, key: str, **facts) -> str | None:
    """:func:`notify_author` for a job: a notice that can't be sent is logged, never raised
    (the job's own outcome is recorded either way)."""
    try:
        return notify_author(nl, key, **facts)
    except Exception as e:  # noqa: BLE001 (the author's mail must not turn a job's result into another)
        log.error("could not mail the author about %s: %s", key, e)
        return None


def notify_after_send(nl, report, *, complaints: int | None = None) -> list[str]:
    """After a finished send: :func:`notify_outcome` with the report's counts and the
    complaints and hard bounces the intake recorded for the issue so far."""
    counts = _event_counts(nl, report.issue)
    if complaints is None:
        complaints = counts.get("complaint", 0)
    bounced = max(report.bounced, counts.get("hard_bounce", 0))
    return notify_outcome(nl, report.issue, total=report.total, bounced=bounced, complaints=complaints)


def follow_up(nl, *, days: int = 7) -> list[str]:
    """Complaints and bounces come back for days after a send: the issues sent in the last
    ``days`` days, checked again (each reason still mailed once per issue). Returns the
    ``issue:reason`` mailed."""
    from datetime import timedelta

    from pipeline.models import utcnow
    from pipeline.store import deliveries as dstore
    from pipeline.store import notices

    if not nl.settings.notify:
        return []
    mailed = []
    with nl.engine.connect() as conn:
        recent = notices.issues_sent_since(conn, utcnow() - timedelta(days=days))
        outcomes = [(number, sum(dstore.counts_by_state(conn, issue_id).values()), dstore.bounced_count(conn, issue_id))
                    for issue_id, number in recent]
    for number, total, bounced in outcomes:
        counts = _event_counts(nl, number)
        for reason in notify_outcome(nl, number, total=total, bounced=max(bounced, counts.get("hard_bounce", 0)),
                                     complaints=counts.get("complaint", 0)):
            mailed.append(f"{number}:{reason}")
    return mailed


def _event_counts(nl, issue_number: int) -> dict[str, int]:
    from pipeline.store import events as estore

    with nl.engine.connect() as conn:
        return estore.counts_for_issue(conn, issue_number)


def notify_outcome(nl, issue: int, *, total: int, bounced: int, complaints: int) -> list[str]:
    """A notice when more than ``notify_hard_bounce_percent`` of the issue's ``total``
    deliveries bounced for good, or it got more than ``notify_complaints`` complaints. Each
    reason is mailed once per issue (recorded in ``author_notices``; a mail that could not be
    sent is tried again next time). Returns the reasons mailed."""
    from pipeline.store import notices

    settings = nl.settings
    if not settings.notify:
        return []
    due: list[tuple[str, dict]] = []
    threshold = settings.notify_hard_bounce_percent
    if total and bounced and bounced * 100 / total > threshold:
        due.append(("bounces", {"bounced": bounced, "total": total, "threshold": f"{threshold:g}",
                                "percent": f"{bounced * 100 / total:.1f}"}))
    if complaints > settings.notify_complaints:
        due.append(("complaints", {"complaints": complaints, "threshold": settings.notify_complaints}))
    mailed = []
    for reason, facts in due:
        with nl.engine.begin() as conn:
            if not notices.record_notice(conn, issue, reason):
                continue
        if notify_quietly(nl, f"notify.{reason}", issue=issue, **facts) is None:
            with nl.engine.begin() as conn:  # not sent: the next run tries again
                notices.forget_notice(conn, issue, reason)
            continue
        mailed.append(reason)
    return mailed
