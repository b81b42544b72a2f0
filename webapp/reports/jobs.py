"""The reports domain's jobs: the service-quality index, refreshed by beat or asked for."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.reports import service as quality


@shared_task(name="stats.refresh", soft_time_limit=540, time_limit=600)
def refresh_quality_index() -> list[str]:
    """Beat: this month's service-quality index (and last month's final figures, once)."""
    months = quality.refresh()
    db.session.commit()
    return months


@shared_task(name="stats.compute", bind=True, autoretry_for=(IntegrityError,), retry_backoff=1, max_retries=5,
             soft_time_limit=540, time_limit=600)
def compute_quality_index(self, *, outbox_id: int, period: str) -> int:  # noqa: ANN001
    """One month's service-quality index, asked for from the dashboard (a collision with another
    computation of the same month retries; the figures are the same)."""
    written = quality.compute(period)
    db.session.commit()
    return written
