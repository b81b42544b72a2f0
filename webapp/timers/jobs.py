"""The timers' beat job: claim the BPMN timers that are due and hand each to ``timers.fire``
(registered by the dossiers domain, webapp/dossiers/jobs.py)."""

from __future__ import annotations

from celery import shared_task

from webapp.outbox import service as outbox
from webapp.timers import service as timers


@shared_task(name="timers.claim_due", soft_time_limit=30, time_limit=60)
def claim_due_timers() -> int:
    claimed = timers.claim_due()
    if claimed:
        outbox.relay()  # now rather than at the next relay tick
    return len(claimed)
