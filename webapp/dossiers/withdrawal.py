"""The applicant asks to withdraw a dossier (national status 7) before its result is ready;
the one-stop desk of the receiving unit decides.

Accepting stops processing (status 8): every open step is cancelled and the dossier ends.
Declining puts the dossier back in the status it had, and work goes on. While a request
waits, no step of the dossier can be completed, so the decision cannot be overtaken.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from engine.statuses import DossierStatus
from webapp.accounts.service import Principal
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.models import Dossier, StepRecord, WorkItem
from webapp.dossiers.service import Conflict, DossierError, now_vn, set_status
from webapp.extensions import db

WITHDRAWABLE = frozenset({DossierStatus.NEW, DossierStatus.RECEIVED, DossierStatus.PROCESSING,
                          DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.PAYMENT_REQUESTED})
REASON_MAX = 500
# The product's own record, not a package form: the reason is kept under this key on the status row
# (a withdrawal request here, a late-result apology in webapp/workspace/apology.py).
REASON_KEY = "reason"  # the product's own key (also the apology's), never a package field


def can_withdraw(dossier: Dossier) -> bool:
    return dossier.status in WITHDRAWABLE


def request(*, account_id: int, dossier: Dossier, reason: str, now: datetime | None = None) -> Dossier:
    """Set status 7 with the reason in the history; the caller checked the applicant may read the dossier."""
    now = now or now_vn()
    reason = reason.strip()
    if not can_withdraw(dossier):
        raise DossierError(409, "not_withdrawable", "the dossier can no longer be withdrawn")
    if not reason or len(reason) > REASON_MAX:
        raise DossierError(422, "invalid_reason", f"give a reason of at most {REASON_MAX} characters")
    try:
        set_status(dossier, DossierStatus.WITHDRAWAL_REQUESTED, "", now, account_id)
        db.session.flush()
        # The reason goes on the history row just written (shown to the applicant and officers only).
        latest = db.session.scalar(sa.select(StepRecord).where(
            StepRecord.dossier_id == dossier.id, StepRecord.kind == "status").order_by(StepRecord.id.desc()).limit(1))
        assert latest is not None
        latest.data = {REASON_KEY: reason}
        # The audit entry says that it happened, never the citizen's words.
        record(Event.DOSSIER_WITHDRAWAL_REQUESTED, actor_id=account_id, dossier_id=dossier.id, object_type="dossier",
               object_id=dossier.code)
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    return dossier


DESK_ROLE = "tiep_nhan"
NOTE_MAX = 500


def can_decide(principal: Principal, dossier: Dossier) -> bool:
    """The desk (tiep_nhan) of the unit that received the dossier decides on withdrawal."""
    return not principal.is_citizen and principal.has(DESK_ROLE, dossier.receiving_unit_id)


def pending(principal: Principal, limit: int = 50) -> list[Dossier]:
    """Withdrawal requests waiting for this officer's desks, oldest first."""
    units = [unit for unit, role in principal.roles if role == DESK_ROLE]
    if not units:
        return []
    return list(db.session.scalars(
        sa.select(Dossier).where(Dossier.status == DossierStatus.WITHDRAWAL_REQUESTED,
                                 Dossier.receiving_unit_id.in_(units)).order_by(Dossier.id)
        .limit(limit)))


def request_reason(dossier: Dossier) -> str | None:
    latest = _latest_request(dossier)
    return (latest.data or {}).get(REASON_KEY) if latest is not None else None


def _latest_request(dossier: Dossier) -> StepRecord | None:
    return db.session.scalar(sa.select(StepRecord).where(
        StepRecord.dossier_id == dossier.id, StepRecord.kind == "status",
        StepRecord.status == DossierStatus.WITHDRAWAL_REQUESTED).order_by(StepRecord.id.desc()).limit(1))


def _status_before_request(dossier: Dossier, request_row: StepRecord) -> int:
    before = db.session.scalar(sa.select(StepRecord.status).where(
        StepRecord.dossier_id == dossier.id, StepRecord.kind == "status", StepRecord.id < request_row.id)
        .order_by(StepRecord.id.desc()).limit(1))
    return int(before or DossierStatus.NEW)


def decide(principal: Principal, dossier: Dossier, *, accept: bool, note: str = "",
           now: datetime | None = None) -> Dossier:
    """Accept (stop processing, status 8) or decline (back to the previous status) a pending request."""
    now = now or now_vn()
    note = note.strip()
    if not can_decide(principal, dossier):
        raise DossierError(403, "forbidden", "only the receiving unit's one-stop desk decides on withdrawal")
    if dossier.status != DossierStatus.WITHDRAWAL_REQUESTED:
        raise DossierError(409, "no_withdrawal_request", "the dossier has no pending withdrawal request")
    if len(note) > NOTE_MAX or (not accept and not note):
        raise DossierError(422, "invalid_note", f"declining needs a reason of at most {NOTE_MAX} characters")
    request_row = _latest_request(dossier)
    assert request_row is not None
    try:
        if accept:
            set_status(dossier, DossierStatus.STOPPED, "", now, principal.account_id)
            for item in db.session.scalars(sa.select(WorkItem).where(
                    WorkItem.dossier_id == dossier.id, WorkItem.state == "ready")):
                item.state = "cancelled"
            dossier.finished_at = dossier.finished_at or now
        else:
            set_status(dossier, _status_before_request(dossier, request_row), "", now, principal.account_id)
        db.session.flush()
        latest = db.session.scalar(sa.select(StepRecord).where(
            StepRecord.dossier_id == dossier.id, StepRecord.kind == "status").order_by(StepRecord.id.desc()).limit(1))
        assert latest is not None
        latest.data = {"quyet_dinh_rut_ho_so": "chap_nhan" if accept else "khong_chap_nhan", "ghi_chu": note}
        record(Event.DOSSIER_WITHDRAWAL_DECIDED, actor_id=principal.account_id, dossier_id=dossier.id,
               object_type="dossier", object_id=dossier.code, accepted=accept)
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    return dossier
