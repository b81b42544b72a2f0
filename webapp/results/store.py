"""Push the signed result into the applicant's data store (kho dữ liệu), once: job ``result.store``.

:func:`webapp.results.service.issue` enqueues the job in the transaction that issues the result.
What was pushed is recorded in the audit log (``dossier.result_stored`` with the store id), which
is also how a second run knows the work is done; the store itself keeps a push idempotent on
(dossier code, hash), so a run that died after the push and before the record pushes nothing new.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from flask import current_app

from engine.connectors import ConnectorBpmnError, ConnectorError, call_with_policy
from webapp.accounts.models import Account
from webapp.audit.events import Event
from webapp.audit.models import AuditEntry
from webapp.audit.service import record
from webapp.dossiers.documents import read_bytes, sniff
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db

PUSH = "kho_du_lieu.luu_giay_to"
STORED = Event.DOSSIER_RESULT_STORED
RESULT_TYPE = "ket_qua"  # the document type code when the procedure has no national code


class StoreRefused(Exception):
    """The store refused the result for good: the job fails (visible to an administrator) instead
    of retrying. The message carries codes only, never the request's values."""


def pushed(document_id: int) -> str | None:
    """The store id of the result, if it was pushed already."""
    detail = db.session.scalar(sa.select(AuditEntry.detail).where(
        AuditEntry.action == STORED, AuditEntry.object_type == "document",
        AuditEntry.object_id == str(document_id)).order_by(AuditEntry.id).limit(1))
    return None if detail is None else str(detail.get("ma_luu_tru"))


def push(*, dossier_id: int, document_id: int) -> str | None:
    """Push the result document; returns its store id, or None when there is nothing to push
    (no such result, or an applicant without an identity number). Flushes; the caller commits.

    A retryable failure raises :class:`ConnectorError` (the job retries with backoff); a permanent
    one raises :class:`StoreRefused`."""
    query = sa.select(Dossier).where(Dossier.id == dossier_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()  # two deliveries at once: the second waits, then finds it pushed
    dossier = db.session.scalar(query)
    document = db.session.get(Document, document_id)
    if dossier is None or document is None or document.dossier_id != dossier.id:
        return None
    done = pushed(document.id)
    if done is not None:
        return done
    owner = db.session.get(Account, dossier.applicant_id)
    if owner is None or not owner.identity_number:
        return None
    connector = current_app.extensions["motcua_engine"].connectors.get(PUSH)
    if connector is None:
        raise StoreRefused(f"no connector {PUSH}")
    try:
        answer = call_with_policy(connector, _params(dossier, document, owner.identity_number))
    except ConnectorBpmnError as err:
        if err.error.retryable:
            raise err.error from None
        raise StoreRefused(f"{PUSH} refused the result: {err.code} ({err.error.reason})") from None
    except ConnectorError as err:
        if err.retryable:
            raise
        raise StoreRefused(f"{PUSH} refused the result ({err.reason})") from None
    store_id = str(answer.get("ma_luu_tru") or "")
    if not store_id:
        raise StoreRefused(f"{PUSH} answered without a store id")
    # Ids and codes only: the identity number stays out of the audit log.
    record(STORED, actor_id=None, dossier_id=dossier.id, object_type="document", object_id=document.id,
           ma_luu_tru=store_id, sha256=document.sha256)
    db.session.flush()
    return store_id


def _params(dossier: Dossier, document: Document, owner: str) -> dict[str, str]:
    content = read_bytes(document)
    meta = dossier.procedure_version.meta or {}
    name = (meta.get("result") or {}).get("name")
    title = (name.get("vi") if isinstance(name, dict) else name) or document.filename
    return {"so_dinh_danh": owner, "ma_ho_so": dossier.code, "ten_giay_to": f"{title} ({dossier.code})"[:255],
            "loai_giay_to": str(meta.get("code") or RESULT_TYPE), "ma_bam": document.sha256,
            "noi_dung_base64": base64.b64encode(content).decode(), "dinh_dang": sniff(content) or "pdf"}
