"""What the coordinator of a send does once, before the first message: check the issue,
render it into one MIME template, snapshot its sources, and freeze all of it on the issue
row together with one queued delivery per subscriber (see :mod:`pipeline.send.campaign`).

Every step takes the one :class:`~pipeline.render.issue.PreparedIssue` of the send: the
draft is read and parsed once, and the sources the check loaded are the ones the snapshot
keeps.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from pipeline.errors import LinkletterError
from pipeline.models import utcnow
from pipeline.send.identity import owner_is_dead
from pipeline.send.message import build_template, new_unsubscribe_marker
from pipeline.store import deliveries as dstore
from pipeline.store import issues as istore

log = logging.getLogger("linkletter.send")


def pre_send_check(nl, prepared):
    """`linkletter check` of the prepared issue: its errors (quotes not found in their sources,
    dead links, missing title, leftover placeholders) should stop a send (``--force`` skips
    it). Returns the CheckReport; its ``sources`` go into the snapshot."""
    from pipeline.check import check_draft

    return check_draft(nl, prepared)


def source_snapshot(nl, prepared, loaded=None) -> str | None:
    """The cited sources' text and metadata, kept with the issue when it goes out (a record that
    outlasts link rot). ``loaded``: the sources the check loaded. A snapshot that cannot be
    made never stops a send."""
    from pipeline.check import snapshot_sources

    try:
        return snapshot_sources(nl, prepared, loaded=loaded)
    except Exception as e:  # noqa: BLE001 (the send matters more than its record)
        log.warning("issue %s: no source snapshot: %s", prepared.number, e)
        return None


def render_for_send(nl, prepared):
    """The render stage's email: subject, html, text holding a marker made for this issue where
    the unsubscribe URL goes (its content can't hold it, see pipeline.send.message)."""
    from pipeline.render.email import email_from

    return email_from(nl, prepared, unsubscribe_url=new_unsubscribe_marker())


def template_bytes(settings, rendered, *, test: bool = False) -> bytes:
    from pipeline.stats.clicks import count_clicks_in

    subject = rendered.subject if not test else f"[Test] {rendered.subject}"
    marker = getattr(rendered, "unsubscribe_url", None)
    html = count_clicks_in(rendered.html, rendered.issue, settings, keep={marker} if marker else ())
    return build_template(settings, issue=rendered.issue, subject=subject, html=html, text=rendered.text,
                          test=test, marker=marker)


def publish_media(nl, prepared) -> None:
    """The issue's local images into the site before the first message goes out: the mail
    links them there (render/media.py), and readers open it before the send has finished."""
    if not prepared.media:
        return
    from pipeline.render.site import add_media
    from pipeline.render.writer import Writer

    writer = Writer(nl.settings.site_dir)
    add_media(writer, [prepared])
    writer.commit()


def freeze_and_enqueue(nl, issue_id: int, owner: str, prepared, *, include_new: bool, render=None,
                       loaded=None) -> None:
    """Freeze and enqueue (first run), or requeue what a dead run left and add new subscribers."""
    with nl.engine.connect() as conn:
        row = istore.issue_by_id(conn, issue_id)
    if row["send_started_at"] is None:
        started = utcnow()
        prepared = prepared.sent_on(started)  # the date readers see is the send date
        rendered = (render or render_for_send)(nl, prepared)
        if rendered.issue != prepared.number:
            raise LinkletterError(f"the rendered email is issue {rendered.issue}, the draft is issue {prepared.number}")
        mime = template_bytes(nl.settings, rendered)
        publish_media(nl, prepared)
        snapshot = source_snapshot(nl, prepared, loaded)
        with nl.engine.begin() as conn:  # freeze and enqueue together: a crash leaves neither or both
            if istore.freeze_issue(conn, issue_id, owner, html=prepared.html, text=prepared.text, mime=mime,
                                   subject=rendered.subject, title=prepared.draft.title, started_at=started,
                                   snapshot=snapshot):
                dstore.enqueue_deliveries(conn, issue_id, confirmed_before=started)
    elif include_new:
        with nl.engine.begin() as conn:
            dstore.enqueue_deliveries(conn, issue_id, confirmed_before=None)
    requeue_dead(nl, issue_id, timedelta(seconds=max(nl.settings.send_lease_seconds, 1)))


def requeue_dead(nl, issue_id: int, lease: timedelta) -> None:
    with nl.engine.begin() as conn:
        dead = [c for c in dstore.claimers(conn, issue_id) if owner_is_dead(c)]
        dstore.requeue_claims_of(conn, issue_id, dead)
        dstore.requeue_stale_claims(conn, issue_id, utcnow() - lease)
