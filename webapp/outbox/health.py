"""Is background work flowing? The outbox backlog, which workers answer, and a probe job
sent the whole way (outbox, broker, worker, database)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox.models import FailedJob, OutboxMessage
from webapp.outbox.service import enqueue, relay


@dataclass(frozen=True)
class Backlog:
    waiting: int  # not handed to the broker yet
    running: int  # handed over, not finished
    overdue: int  # handed over, lease run out: the relay will send them again
    oldest_open_seconds: float
    failed: int  # failed for good, waiting for an administrator


def _age_seconds(oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # min() loses the column's type on SQLite: a naive UTC value
        oldest = oldest.replace(tzinfo=UTC)
    return max((utcnow() - oldest).total_seconds(), 0.0)


def backlog() -> Backlog:
    open_ = sa.and_(OutboxMessage.completed_at.is_(None), OutboxMessage.failed_at.is_(None))

    def count(*where: sa.ColumnElement[bool]) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(*where)) or 0

    return Backlog(
        waiting=count(open_, OutboxMessage.dispatched_at.is_(None)),
        running=count(open_, OutboxMessage.dispatched_at.is_not(None)),
        overdue=count(open_, OutboxMessage.lease_until < utcnow()),
        oldest_open_seconds=_age_seconds(db.session.scalar(sa.select(sa.func.min(OutboxMessage.created_at)).where(open_))),
        failed=db.session.scalar(sa.select(sa.func.count()).select_from(FailedJob)
                                 .where(FailedJob.state == "failed")) or 0,
    )


def ping_workers(timeout: float) -> list[str] | None:
    """Names of the workers that answered, or None when the broker cannot broadcast (the embedded
    SQLite broker): then only the probe tells."""
    celery = current_app.extensions["celery"]
    try:
        replies = celery.control.inspect(timeout=timeout).ping() or {}
    except NotImplementedError:
        return None
    return sorted(replies)


def probe(timeout: float) -> float | None:
    """Send a do-nothing job through the outbox and wait for a worker to finish it; the seconds
    it took, or None if no worker finished it in time."""
    started = time.monotonic()
    message = enqueue("jobs.probe")
    db.session.commit()
    row_id = message.id
    relay()
    while time.monotonic() - started < timeout:
        db.session.expire_all()
        if db.session.scalar(sa.select(OutboxMessage.completed_at).where(OutboxMessage.id == row_id)) is not None:
            return time.monotonic() - started
        time.sleep(0.1)
    return None
