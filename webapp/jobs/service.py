from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from webapp.extensions import db
from webapp.jobs.models import OutboxMessage
from webapp.models import utcnow

log = logging.getLogger(__name__)


def enqueue(job: str, **payload: Any) -> OutboxMessage:
    """Ask for ``job`` to run once the current transaction commits (never if it rolls back)."""
    message = OutboxMessage(job=job, payload=payload)
    db.session.add(message)
    relay_after_request_soon(message)
    return message


def relay_after_request_soon(message: OutboxMessage) -> None:
    """Hand ``message`` to the broker right after this request commits (the periodic relay otherwise)."""
    if has_request_context():
        g.setdefault("outbox_messages", []).append(message)


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["MOTCUA_SETTINGS"].job_lease_seconds)


def _due(limit: int, ids: list[int] | None) -> list[OutboxMessage]:
    """New rows first, then open rows whose lease ran out (their worker died or the broker lost them).
    With ``ids``, only those rows if still new (what a request just committed)."""
    now = utcnow()
    open_ = sa.and_(OutboxMessage.completed_at.is_(None), OutboxMessage.failed_at.is_(None))
    fresh = sa.select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None), open_).order_by(OutboxMessage.id)
    if ids is not None:
        fresh = fresh.where(OutboxMessage.id.in_(ids))
    stale = sa.select(OutboxMessage).where(open_, OutboxMessage.lease_until < now).order_by(OutboxMessage.id)
    if db.engine.dialect.name == "postgresql":
        fresh, stale = fresh.with_for_update(skip_locked=True), stale.with_for_update(skip_locked=True)
    rows = list(db.session.scalars(fresh.limit(limit)))
    if ids is None and len(rows) < limit:
        rows += db.session.scalars(stale.limit(limit - len(rows)))
    return rows


def relay(limit: int = 100, *, ids: list[int] | None = None) -> int:
    """Send due outbox rows to the broker; returns how many. Safe to run from several places:
    on PostgreSQL rows are locked with SKIP LOCKED, and a job sent twice finds its work done."""
    rows = _due(limit, ids)
    celery = current_app.extensions["celery"]
    lease = _lease()
    sent = 0
    try:
        for row in rows:
            # enqueued_at lets the worker measure the latency from the outbox row to the job's end.
            celery.send_task(row.job, kwargs={**row.payload, "outbox_id": row.id},
                             headers={"enqueued_at": row.created_at.timestamp()})
            row.dispatched_at = utcnow()
            row.lease_until = row.dispatched_at + lease
            sent += 1
    finally:
        db.session.commit()  # what was handed to the broker is marked, even if a later send failed
    return sent


def relay_after_request() -> None:
    """Called after a request committed: hand its jobs to the broker now, not in 5 s."""
    # Rows of a rolled-back transaction have no identity any more: they are never sent.
    ids = [key.identity[0] for key in map(sa.inspect, g.pop("outbox_messages", [])) if key.identity]
    if not ids:
        return
    try:
        relay(ids=ids)
    except Exception:  # noqa: BLE001 - the broker may be down; the periodic relay retries
        db.session.rollback()
        log.warning("outbox relay after request failed; the periodic relay will retry", exc_info=True)


def mark_completed(outbox_id: int) -> None:
    """The job finished: the relay never sends it again, and a failure on record is resolved."""
    from webapp.jobs.models import FailedJob

    now = utcnow()
    # A relay killed before it committed leaves dispatched_at empty on a job that nevertheless ran.
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(
        completed_at=now, failed_at=None, dispatched_at=sa.func.coalesce(OutboxMessage.dispatched_at, now)))
    db.session.execute(sa.update(FailedJob).where(FailedJob.outbox_id == outbox_id, FailedJob.state != "resolved")
                       .values(state="resolved"))
    db.session.commit()


def extend_lease(outbox_id: int) -> None:
    """The job will be tried again by Celery after a backoff: keep the relay from sending it meanwhile."""
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                       .values(lease_until=utcnow() + _lease()))
    db.session.commit()
