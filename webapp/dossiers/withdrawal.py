"""The applicant asks to withdraw a dossier (national status 7) before its result is ready.

Officers then decide (stop processing, status 8); this only records the request.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from engine.statuses import DossierStatus
from webapp.audit.service import record
from webapp.dossiers.models import Dossier, StepRecord
from webapp.dossiers.service import Conflict, DossierError, _set_status, now_vn
from webapp.extensions import db

WITHDRAWABLE = frozenset({DossierStatus.NEW, DossierStatus.RECEIVED, DossierStatus.PROCESSING,
                          DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.PAYMENT_REQUESTED})
REASON_MAX = 500


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
        _set_status(dossier, DossierStatus.WITHDRAWAL_REQUESTED, "", now, account_id)
        db.session.flush()
        # The reason goes on the history row just written (shown to the applicant and officers only).
        latest = db.session.scalar(sa.select(StepRecord).where(
            StepRecord.dossier_id == dossier.id, StepRecord.kind == "status").order_by(StepRecord.id.desc()).limit(1))
        assert latest is not None
        latest.data = {"ly_do": reason}
        # The audit entry says that it happened, never the citizen's words.
        record("dossier.withdrawal_requested", actor_id=account_id, dossier_id=dossier.id, object_type="dossier",
               object_id=dossier.code)
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    return dossier
