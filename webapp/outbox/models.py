from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class OutboxMessage(db.Model):
    """A job to run, written in the same transaction as the change that asks for it.

    The row, not the broker, is the source of truth: a job is open until ``completed_at``
    or ``failed_at`` is set, and the relay sends an open job again once its lease has run
    out (a worker killed mid-job; a broker that lost the message)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_pending", "dispatched_at", "id"),
        sa.Index("ix_outbox_open", "completed_at", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # ids and codes only, never form data
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)  # sent again after this if still open
    dispatches: Mapped[int] = mapped_column(default=0)  # times handed to the broker
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # gave up: see failed_jobs


class FailedJob(db.Model):
    """A job that failed for good (retries exhausted, or a permanent error), for an administrator
    to look at and send again. One row per outbox message; failing again updates it."""

    __tablename__ = "failed_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox.id"), unique=True)
    job: Mapped[str] = mapped_column(sa.String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # the outbox payload: ids only
    error_class: Mapped[str] = mapped_column(sa.String(120))
    error_message: Mapped[str] = mapped_column(sa.String(200))  # redacted: no numbers that could be personal
    attempts: Mapped[int] = mapped_column(default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    state: Mapped[str] = mapped_column(sa.String(12), default="failed", index=True)  # failed | retried | resolved
    retried_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retried_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))


class JobStats(db.Model):
    """Counters one worker process keeps for one job, added to in batches. Each process owns
    its rows, so workers never wait on each other; /metrics sums them at scrape time."""

    __tablename__ = "job_stats"
    __table_args__ = (sa.UniqueConstraint("job", "worker"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(80))
    worker: Mapped[str] = mapped_column(sa.String(160))  # host:pid
    runs: Mapped[int] = mapped_column(default=0)  # finished, successfully or not
    failures: Mapped[int] = mapped_column(default=0)  # failed for good
    retries: Mapped[int] = mapped_column(default=0)
    latency_sum: Mapped[float] = mapped_column(sa.Float, default=0.0)  # seconds from the outbox row to the job's end
    latency_buckets: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # counts per LATENCY_BUCKETS
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
