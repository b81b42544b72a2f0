"""Every dossier on the national public service portal (Cổng DVCQG), kept up to date by a job.

Each status change enqueues ``portal.sync`` in its own transaction. The job brings the portal
to the dossier's status as it is when the job runs, so jobs that run late or out of order
still converge, and a job run twice finds nothing left to do:

- the first time, protocol steps 1-4 (``cong_dvc_quoc_gia.dong_bo_ho_so``): a national code,
  the dossier's files, the dossier; the national code is kept on :class:`PortalSync`;
- then step 5 (progress: which unit handles it, at what stage) and step 6 (the national status).

Retryable failures are tried again after the connector's backoff; a refusal (the portal names
the field it rejects) fails the job for good, with that reason, on the failed-jobs page, from
where an administrator sends it again once the data is mended.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.connectors import ConnectorError
from engine.connectors.national_portal import ALLOWED_FILE_TYPES, MAX_FILE_BYTES
from engine.runtime import VN_TZ
from engine.statuses import DossierStatus
from webapp.accounts.models import Account, Unit
from webapp.connectors.attempts import try_once
from webapp.connectors.models import PortalSync
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox.failures import redact
from webapp.procedures import service as procedures

log = logging.getLogger(__name__)
CREATE = "cong_dvc_quoc_gia.dong_bo_ho_so"
PROGRESS = "cong_dvc_quoc_gia.cap_nhat_tien_do"
STATUS = "cong_dvc_quoc_gia.cap_nhat_trang_thai"


class PortalSyncFailed(Exception):
    """The portal refused the dossier, or kept failing: ``str()`` is the redacted reason."""


def sync(*, dossier_id: int) -> str:
    """Bring the portal to the dossier's current status: ``synced``, ``up_to_date`` or ``nothing``."""
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or dossier.status is None:
        db.session.rollback()
        return "nothing"
    row = db.session.scalar(sa.select(PortalSync).where(PortalSync.dossier_id == dossier_id))
    if row is None:
        row = PortalSync(dossier_id=dossier_id, attempts=0)
        db.session.add(row)
    status = dossier.status
    if row.national_code is not None and row.synced_status == status:
        db.session.rollback()
        return "up_to_date"
    if row.national_code is None:
        created = _call(row, CREATE, _dossier(dossier))
        row.national_code = str(created["ma_ho_so_quoc_gia"])[:40]
    unit = db.session.get(Unit, dossier.handling_unit_id)
    _call(row, PROGRESS, {"ma_ho_so_quoc_gia": row.national_code, "buoc": DossierStatus(status).label("vi"),
                          "don_vi_xu_ly": unit.name if unit else "", "ngay": _today()})
    _call(row, STATUS, {"ma_ho_so_quoc_gia": row.national_code, "trang_thai": int(status)})
    row.synced_status, row.synced_at, row.last_error = status, utcnow(), None
    db.session.commit()
    log.info("dossier %s synced to the national portal at status %s", dossier_id, status)
    return "synced"


def _call(row: PortalSync, name: str, params: dict[str, Any]) -> Any:
    connector = procedures.engine().connectors.get(name)
    if connector is None:
        raise PortalSyncFailed(f"no connector {name}")
    row.attempts += 1
    attempt = row.attempts
    db.session.commit()  # the try counts even if this worker dies during it; no transaction held meanwhile
    try:
        result = try_once(connector, params, attempt)
    except ConnectorError as err:
        row.attempts, row.last_error = 0, redact(f"{name}: {err}")  # an administrator's retry starts afresh
        db.session.commit()
        raise PortalSyncFailed(row.last_error) from None
    row.attempts = 0
    return result


def _dossier(dossier: Dossier) -> dict[str, Any]:
    """Steps 1-4's parameters: who applied, for what, when it is due, and the files."""
    applicant = db.session.get(Account, dossier.applicant_id)
    received = _vn_date(dossier.received_at or dossier.submitted_at)
    return {
        "ma_ho_so": dossier.code,
        "ma_thu_tuc": str(dossier.procedure_version.meta.get("code") or ""),
        "ho_ten_nguoi_nop": applicant.display_name if applicant else "",
        "so_dinh_danh": (applicant.identity_number if applicant else None) or "",
        "ngay_tiep_nhan": received,
        "han_tra_ket_qua": _vn_date(dossier.due_at) if dossier.due_at else received,
        "kenh": dossier.channel,
        "tep": _files(dossier),
    }


def _files(dossier: Dossier) -> list[dict[str, Any]]:
    from webapp.dossiers.documents import read_bytes

    documents = db.session.scalars(sa.select(Document).where(
        Document.dossier_id == dossier.id, Document.content_type.in_(ALLOWED_FILE_TYPES),
        Document.size <= MAX_FILE_BYTES).order_by(Document.id)).all()
    return [{"ten_tep": d.filename[:255], "loai": d.content_type,
             "noi_dung_base64": base64.b64encode(read_bytes(d)).decode("ascii")} for d in documents]


def _vn_date(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).date().isoformat()


def _today() -> str:
    return datetime.now(VN_TZ).date().isoformat()
