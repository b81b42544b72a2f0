"""The timer schedule: written with the dossier's state, claimed by beat, one claim at a time.

``schedule`` runs inside every state save (webapp/dossiers/service.py ``_apply``), so the due
time always matches the saved state. ``claim_due`` is the beat side: one conditional UPDATE
takes the due rows no other claim holds, so two beats (or one beat run twice) never hand out
the same timer; the job then checks the row again before it fires (webapp/timers/jobs.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox import service as jobs
from webapp.timers.models import BPMN_TIMER, TimerDue

FIRE_JOB = "timers.fire"


def get(*, dossier_id: int, kind: str = BPMN_TIMER) -> TimerDue | None:
    return db.session.scalar(sa.select(TimerDue).where(TimerDue.dossier_id == dossier_id, TimerDue.kind == kind))


def schedule(*, dossier_id: int, due_at: datetime | None, kind: str = BPMN_TIMER) -> None:
    """Record when the dossier's process next needs waking up (None: it waits on no timer)."""
    row = get(dossier_id=dossier_id, kind=kind)
    if due_at is None:
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        db.session.add(TimerDue(dossier_id=dossier_id, kind=kind, due_at=due_at, claims=0))
    elif row.due_at != due_at:  # a new due time: any claim was for the old one
        row.due_at, row.claimed_at, row.lease_until, row.claims = due_at, None, None, 0


def release(row: TimerDue) -> None:
    """The job is done with the row without firing it: beat may claim it again."""
    row.claimed_at = row.lease_until = None


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(TimerDue.due_at <= now, sa.or_(TimerDue.lease_until.is_(None), TimerDue.lease_until < now))


def claim_due(*, limit: int = 100, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due rows and enqueue a job for each; returns their dossier ids.

    One UPDATE ... RETURNING whose WHERE holds the claim condition: on SQLite the write lock
    makes it atomic; on PostgreSQL the candidates are locked with SKIP LOCKED and the condition
    is checked again on the locked rows, so concurrent beats split the work instead of sharing it.
    The claim and the jobs commit together (the caller commits); a claim whose job never ends runs
    out and is taken again."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["MOTCUA_SETTINGS"].timer_lease_seconds)
    candidates = sa.select(TimerDue.id).where(_claimable(now)).order_by(TimerDue.due_at).limit(limit)
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        sa.update(TimerDue)
        .where(TimerDue.id.in_(candidates.scalar_subquery()), _claimable(now))
        .values(claimed_at=now, lease_until=now + lease, claims=TimerDue.claims + 1)
        .returning(TimerDue.dossier_id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    for dossier_id in claimed:
        jobs.enqueue(FIRE_JOB, dossier_id=dossier_id)
    return list(claimed)


def count_due(*, now: datetime) -> int:
    """Timers whose time has come and that have not fired yet (a growing figure: beat is not running)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(TimerDue).where(TimerDue.due_at <= now)) or 0
