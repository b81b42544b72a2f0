from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class Draft(db.Model):
    """A citizen's unfinished declaration, saved on every step so it can be resumed anywhere."""

    __tablename__ = "drafts"
    __table_args__ = (sa.UniqueConstraint("account_id", "procedure_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    procedure_slug: Mapped[str] = mapped_column(sa.String(80))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # "nguoi_yeu_cau.ho_ten" -> "dan_cu" | "ho_so_truoc": what once-only filled in, to say so.
    prefilled: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
