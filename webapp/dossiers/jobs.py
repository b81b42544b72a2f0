"""The dossiers domain's job: fire one dossier's due BPMN timers. Takes the dossier id; safe to
run twice. (Beat finds the due timers: webapp/timers/jobs.py.)"""

from __future__ import annotations

import logging

from celery import shared_task

from webapp.dossiers import service as dossiers
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.models import utcnow
from webapp.timers import service as timers

log = logging.getLogger(__name__)


@shared_task(name="timers.fire", bind=True, autoretry_for=(dossiers.Conflict,), retry_backoff=1,
             retry_backoff_max=30, max_retries=8, soft_time_limit=60, time_limit=120)
def fire_timers(self, *, outbox_id: int, dossier_id: int) -> bool:  # noqa: ANN001
    return fire(dossier_id=dossier_id)


def fire(*, dossier_id: int) -> bool:
    """Fire the dossier's due timers once; False when there was nothing (left) to fire.

    The schedule row is read first: a copy of this job that runs after the timer fired finds
    the row gone or moved to the next due time. Two copies running at once both read the
    dossier, and the optimistic lock lets one save; the other raises Conflict, is retried by
    Celery and then finds nothing due."""
    row = timers.get(dossier_id=dossier_id)
    if row is None or row.due_at > utcnow():
        db.session.rollback()
        return False
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or dossier.finished_at is not None:
        timers.schedule(dossier_id=dossier_id, due_at=None)
        db.session.commit()
        return False
    try:
        fired = dossiers.fire_timers(dossier)
    except dossiers.Conflict:
        raise  # someone else saved the dossier meanwhile: retried, then checked again
    except dossiers.DossierError as err:
        log.warning("timer of dossier %s not fired: %s", dossier_id, err.code)
        db.session.commit()  # the row is removed: nothing to fire on a failed instance
        return False
    row = timers.get(dossier_id=dossier_id)
    if row is not None and row.due_at <= utcnow():
        # Still due (the engine's clock disagreed by a moment): let beat claim it again.
        timers.release(row)
    db.session.commit()
    return fired
