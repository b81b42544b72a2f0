"""Why a dossier is where it is, as its applicant is told: what a supplement request asks (form 02),
why it was refused (form 03) or stopped (form 05), and why a leader sent it back to be processed
again. Each reason is read through the package's ``fields:`` (engine/bindings.py) from the step that
caused the status change; a stop after a withdrawal request carries the citizen's own reason.

The dossier page shows every reason; every notification channel carries the one of its status
(webapp/notifications/service.py). A reason is an officer's words about the dossier, not data about
the citizen, but an officer may have quoted a number: :func:`without_identifiers` masks identity
and phone numbers and e-mail addresses before a reason leaves by e-mail, SMS or Zalo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.bindings import Bindings, as_text
from engine.statuses import DossierStatus
from webapp.dossiers.models import Dossier, StepRecord
from webapp.dossiers.withdrawal import REASON_KEY
from webapp.extensions import db

APPROVER_LANE = "lanh_dao"  # its steps are approving steps, with those procedure.yaml names in fields.steps
REASON_STATUSES = (DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.REFUSED, DossierStatus.STOPPED)
# 9 or more digits, maybe grouped (identity, phone, insurance numbers), and e-mail addresses; dates stay.
_IDENTIFIERS = re.compile(r"(?<!\d)(?:\d[ .-]?){8,}\d(?!\d)|[\w.+-]+@[\w-]+\.[\w.-]+")


@dataclass(frozen=True)
class Reason:
    kind: str  # supplement | refusal | stop | send_back
    at: datetime
    text: str  # the reason ("" when the step gave none)
    items: str = ""  # supplement: what to add
    withdrawn: bool = False  # stop: at the applicant's own request (text is their reason)
    step: str | None = None  # send_back: the step's name


def without_identifiers(text: str) -> str:
    return _IDENTIFIERS.sub("…", text)


def for_dossier(dossier: Dossier) -> list[Reason]:
    """Every reason the applicant was given, oldest first."""
    bindings = Bindings.for_metadata(dossier.procedure_version.meta)
    records = list(db.session.scalars(sa.select(StepRecord).where(StepRecord.dossier_id == dossier.id)
                                      .order_by(StepRecord.id)))
    found = []
    for index, record in enumerate(records):
        if record.kind == "completed" and _sent_back(bindings, record):
            found.append(Reason("send_back", record.at, bindings.text(record.data, "opinion", step=record.element_id),
                                step=record.name))
        elif record.kind == "status" and record.status in REASON_STATUSES:
            reason = _for_status_row(bindings, records[:index], record)
            if reason is not None:
                found.append(reason)
    return found


def latest(dossier: Dossier, status: int) -> Reason | None:
    """The reason given with the latest change to ``status`` (what its notification says)."""
    kind = {DossierStatus.SUPPLEMENT_REQUESTED: "supplement", DossierStatus.REFUSED: "refusal",
            DossierStatus.STOPPED: "stop"}.get(DossierStatus(status))
    return next((r for r in reversed(for_dossier(dossier)) if r.kind == kind), None) if kind else None


def _sent_back(bindings: Bindings, record: StepRecord) -> bool:
    approving = record.element_id in bindings.steps or record.lane == APPROVER_LANE
    return approving and bindings.approval(record.element_id).sent_back(record.data)


def _for_status_row(bindings: Bindings, before: list[StepRecord], row: StepRecord) -> Reason | None:
    """The reason the step that caused ``row`` gave: the latest completed step before it."""
    if row.status == DossierStatus.STOPPED:
        previous = next((r for r in reversed(before) if r.kind == "status"), None)
        if previous is not None and previous.status == DossierStatus.WITHDRAWAL_REQUESTED:
            return Reason("stop", row.at, as_text((previous.data or {}).get(REASON_KEY)), withdrawn=True)
    step = next((r for r in reversed(before) if r.kind == "completed"), None)
    data = step.data if step is not None and isinstance(step.data, dict) else {}
    if row.status == DossierStatus.SUPPLEMENT_REQUESTED:
        items, text = bindings.text(data, "supplement_items"), bindings.text(data, "supplement_reason")
        return Reason("supplement", row.at, text, items=items) if items or text else None
    concept = "refusal_reason" if row.status == DossierStatus.REFUSED else "stop_reason"
    text = bindings.text(data, concept)
    return Reason("refusal" if row.status == DossierStatus.REFUSED else "stop", row.at, text) if text else None
