from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime

PROVINCE_SCOPE = "tinh"


def unit_scope(unit_id: int) -> str:
    return f"u{unit_id}"


class QualitySnapshot(db.Model):
    """One month's indicators for the province (scope ``tinh``) or one handling unit (``u<id>``).

    A computation replaces the month's rows in one transaction, so a reader sees the whole
    previous set or the whole new one; the unique key makes two computations at once collide
    instead of doubling the rows (the loser retries)."""

    __tablename__ = "quality_snapshots"
    __table_args__ = (sa.UniqueConstraint("period", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM, Vietnam time
    scope: Mapped[str] = mapped_column(sa.String(20))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    final: Mapped[bool] = mapped_column(default=False)  # computed after the month ended
