"""Jobs that failed for good: recorded for an administrator, who can send them again."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.audit.service import record
from webapp.extensions import db
from webapp.jobs.models import FailedJob, OutboxMessage
from webapp.models import utcnow
from webapp.notifications.models import Notification

# Long digit runs (phone and identity numbers) and e-mail addresses may be personal data.
_PERSONAL = re.compile(r"\d[\d .-]{4,}\d|[\w.+-]+@[\w-]+\.[\w.-]+")


class FailedJobError(Exception):
    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def redact(message: str) -> str:
    return _PERSONAL.sub("…", message)[:200]


def record_failure(*, outbox_id: int, job: str, error: BaseException, attempts: int) -> FailedJob:
    """Mark the outbox row failed (the relay stops sending it) and keep the error, without personal data."""
    now = utcnow()
    outbox = db.session.get(OutboxMessage, outbox_id)
    if outbox is not None:
        outbox.failed_at = now
    failed = db.session.scalar(sa.select(FailedJob).where(FailedJob.outbox_id == outbox_id))
    if failed is None:
        failed = FailedJob(outbox_id=outbox_id, job=job, payload=dict(outbox.payload) if outbox else {},
                           first_failed_at=now, attempts=0)
        db.session.add(failed)
    failed.error_class = type(error).__name__[:120]
    failed.error_message = redact(str(error))
    failed.attempts += attempts
    failed.last_failed_at, failed.state = now, "failed"
    # Channels still waiting for this job are now failed, not "pending" forever (a retry sends them).
    db.session.execute(sa.update(Notification).where(Notification.outbox_id == outbox_id,
                                                     Notification.state == "pending")
                       .values(state="failed", error=failed.error_message)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return failed


def list_(*, page: int, per_page: int, state: str | None = "failed") -> tuple[list[FailedJob], int]:
    query = sa.select(FailedJob)
    if state:
        query = query.where(FailedJob.state == state)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(FailedJob.last_failed_at.desc(), FailedJob.id.desc())
                              .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def retry(*, failed_id: int, actor_id: int) -> FailedJob:
    """Send the job again through the outbox: same outbox row, so its idempotency key is unchanged
    and whatever it already did (a message sent on one channel) is not done twice."""
    failed = db.session.get(FailedJob, failed_id)
    if failed is None:
        raise FailedJobError("not_found")
    if failed.state != "failed":
        raise FailedJobError("not_failed")
    outbox = db.session.get(OutboxMessage, failed.outbox_id)
    assert outbox is not None  # a foreign key
    outbox.dispatched_at = outbox.lease_until = outbox.failed_at = None
    outbox.dispatches = 0
    failed.state, failed.retried_at, failed.retried_by_id = "retried", utcnow(), actor_id
    record("job.retried", actor_id=actor_id, object_type="failed_job", object_id=failed.id, job=failed.job,
           outbox_id=failed.outbox_id)
    db.session.flush()
    return failed
