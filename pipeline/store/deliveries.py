"""Queries about deliveries: one row per (issue, subscriber), queued → sending → sent | failed.

Each function takes a Session or Connection (``conn``); the caller commits. The send engine
commits after every state change of a message, so what the database says was sent is what the
mail server accepted, at the moment it accepted it.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Integer, String, and_, bindparam, func, literal, or_, select, update

from pipeline.models import Delivery, Subscriber
from pipeline.store.issues import _insert_for, dialect
from pipeline.states import DeliveryState

D = Delivery.__table__
S = Subscriber.__table__


class Claim(NamedTuple):
    """A delivery a worker claimed: its id, whom it goes to, and the attempts before this one."""

    delivery_id: int
    subscriber_id: int
    attempts: int


class Recipient(NamedTuple):
    """Who a claimed delivery goes to, as the subscriber row says now."""

    email: str
    name: str
    status: str  # 'active' is mailed; anyone else is no longer a recipient
    link_generation: int = 0  # part of the signed unsubscribe token (revoke-links raises it)


def _recipients(issue_id: int, confirmed_before: datetime | None, *columns):
    # Active subscribers without a delivery of this issue yet. ``confirmed_before`` leaves out
    # those confirmed after the send began (unless --include-new passes None).
    q = select(*(columns or (S.c.id,))).where(S.c.status == "active")
    if confirmed_before is not None:
        q = q.where(or_(S.c.confirmed_at.is_(None), S.c.confirmed_at <= confirmed_before))
    has = select(D.c.id).where(and_(D.c.issue_id == issue_id, D.c.subscriber_id == S.c.id))
    return q.where(~has.exists())


def enqueue_deliveries(conn, issue_id: int, *, confirmed_before: datetime | None) -> int:
    # INSERT ... SELECT in one statement with ON CONFLICT DO NOTHING on (issue, subscriber):
    # 100,000 rows go in without a round trip each, and a second enqueue (another process, a
    # resume with --include-new) can never create a second delivery for anyone.
    sel = _recipients(issue_id, confirmed_before, literal(issue_id, Integer), S.c.id, literal("queued", String),
                      literal(0, Integer)).order_by(S.c.id)
    stmt = _insert_for(dialect(conn))(D).from_select(["issue_id", "subscriber_id", "state", "attempts"], sel)
    res = conn.execute(stmt.on_conflict_do_nothing(index_elements=["issue_id", "subscriber_id"]))
    return max(res.rowcount or 0, 0)


def count_recipients(conn, issue_id: int | None, *, confirmed_before: datetime | None) -> int:
    # For --dry-run: who would be enqueued now, without writing anything.
    if issue_id is None:
        q = select(func.count()).select_from(S).where(S.c.status == "active")
        if confirmed_before is not None:
            q = q.where(or_(S.c.confirmed_at.is_(None), S.c.confirmed_at <= confirmed_before))
        return conn.execute(q).scalar_one()
    return conn.execute(select(func.count()).select_from(_recipients(issue_id, confirmed_before).subquery())).scalar_one()


def claim_deliveries(conn, issue_id: int, claimer: str, limit: int, now: datetime) -> list[Claim]:
    # One UPDATE ... WHERE id IN (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING:
    # on PostgreSQL the subquery skips rows another worker has locked, so concurrent claimers
    # get disjoint batches without waiting; on SQLite (which ignores FOR UPDATE) the single
    # statement runs under the database's write lock, so it is atomic just the same.
    # Ordered by id so a send walks the subscribers in a stable order. Only due rows: queued
    # and not waiting for a retry time.
    due = and_(D.c.issue_id == issue_id, D.c.state == "queued",
               or_(D.c.next_attempt_at.is_(None), D.c.next_attempt_at <= now))
    pick = select(D.c.id).where(due).order_by(D.c.id).limit(limit).with_for_update(skip_locked=True)
    stmt = (update(D).where(D.c.id.in_(pick.scalar_subquery())).where(D.c.state == "queued")
            .values(state=DeliveryState.SENDING.value, claimed_by=claimer, claimed_at=now)
            .returning(D.c.id, D.c.subscriber_id, D.c.attempts))
    rows = conn.execute(stmt).all()
    return sorted(Claim(r[0], r[1], r[2]) for r in rows)


def subscribers_by_id(conn, ids: list[int]) -> dict[int, Recipient]:
    # One query per claimed batch (not one per message).
    if not ids:
        return {}
    rows = conn.execute(select(S.c.id, S.c.email, S.c.name, S.c.status, S.c.link_generation)
                        .where(S.c.id.in_(ids))).all()
    return {r[0]: Recipient(r[1], r[2] or "", r[3], r[4] or 0) for r in rows}


# Built once: constructing an UPDATE costs more than running it (~300 µs against ~40 µs),
# and this one runs for every message.
_MARK_SENT = (update(D).where(D.c.id == bindparam("p_id"))
              .values(state=DeliveryState.SENT.value, sent_at=bindparam("p_now", type_=D.c.sent_at.type), attempts=D.c.attempts + 1,
                      last_error=None))


def mark_sent(conn, delivery_id: int, now: datetime) -> None:
    # Written right after the server's 250 for this message, before the next one is sent:
    # a crash can repeat at most the message in flight on each connection.
    conn.execute(_MARK_SENT, {"p_id": delivery_id, "p_now": now})


def mark_sent_many(conn, sent: list[tuple[int, datetime]]) -> None:
    # The same, for the messages several connections got accepted while the previous commit
    # ran: one executemany in one transaction (group commit).
    conn.execute(_MARK_SENT, [{"p_id": did, "p_now": when} for did, when in sent])


def mark_retry(conn, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
    # Back to the queue with a time before which no claim picks it (the backoff).
    conn.execute(update(D).where(D.c.id == delivery_id)
                 .values(state="queued", attempts=D.c.attempts + 1, last_error=error[:500],
                         next_attempt_at=next_attempt_at, claimed_by=None))


def mark_failed(conn, delivery_id: int, error: str, *, attempted: bool = True) -> None:
    # Final: a 5xx, too many attempts, or an address that can't be mailed.
    conn.execute(update(D).where(D.c.id == delivery_id)
                 .values(state="failed", attempts=D.c.attempts + (1 if attempted else 0), last_error=error[:500]))


def bounce_subscriber(conn, subscriber_id: int) -> None:
    # Only an active subscriber becomes bounced; an unsubscribe that came meanwhile stays.
    conn.execute(update(S).where(and_(S.c.id == subscriber_id, S.c.status == "active")).values(status="bounced"))


def release_claims(conn, delivery_ids: list[int], claimer: str) -> None:
    # A stopping worker hands back what it claimed but did not send, for the next run.
    if delivery_ids:
        conn.execute(update(D).where(and_(D.c.id.in_(delivery_ids), D.c.state == DeliveryState.SENDING.value, D.c.claimed_by == claimer))
                     .values(state="queued", claimed_by=None))


def requeue_stale_claims(conn, issue_id: int, claimed_before: datetime) -> int:
    # A claim older than the lease time belongs to a worker that died (on any machine): requeue it.
    res = conn.execute(update(D).where(and_(D.c.issue_id == issue_id, D.c.state == DeliveryState.SENDING.value,
                                            D.c.claimed_at < claimed_before))
                       .values(state="queued", claimed_by=None))
    return max(res.rowcount or 0, 0)


def touch_claims(conn, claimer: str, now: datetime) -> int:
    # A live connection renews its claims while it works through a slow batch (a rate limit,
    # a slow server), so they never look stale to the sweep above and go to someone else.
    res = conn.execute(update(D).where(and_(D.c.claimed_by == claimer, D.c.state == DeliveryState.SENDING.value))
                       .values(claimed_at=now))
    return max(res.rowcount or 0, 0)


def requeue_claims_of(conn, issue_id: int, claimers: list[str]) -> int:
    # The claims of workers known to be dead (a killed process on this machine): requeue now
    # instead of waiting for them to go stale.
    if not claimers:
        return 0
    res = conn.execute(update(D).where(and_(D.c.issue_id == issue_id, D.c.state == DeliveryState.SENDING.value,
                                            D.c.claimed_by.in_(claimers)))
                       .values(state="queued", claimed_by=None))
    return max(res.rowcount or 0, 0)


def claimers(conn, issue_id: int) -> list[str]:
    # Who holds claims on this issue now; uses the (issue_id, state) index.
    rows = conn.execute(select(D.c.claimed_by).where(and_(D.c.issue_id == issue_id, D.c.state == DeliveryState.SENDING.value))
                        .distinct()).all()
    return [r[0] for r in rows if r[0]]


def counts_by_state(conn, issue_id: int) -> dict[str, int]:
    # GROUP BY over the (issue_id, state) index: the progress bar and 'status' poll this.
    rows = conn.execute(select(D.c.state, func.count()).where(D.c.issue_id == issue_id).group_by(D.c.state)).all()
    return {state: n for state, n in rows}


def bounced_count(conn, issue_id: int) -> int:
    # Failed deliveries whose subscriber is now bounced: the 5xx refusals of this issue.
    q = (select(func.count()).select_from(D.join(S, S.c.id == D.c.subscriber_id))
         .where(and_(D.c.issue_id == issue_id, D.c.state == "failed", S.c.status == "bounced")))
    return conn.execute(q).scalar_one()


def next_retry_at(conn, issue_id: int) -> datetime | None:
    # When the earliest waiting retry becomes due, so idle workers sleep until then.
    return conn.execute(select(func.min(D.c.next_attempt_at))
                        .where(and_(D.c.issue_id == issue_id, D.c.state == "queued"))).scalar_one()
