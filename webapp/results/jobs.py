"""The results domain's jobs: sign the result document, then push it to the data store."""

from __future__ import annotations

from celery import shared_task

from engine.connectors import ConnectorError
from webapp.extensions import db
from webapp.results import service as results
from webapp.results import store
from webapp.signing.remote import SigningUnavailable


# The signing service's own retries take at most ~35 s (ky_so.ky_bam). Still unavailable: the job
# is tried again 6 times over up to half an hour, then shows among the failed jobs. A refusal
# (unknown unit, revoked certificate) fails for good at once.
@shared_task(name="result.sign", bind=True, autoretry_for=(SigningUnavailable,), retry_backoff=30,
             retry_backoff_max=900, max_retries=6, soft_time_limit=90, time_limit=150)
def sign_result(self, *, outbox_id: int, dossier_id: int) -> int | None:  # noqa: ANN001
    """Render and sign the dossier's result document (idempotent: an issued one is kept)."""
    document = results.issue(dossier_id=dossier_id)
    db.session.commit()
    return document.id if document is not None else None


@shared_task(name="result.store", bind=True, autoretry_for=(ConnectorError,), retry_backoff=2,
             retry_backoff_max=300, max_retries=8, soft_time_limit=150, time_limit=180)
def store_result(self, *, outbox_id: int, dossier_id: int, document_id: int) -> str | None:  # noqa: ANN001
    """Push the issued result into the applicant's data store, once (a retry finds it pushed).
    The connector's own tries take up to about 95 s; then Celery's backoff takes over."""
    stored = store.push(dossier_id=dossier_id, document_id=document_id)
    db.session.commit()
    return stored
