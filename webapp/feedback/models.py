from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class Rating(db.Model):
    """How satisfied the applicant was with one dossier; rating again replaces the answer."""

    __tablename__ = "dossier_ratings"
    __table_args__ = (
        sa.UniqueConstraint("dossier_id"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    score: Mapped[int] = mapped_column()
    comment: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
