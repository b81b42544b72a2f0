"""The connectors domain's jobs: a service task's call to an outside system, and the national
portal sync. Both take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import IntegrityError

from webapp.connectors import calls as connector_calls
from webapp.connectors import portal_sync
from webapp.connectors.attempts import CallLater
from webapp.dossiers.service import Conflict


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
