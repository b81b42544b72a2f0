from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow

STATES = ("requested", "paid", "failed")
_OPEN = sa.text("state != 'failed'")


class Payment(db.Model):
    """One attempt to pay the fee a dossier waits for, through the payment gateway.

    ``due_task_id`` names the waiting event (one visit of it). At most one attempt per due
    is requested or paid at a time: a partial unique index, so a dossier is never paid
    twice whatever requests race. A failed attempt (declined, cancelled) leaves room for a retry.
    """

    __tablename__ = "payments"
    __table_args__ = (
        sa.Index("uq_payments_one_open_per_due", "dossier_id", "due_task_id", unique=True,
                 sqlite_where=_OPEN, postgresql_where=_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    due_task_id: Mapped[str] = mapped_column(sa.String(36))
    element_id: Mapped[str] = mapped_column(sa.String(120))
    fee_key: Mapped[str] = mapped_column(sa.String(80))
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # đồng
    txn_ref: Mapped[str] = mapped_column(sa.String(40), unique=True)  # ours, sent to the gateway
    gateway_txn: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # the gateway's, once answered
    state: Mapped[str] = mapped_column(sa.String(12), default="requested")  # requested | paid | failed
    outcome: Mapped[str | None] = mapped_column(sa.String(20))  # paid | declined | cancelled
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
