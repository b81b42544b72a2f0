from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox.failures import record_failure
from webapp.outbox.models import OutboxMessage

if TYPE_CHECKING:
    from webapp.outbox.handover import Handed

log = logging.getLogger(__name__)
# A job handed over this many times without any worker finishing it (its worker killed each
# time: out of memory, a hard time limit) is recorded as failed instead of sent forever.
MAX_DISPATCHES = 5


class JobAbandoned(Exception):
    """No worker finished the job, however often it was handed over."""


def enqueue(job: str, **payload: Any) -> OutboxMessage:
    """Ask for ``job`` to run once the current transaction commits (never if it rolls back)."""
    message = OutboxMessage(job=job, payload=payload, created_at=utcnow())
    db.session.add(message)
    hand_over_after_request(message)
    return message


def hand_over_after_request(message: OutboxMessage) -> None:
    """In a request, send ``message`` to the broker right after the commit instead of in 5 s.

    It is marked as handed over in the request's own transaction, so sending it costs the
    request no second transaction. If the process dies between the commit and the send, the
    relay sends it once its lease runs out; if the broker refuses it, it is unmarked at once."""
    if not has_request_context():
        return
    message.dispatched_at = utcnow()
    message.lease_until = message.dispatched_at + _lease()
    message.dispatches = (message.dispatches or 0) + 1
    # What the send needs, kept now: after the commit, reading the row again would cost a query.
    g.setdefault("outbox_messages", []).append((message, message.job, dict(message.payload), message.created_at))


def _bookkeeping_transaction() -> None:
    """Start a transaction whose commit need not wait for the disk (PostgreSQL). For marks that
    are safe to lose in a crash: a lost "sent" or "done" only makes the relay send the job again,
    and the job finds its work done. Saves a disk flush per job in every worker."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["MOTCUA_SETTINGS"].job_lease_seconds)


def _due(limit: int) -> list[OutboxMessage]:
    """New rows first, then open rows whose lease ran out (their worker died or the broker lost them)."""
    now = utcnow()
    open_ = sa.and_(OutboxMessage.completed_at.is_(None), OutboxMessage.failed_at.is_(None))
    fresh = sa.select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None), open_).order_by(OutboxMessage.id)
    stale = sa.select(OutboxMessage).where(open_, OutboxMessage.lease_until < now).order_by(OutboxMessage.id)
    if db.engine.dialect.name == "postgresql":
        fresh, stale = fresh.with_for_update(skip_locked=True), stale.with_for_update(skip_locked=True)
    rows = list(db.session.scalars(fresh.limit(limit)))
    if len(rows) < limit:
        rows += db.session.scalars(stale.limit(limit - len(rows)))
    return rows


def relay(limit: int = 100) -> int:
    """Send due outbox rows to the broker; returns how many. Safe to run from several places:
    on PostgreSQL rows are locked with SKIP LOCKED, and a job sent twice finds its work done."""
    _bookkeeping_transaction()
    rows = _due(limit)
    celery = current_app.extensions["celery"]
    sent: list[int] = []
    try:
        # One producer and one Redis round trip for the whole batch (a transport without batches,
        # like the embedded SQLite broker, publishes each message at once).
        with celery.producer_or_acquire() as producer, _batch(producer):
            for row in rows:
                if row.dispatches >= MAX_DISPATCHES:
                    _abandon(row)
                    continue
                # enqueued_at lets the worker measure the latency from the outbox row to the job's end.
                celery.send_task(row.job, kwargs={**row.payload, "outbox_id": row.id},
                                 headers={"enqueued_at": row.created_at.timestamp()}, producer=producer)
                sent.append(row.id)
    except Exception:
        # A batch that failed to reach the broker may be partly delivered: marking none sends them
        # again at the next relay (a job sent twice finds its work done) instead of after the lease.
        sent = []
        raise
    finally:
        _mark_handed_over(sent)
        db.session.commit()  # abandoned rows are recorded even if the send failed
    return len(sent)


def _batch(producer: Any) -> contextlib.AbstractContextManager[Any]:
    """kombu's publish batch (kombu 5.7+); older kombu publishes each message at once."""
    batch = getattr(producer, "batch", None)
    return batch() if batch is not None else contextlib.nullcontext()


def _abandon(row: OutboxMessage) -> None:
    record_failure(outbox_id=row.id, job=row.job, attempts=row.dispatches, error=JobAbandoned(
        f"no worker finished it after {row.dispatches} hand-overs"))
    log.warning("job %s (outbox %s) abandoned after %s hand-overs", row.job, row.id, row.dispatches)


def _mark_handed_over(ids: list[int]) -> None:
    """One UPDATE for the whole batch instead of one per row."""
    if not ids:
        return
    now = utcnow()
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(dispatched_at=now, lease_until=now + _lease(), dispatches=OutboxMessage.dispatches + 1)
                       .execution_options(synchronize_session=False))


def relay_after_request() -> None:
    """Called after a request: hand the jobs its transaction committed to the sending thread
    (webapp/outbox/handover.py), so the response does not wait for the broker."""
    from webapp.outbox.handover import Handed, hand_over

    handed = []
    for message, job, payload, created_at in g.pop("outbox_messages", []):
        identity = sa.inspect(message).identity  # none when the transaction rolled back
        if identity:
            handed.append(Handed(outbox_id=identity[0], job=job, payload=payload, enqueued_at=created_at.timestamp()))
    hand_over.submit(current_app._get_current_object(), handed)  # type: ignore[attr-defined]


def publish(messages: list[Handed]) -> None:
    """Send jobs already marked as handed over to the broker, in one round trip where it can."""
    celery = current_app.extensions["celery"]
    with celery.producer_or_acquire() as producer, _batch(producer):
        for message in messages:
            celery.send_task(message.job, kwargs={**message.payload, "outbox_id": message.outbox_id},
                             headers={"enqueued_at": message.enqueued_at}, producer=producer)


def unmark_handed_over(ids: list[int]) -> None:
    """The broker refused them: the next relay tick sends them, not the lease's end."""
    try:
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                           .values(dispatched_at=None, lease_until=None).execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def mark_completed(outbox_id: int) -> None:
    """The job finished: the relay never sends it again, and a failure on record is resolved."""
    mark_completed_many([outbox_id])


def mark_completed_many(outbox_ids: list[int]) -> None:
    """Several finished jobs in one transaction (a worker's batched marks, webapp/outbox/marks.py)."""
    from webapp.outbox.models import FailedJob

    _bookkeeping_transaction()
    now = utcnow()
    # A relay killed before it committed leaves dispatched_at empty on a job that nevertheless ran.
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)).values(
        completed_at=now, failed_at=None, dispatched_at=sa.func.coalesce(OutboxMessage.dispatched_at, now))
        .execution_options(synchronize_session=False))
    db.session.execute(sa.update(FailedJob).where(FailedJob.outbox_id.in_(outbox_ids), FailedJob.state != "resolved")
                       .values(state="resolved").execution_options(synchronize_session=False))
    db.session.commit()


def extend_lease(outbox_id: int) -> None:
    """The job will be tried again by Celery after a backoff: keep the relay from sending it meanwhile."""
    _bookkeeping_transaction()
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                       .values(lease_until=utcnow() + _lease()))
    db.session.commit()
