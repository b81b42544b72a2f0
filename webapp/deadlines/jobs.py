"""The deadlines domain's job (beat): warn officers of dossiers approaching their due date."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from webapp.deadlines import service as deadlines
from webapp.dossiers.service import now_vn
from webapp.extensions import db


@shared_task(name="deadlines.scan", soft_time_limit=120, time_limit=180)
def scan_deadlines() -> int:
    """Warn officers of dossiers approaching their due date, once each; returns the alerts written."""
    return scan(now=now_vn()).alerts


def scan(*, now: datetime) -> deadlines.ScanResult:
    """The job's body: one scan, committed."""
    result = deadlines.scan(now=now)
    db.session.commit()
    return result
