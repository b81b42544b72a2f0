"""Deadline escalation: warn the officers of dossiers approaching their legal due date, flag
the overdue ones. Overdue is derived (open, past due, clock not paused), never stored, so it
can never disagree with the due date; the alerts are stored so each is sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from engine.statuses import DossierStatus
from webapp.accounts.models import Account, RoleAssignment
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.deadlines.models import APPROACHING, OVERDUE, DeadlineAlert
from webapp.dossiers.models import Dossier, WorkItem
from webapp.extensions import db
from webapp.procedures import service as procedures

LEADER_ROLE = "lanh_dao"


@dataclass(frozen=True)
class ScanResult:
    dossiers: int  # dossiers newly alerted
    alerts: int  # alert rows written (one per officer)


def _open() -> sa.ColumnElement[bool]:
    # While the citizen supplements, the legal clock is paused: not late, not approaching.
    return sa.and_(Dossier.finished_at.is_(None), Dossier.due_at.is_not(None),
                   sa.or_(Dossier.status.is_(None), Dossier.status != DossierStatus.SUPPLEMENT_REQUESTED))


def overdue_condition(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(_open(), Dossier.due_at < now)


def horizon(now: datetime) -> datetime:
    """Dossiers due before this are "approaching": the configured working days from now, on the
    working-day calendar (a due date after a weekend is approached on Friday)."""
    days = current_app.config["MOTCUA_SETTINGS"].deadline_warn_days
    return procedures.engine().calendar.due_at(now, days, "working_days")


def recipients(dossier_id: int, handling_unit_id: int) -> list[int]:
    """The officers who hold the dossier's ready steps, and the leaders of its handling unit."""
    claimed = db.session.scalars(
        sa.select(WorkItem.claimed_by_id).join(Account, Account.id == WorkItem.claimed_by_id)
        .where(WorkItem.dossier_id == dossier_id, WorkItem.state == "ready", Account.kind == "officer")).all()
    leaders = db.session.scalars(
        sa.select(RoleAssignment.account_id).join(Account, Account.id == RoleAssignment.account_id)
        .where(RoleAssignment.unit_id == handling_unit_id, RoleAssignment.role == LEADER_ROLE,
               Account.active.is_(True))).all()
    return sorted(set(claimed) | set(leaders))


def _not_alerted(kind: str) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(DeadlineAlert.dossier_id == Dossier.id, DeadlineAlert.kind == kind,
                              DeadlineAlert.due_at == Dossier.due_at)


def scan(*, now: datetime, limit: int = 500) -> ScanResult:
    """Alert once per dossier, officer, threshold and due date; safe to run from several beats
    at once (the unique key turns a duplicate into a skipped row). The caller commits."""
    edge = horizon(now)
    found = [(kind, row) for kind, where in (
        (OVERDUE, Dossier.due_at < now),
        (APPROACHING, sa.and_(Dossier.due_at >= now, Dossier.due_at <= edge)),
    ) for row in db.session.execute(
        sa.select(Dossier.id, Dossier.code, Dossier.due_at, Dossier.handling_unit_id)
        .where(_open(), where, _not_alerted(kind)).order_by(Dossier.due_at).limit(limit)).all()]
    dossiers = alerts = 0
    for kind, (dossier_id, code, due_at, unit_id) in found:
        written = 0
        for account_id in recipients(dossier_id, unit_id):
            try:
                with db.session.begin_nested():
                    db.session.add(DeadlineAlert(dossier_id=dossier_id, account_id=account_id, kind=kind,
                                                 due_at=due_at, created_at=now))
                written += 1
            except IntegrityError:  # another scan wrote it first
                continue
        if written:
            dossiers += 1
            alerts += written
            record(Event.DOSSIER_DEADLINE_ALERT, actor_id=None, dossier_id=dossier_id, object_type="dossier",
                   object_id=code, kind=kind, officers=written)
    db.session.flush()
    return ScanResult(dossiers=dossiers, alerts=alerts)


def count_overdue(*, now: datetime, unit_ids: frozenset[int] | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(Dossier).where(overdue_condition(now))
    if unit_ids is not None:
        query = query.where(Dossier.handling_unit_id.in_(unit_ids or [-1]))
    return db.session.scalar(query) or 0


def list_overdue(*, now: datetime, unit_ids: frozenset[int], limit: int = 10) -> list[Dossier]:
    """The unit's overdue dossiers, latest first: each needs a form 04 apology."""
    return list(db.session.scalars(sa.select(Dossier).where(overdue_condition(now),
                                                            Dossier.handling_unit_id.in_(unit_ids or [-1]))
                                   .order_by(Dossier.due_at).limit(limit)))


@dataclass(frozen=True)
class AlertRow:
    alert: DeadlineAlert
    code: str


def list_unread(*, account_id: int, limit: int = 20) -> list[AlertRow]:
    rows = db.session.execute(
        sa.select(DeadlineAlert, Dossier.code).join(Dossier, Dossier.id == DeadlineAlert.dossier_id)
        .where(DeadlineAlert.account_id == account_id, DeadlineAlert.read_at.is_(None))
        .order_by(DeadlineAlert.due_at, DeadlineAlert.id).limit(limit)).all()
    return [AlertRow(*row) for row in rows]


def mark_read(*, account_id: int, alert_id: int, now: datetime) -> bool:
    """The officer has seen the alert; False when it is not theirs (or already read)."""
    alert = db.session.get(DeadlineAlert, alert_id)
    if alert is None or alert.account_id != account_id or alert.read_at is not None:
        return False
    alert.read_at = now
    record(Event.DEADLINE_ALERT_READ, actor_id=account_id, dossier_id=alert.dossier_id, object_type="deadline_alert",
           object_id=alert.id)
    db.session.flush()
    return True
