from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from webapp.extensions import db
from webapp.jobs.models import OutboxMessage
from webapp.models import utcnow

log = logging.getLogger(__name__)


def enqueue(job: str, **payload: Any) -> None:
    """Ask for ``job`` to run once the current transaction commits (never if it rolls back)."""
    db.session.add(OutboxMessage(job=job, payload=payload))
    if has_request_context():
        g.outbox_dirty = True


def relay(limit: int = 100) -> int:
    """Send pending outbox rows to the broker; returns how many. Safe to run from several places:
    on PostgreSQL rows are locked with SKIP LOCKED, and a job sent twice finds its work done."""
    query = sa.select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None)).order_by(OutboxMessage.id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.scalars(query.limit(limit)).all()
    celery = current_app.extensions["celery"]
    sent = 0
    try:
        for row in rows:
            celery.send_task(row.job, kwargs={**row.payload, "outbox_id": row.id})
            row.dispatched_at = utcnow()
            sent += 1
    finally:
        db.session.commit()  # what was handed to the broker is marked, even if a later send failed
    return sent


def relay_after_request() -> None:
    """Called after a request committed: hand its jobs to the broker now, not in 5 s."""
    if not g.get("outbox_dirty"):
        return
    try:
        relay()
    except Exception:  # noqa: BLE001 - the broker may be down; the periodic relay retries
        db.session.rollback()
        log.warning("outbox relay after request failed; the periodic relay will retry", exc_info=True)
