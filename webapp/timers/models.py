from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime

BPMN_TIMER = "bpmn_timer"


class TimerDue(db.Model):
    """When a dossier's process next needs waking up, written in the same transaction as its state.

    Beat reads this table along its due_at index, never the dossiers: the cost follows the
    timers that are due, not the number of running instances. A claim (``lease_until``) keeps
    other beats off the row while the job runs; a claim that runs out is taken again."""

    __tablename__ = "timer_schedule"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"))
    kind: Mapped[str] = mapped_column(sa.String(20), default=BPMN_TIMER)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)  # claimable again after this
    claims: Mapped[int] = mapped_column(default=0)  # times claimed for the current due time
