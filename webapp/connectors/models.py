from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class ConnectorCallRecord(db.Model):
    """One service task's call to an outside system, made by a background job.

    Written with the dossier state that reached the task (and the job's outbox row). The job
    stores the answer here before handing it to the process, so a job that runs again (its
    worker killed, the dossier saved by someone else meanwhile) reuses the answer instead of
    calling the outside system a second time.

    ``state``: ``pending`` (no answer yet), ``answered`` (answer stored, not yet applied),
    ``applied`` (the process moved on), ``dropped`` (the task stopped waiting: a timer or a
    withdrawal cancelled it)."""

    __tablename__ = "connector_calls"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(64))
    element_id: Mapped[str] = mapped_column(sa.String(120))
    connector: Mapped[str] = mapped_column(sa.String(80))
    state: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)  # calls started, a call cut short by a dead worker included
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the connector's declared result fields only
    error_reason: Mapped[str | None] = mapped_column(sa.String(40))
    error_retryable: Mapped[bool | None] = mapped_column(sa.Boolean)
    error_message: Mapped[str | None] = mapped_column(sa.String(200))  # redacted: no numbers, no e-mail addresses
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


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
