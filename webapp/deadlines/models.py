from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow

APPROACHING = "approaching"
OVERDUE = "overdue"


class DeadlineAlert(db.Model):
    """An officer warned that a dossier is about to fall due (or has). The unique key makes the
    periodic scan idempotent: one alert per dossier, officer, threshold and legal due date (a
    due date moved by a supplement pause may warn again)."""

    __tablename__ = "deadline_alerts"
    __table_args__ = (
        sa.UniqueConstraint("dossier_id", "account_id", "kind", "due_at"),
        sa.Index("ix_deadline_alerts_inbox", "account_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # approaching | overdue
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the legal due date it warns about
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
