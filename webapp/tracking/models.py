from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime


class LookupThrottle(db.Model):
    """Failed public lookups per dossier code, in the database so every process sees them.

    The code is stored hashed: the table must not become a list of codes people typed.
    """

    __tablename__ = "lookup_throttles"

    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
