"""Jobs that failed for good: recorded for an administrator, who can send them again."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa

from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox.models import FailedJob, OutboxMessage

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
    for hook in _FAILURE_HOOKS:  # e.g. notifications still "pending" for this job become failed
        hook(outbox_id, failed.error_message)
    db.session.flush()
    return failed


_FAILURE_HOOKS: list[Callable[[int, str], None]] = []


def on_failure(hook: Callable[[int, str], None]) -> Callable[[int, str], None]:
    """Register ``hook(outbox_id, redacted_error)``, called in the transaction that records a job
    failed for good. The outbox knows no domain: domains register what a failure means to them."""
    _FAILURE_HOOKS.append(hook)
    return hook


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
    record(Event.JOB_RETRIED, actor_id=actor_id, object_type="failed_job", object_id=failed.id, job=failed.job,
           outbox_id=failed.outbox_id)
    db.session.flush()
    return failed
