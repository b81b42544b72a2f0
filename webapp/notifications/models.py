from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class Notification(db.Model):
    """One message on one channel for one outbox event; the unique key makes a retried job
    find the message it already sent instead of sending it again."""

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("outbox_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox.id"))
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))  # portal | email | sms | zalo
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(12), default="pending")  # pending | sent | failed
    error: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
