"""The notifications domain's job: tell the applicant their dossier's status changed."""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task

from engine.connectors import ConnectorError
from webapp.extensions import db
from webapp.notifications import service as notifications
from webapp.notifications.models import Notification
from webapp.outbox import failures


@shared_task(name="notify.status_changed", bind=True, autoretry_for=(ConnectorError,), retry_backoff=2,
             retry_backoff_max=300, max_retries=8, soft_time_limit=30, time_limit=60)
def notify_status_changed(self, *, outbox_id: int, dossier_id: int, status: int) -> int:  # noqa: ANN001
    return len(status_changed(outbox_id=outbox_id, dossier_id=dossier_id, status=status))


def status_changed(*, outbox_id: int, dossier_id: int, status: int) -> list[Notification]:
    """The job's body: send, commit what was sent, then raise a retryable failure if there was one
    (the job's retry policy takes over; sent channels are not sent again)."""
    done, retry = notifications.status_changed(outbox_id=outbox_id, dossier_id=dossier_id, status=status)
    db.session.commit()
    if retry is not None:
        raise retry
    return done


@failures.on_failure
def _fail_pending_channels(outbox_id: int, error: str) -> None:
    """Channels still waiting for a job that failed for good are failed, not "pending" forever
    (a retry of the job sends them)."""
    db.session.execute(sa.update(Notification).where(Notification.outbox_id == outbox_id,
                                                     Notification.state == "pending")
                       .values(state="failed", error=error)
                       .execution_options(synchronize_session=False))
