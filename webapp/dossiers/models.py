from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow
from webapp.procedures.models import ProcedureVersion

CHANNELS = {1: "desk", 2: "online", 3: "post"}


class Dossier(db.Model):
    __tablename__ = "dossiers"
    __table_args__ = (
        # A retried submission (same submitter, same Idempotency-Key) finds the first one.
        sa.UniqueConstraint("submitted_by_id", "idempotency_key", name="uq_dossiers_idempotency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    procedure_version_id: Mapped[int] = mapped_column(sa.ForeignKey("procedure_versions.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    receiving_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    handling_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    channel: Mapped[int] = mapped_column(default=2)
    status: Mapped[int | None] = mapped_column(index=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)  # a month's statistics
    form_data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.Text)  # engine instance state, without the spec
    failure: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # Filled from data the State already held (prefill, a document used again): the quality index counts it.
    reused_data: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    tracking_number: Mapped[str | None] = mapped_column(sa.String(40))  # public post, when the result went by post
    version: Mapped[int] = mapped_column(default=1)

    # Optimistic lock: every UPDATE says "WHERE version = <the one I read>".
    __mapper_args__ = {"version_id_col": version}

    procedure_version: Mapped[ProcedureVersion] = relationship()
    pauses: Mapped[list[SupplementPause]] = relationship(order_by="SupplementPause.started_at")


class SupplementPause(db.Model):
    """The legal clock stops while the citizen is asked to supplement the dossier."""

    __tablename__ = "supplement_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StepRecord(db.Model):
    """The dossier's history: each status change and each completed step, with who and when."""

    __tablename__ = "step_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(sa.String(20))  # submitted | completed | status
    element_id: Mapped[str | None] = mapped_column(sa.String(120))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    lane: Mapped[str | None] = mapped_column(sa.String(60))
    status: Mapped[int | None] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    # What the step's form said (e.g. the reason for a refusal), for the slips the desk prints.
    data: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class WorkItem(db.Model):
    """One ready human step of a dossier, materialised so worklists are one indexed query."""

    __tablename__ = "work_items"
    __table_args__ = (
        sa.Index("ix_work_items_queue", "state", "role", "unit_id", "due_at"),
        sa.UniqueConstraint("dossier_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36))
    element_id: Mapped[str] = mapped_column(sa.String(120))
    name: Mapped[str] = mapped_column(sa.String(200))
    lane: Mapped[str | None] = mapped_column(sa.String(60))
    role: Mapped[str | None] = mapped_column(sa.String(40))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)  # citizen steps
    state: Mapped[str] = mapped_column(sa.String(12), default="ready")  # ready | done | cancelled
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    dossier: Mapped[Dossier] = relationship()


class Document(db.Model):
    """An attachment. The bytes live in content-addressed storage under ``storage_key``."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    component: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DossierNote(db.Model):
    """An officer's note on a dossier, for the officers who handle it; the citizen never sees it."""

    __tablename__ = "dossier_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(sa.Text)


class DossierCodeCounter(db.Model):
    """Daily sequence per receiving unit, incremented under a row lock."""

    __tablename__ = "dossier_code_counters"

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


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
