"""Every job, registered by name. Jobs take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import IntegrityError

from engine.connectors import ConnectorError
from webapp.connectors import calls as connector_calls
from webapp.connectors import portal_sync
from webapp.connectors.attempts import CallLater
from webapp.deadlines import service as deadlines
from webapp.dossiers.service import Conflict, now_vn
from webapp.jobs import service
from webapp.notifications import service as notifications
from webapp.reports import service as quality
from webapp.signing.remote import SigningUnavailable
from webapp.timers import jobs as timer_jobs
from webapp.timers import service as timers


@shared_task(name="outbox.relay", soft_time_limit=30, time_limit=60)
def relay_outbox() -> int:
    return service.relay()


@shared_task(name="jobs.probe", soft_time_limit=10, time_limit=20)
def probe(*, outbox_id: int) -> int:
    """Does nothing: its outbox row being marked done proves the whole path (outbox, broker,
    worker, database) works. Used by ``motcua jobs health`` and the jobs benchmark."""
    return outbox_id


@shared_task(name="notify.status_changed", bind=True, autoretry_for=(ConnectorError,), retry_backoff=2,
             retry_backoff_max=300, max_retries=8, soft_time_limit=30, time_limit=60)
def notify_status_changed(self, *, outbox_id: int, dossier_id: int, status: int) -> int:  # noqa: ANN001
    return len(notifications.status_changed(outbox_id=outbox_id, dossier_id=dossier_id, status=status))


@shared_task(name="timers.claim_due", soft_time_limit=30, time_limit=60)
def claim_due_timers() -> int:
    """Beat: claim the BPMN timers that are due and hand each to ``timers.fire``."""
    claimed = timers.claim_due()
    if claimed:
        service.relay()  # now rather than at the next relay tick
    return len(claimed)


@shared_task(name="timers.fire", bind=True, autoretry_for=(Conflict,), retry_backoff=1, retry_backoff_max=30,
             max_retries=8, soft_time_limit=60, time_limit=120)
def fire_timers(self, *, outbox_id: int, dossier_id: int) -> bool:  # noqa: ANN001
    return timer_jobs.fire(dossier_id=dossier_id)


@shared_task(name="connector.call", bind=True, autoretry_for=(Conflict,), retry_backoff=1, retry_backoff_max=30,
             max_retries=8, soft_time_limit=150, time_limit=180)
def call_connector(self, *, outbox_id: int, dossier_id: int, task_id: str) -> str:  # noqa: ANN001
    """A service task's call to an outside system, then its answer handed to the process."""
    try:
        return connector_calls.run(dossier_id=dossier_id, task_id=task_id)
    except CallLater as later:
        # The connector's own backoff; the number of tries is counted on the call record.
        raise self.retry(countdown=later.countdown, max_retries=None) from None


@shared_task(name="portal.sync", bind=True, autoretry_for=(IntegrityError,), retry_backoff=1, max_retries=5,
             soft_time_limit=150, time_limit=180)
def sync_national_portal(self, *, outbox_id: int, dossier_id: int) -> str:  # noqa: ANN001
    """The dossier's current status to the national public service portal (webapp/connectors/portal_sync.py)."""
    try:
        return portal_sync.sync(dossier_id=dossier_id)
    except CallLater as later:
        raise self.retry(countdown=later.countdown, max_retries=None) from None


@shared_task(name="deadlines.scan", soft_time_limit=120, time_limit=180)
def scan_deadlines() -> int:
    """Beat: warn officers of dossiers approaching their due date, once each; returns the alerts written."""
    return deadlines.scan(now=now_vn()).alerts


@shared_task(name="stats.refresh", soft_time_limit=540, time_limit=600)
def refresh_quality_index() -> list[str]:
    """Beat: this month's service-quality index (and last month's final figures, once)."""
    from webapp.extensions import db

    months = quality.refresh()
    db.session.commit()
    return months


@shared_task(name="stats.compute", bind=True, autoretry_for=(IntegrityError,), retry_backoff=1, max_retries=5,
             soft_time_limit=540, time_limit=600)
def compute_quality_index(self, *, outbox_id: int, period: str) -> int:  # noqa: ANN001
    """One month's service-quality index, asked for from the dashboard (a collision with another
    computation of the same month retries; the figures are the same)."""
    from webapp.extensions import db

    written = quality.compute(period)
    db.session.commit()
    return written


# The signing service's own retries take at most ~35 s (ky_so.ky_bam). Still unavailable: the job
# is tried again 6 times over up to half an hour, then shows among the failed jobs. A refusal
# (unknown unit, revoked certificate) fails for good at once.
@shared_task(name="result.sign", bind=True, autoretry_for=(SigningUnavailable,), retry_backoff=30,
             retry_backoff_max=900, max_retries=6, soft_time_limit=90, time_limit=150)
def sign_result(self, *, outbox_id: int, dossier_id: int) -> int | None:  # noqa: ANN001
    """Render and sign the dossier's result document (idempotent: an issued one is kept)."""
    from webapp.extensions import db
    from webapp.results import service as results

    document = results.issue(dossier_id=dossier_id)
    db.session.commit()
    return document.id if document is not None else None


@shared_task(name="result.store", bind=True, autoretry_for=(ConnectorError,), retry_backoff=2,
             retry_backoff_max=300, max_retries=8, soft_time_limit=150, time_limit=180)
def store_result(self, *, outbox_id: int, dossier_id: int, document_id: int) -> str | None:  # noqa: ANN001
    """Push the issued result into the applicant's data store, once (a retry finds it pushed).
    The connector's own tries take up to about 95 s; then Celery's backoff takes over."""
    from webapp.extensions import db
    from webapp.results import store

    stored = store.push(dossier_id=dossier_id, document_id=document_id)
    db.session.commit()
    return stored
