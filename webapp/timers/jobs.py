"""The timers' beat job: claim the BPMN timers that are due and hand each to ``timers.fire``
(registered by the dossiers domain, webapp/dossiers/jobs.py)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from webapp.extensions import db
from webapp.outbox import service as outbox
from webapp.timers import service as timers


@shared_task(name="timers.claim_due", soft_time_limit=30, time_limit=60)
def claim_due_timers() -> int:
    claimed = claim_due()
    if claimed:
        outbox.relay()  # now rather than at the next relay tick
    return len(claimed)


def claim_due(*, now: datetime | None = None) -> list[int]:
    """The job's body: claim the due timers and commit the claims with their jobs."""
    claimed = timers.claim_due(now=now)
    db.session.commit()
    return claimed
