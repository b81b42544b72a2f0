from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime


class PortalSync(db.Model):
    """Where one dossier stands on the national public service portal (Cổng DVCQG).

    ``national_code`` is set once the dossier exists there (protocol steps 1-4);
    ``synced_status`` is the last national status code the portal accepted (steps 5-6).
    ``attempts`` counts the tries of the call under way, so retries stop at the connector's limit."""

    __tablename__ = "portal_sync"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), unique=True)
    national_code: Mapped[str | None] = mapped_column(sa.String(40))
    synced_status: Mapped[int | None] = mapped_column()
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(200))  # redacted
