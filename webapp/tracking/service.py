"""Read side of a dossier for its applicant: their list, the timeline, what is expected of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from webapp.dossiers.models import Dossier, StepRecord, WorkItem
from webapp.dossiers.withdrawal import REASON_KEY
from webapp.extensions import db


@dataclass(frozen=True)
class Event:
    """One line of the timeline. ``detail`` (e.g. a withdrawal reason) is for the applicant only."""

    at: datetime
    kind: str  # submitted | status | completed
    status: int | None
    name: str | None
    detail: str | None


def _mine(account_id: int) -> sa.ColumnElement[bool]:
    # The same rule as dossiers.service.can_read for a citizen.
    return sa.or_(Dossier.applicant_id == account_id, Dossier.submitted_by_id == account_id)


def list_mine(*, account_id: int, page: int = 1, per_page: int = 20) -> tuple[list[Dossier], int]:
    """The citizen's dossiers, newest first, and how many there are in all."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Dossier).where(_mine(account_id))) or 0
    rows = db.session.scalars(
        sa.select(Dossier).where(_mine(account_id)).options(selectinload(Dossier.procedure_version))
        .order_by(Dossier.submitted_at.desc(), Dossier.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def expected_now(*, dossier_ids: list[int], account_id: int) -> dict[int, list[WorkItem]]:
    """Ready steps that wait for this citizen (a supplement...), per dossier, in one query."""
    found: dict[int, list[WorkItem]] = {i: [] for i in dossier_ids}
    if not dossier_ids:
        return found
    items = db.session.scalars(sa.select(WorkItem).where(
        WorkItem.dossier_id.in_(dossier_ids), WorkItem.state == "ready", WorkItem.assignee_id == account_id)
        .order_by(WorkItem.id))
    for item in items:
        found[item.dossier_id].append(item)
    return found


def timeline(dossier: Dossier, *, with_details: bool) -> list[Event]:
    """Submission, status changes and completed steps, oldest first."""
    records = db.session.scalars(sa.select(StepRecord).where(StepRecord.dossier_id == dossier.id)
                                 .order_by(StepRecord.at, StepRecord.id))
    events = []
    for r in records:
        detail = (r.data or {}).get(REASON_KEY) if with_details and r.kind == "status" and r.data else None
        if r.kind == "apology" and r.data:  # the new date is for the citizen; the reason too when detailed
            detail = f"{r.data.get('ngay_hen_moi')}" + (f" — {r.data.get(REASON_KEY)}" if with_details else "")
        events.append(Event(at=r.at, kind=r.kind, status=r.status, name=r.name, detail=detail))
    return events

