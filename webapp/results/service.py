"""The signed result document: issued once per dossier when it reaches status 9 (result ready).

Generic for every procedure: the BPMN already says when the result is ready (``statusOnEnter``
9), so no procedure needs code. The signer is the unit whose leader (``lanh_dao``) approved
last, else the unit handling the dossier; its key is used through the signing connector
(``ky_so.ky_bam``). The job ``result.sign`` calls :func:`issue` after the status change
commits; tests and the CLI may call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from engine.bindings import Bindings
from engine.runtime import VN_TZ
from engine.statuses import DossierStatus
from webapp.accounts.models import Account, Unit
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.documents import put_blob, read_bytes
from webapp.dossiers.models import Document, Dossier, StepRecord, WorkItem
from webapp.extensions import db
from webapp.outbox import service as jobs
from webapp.results import templated
from webapp.results.document import ResultContent, render
from webapp.signing.pades import sign_pdf_with
from webapp.signing.service import unit_signer

RESULT_COMPONENT = "ket_qua"  # the Document.component of the signed result (never an upload's)
APPROVER_ROLE = "lanh_dao"
SIGNATURE_FIELD = "Chữ ký số của cơ quan"
READY = (DossierStatus.RESULT_READY, DossierStatus.RETURNED)


@dataclass(frozen=True)
class Approval:
    unit: Unit
    approver_id: int
    data: dict
    step: str | None = None  # the approving step's element id (its fields: paths)


def get(dossier: Dossier) -> Document | None:
    """The dossier's signed result document, if issued."""
    return db.session.scalar(sa.select(Document).where(Document.dossier_id == dossier.id,
                                                       Document.component == RESULT_COMPONENT)
                             .order_by(Document.id.desc()).limit(1))


def issue(*, dossier_id: int, now: datetime | None = None) -> Document | None:
    """Render, sign and store the result; returns the one already issued if there is one.

    None when the dossier is not (or no longer) at the result-ready point. Flushes; the caller commits.
    """
    query = sa.select(Dossier).where(Dossier.id == dossier_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()  # two deliveries of the job: the second finds the first's document
    dossier = db.session.scalar(query)
    if dossier is None or dossier.status not in READY:
        return None
    existing = get(dossier)
    if existing is not None:
        return existing
    now = (now or datetime.now(VN_TZ)).astimezone(VN_TZ)
    approval = approval_of(dossier)
    content = _content(dossier, approval, now)
    # The unit's key stays in the signing service (ky_so.ky_bam): only the digest goes there.
    signer = unit_signer(approval.unit.code, approval.unit.name)
    # The documents the package declares (the leader previewed them), else the generic notice.
    approver = db.session.get(Account, approval.approver_id)
    pdf = templated.render_pdf(dossier, templated.Signing(
        unit=approval.unit, signer_name=approver.display_name if approver else "", number=content.number, at=now,
    )) if templated.declared(dossier) else render(content)
    signed = sign_pdf_with(pdf, signer, field_name=SIGNATURE_FIELD,
                           reason=f"Phê duyệt kết quả giải quyết hồ sơ {dossier.code}",
                           location=approval.unit.name)
    digest, storage_key = put_blob(signed)
    document = Document(dossier_id=dossier.id, component=RESULT_COMPONENT, filename=f"ket-qua-{dossier.code}.pdf",
                        content_type="application/pdf", size=len(signed), sha256=digest, storage_key=storage_key,
                        uploaded_by_id=approval.approver_id, uploaded_at=now)
    db.session.add(document)
    db.session.flush()
    record(Event.DOSSIER_RESULT_SIGNED, actor_id=approval.approver_id, dossier_id=dossier.id, object_type="document",
           object_id=document.id, unit=approval.unit.code, sha256=digest, number=content.number,
           certificate_serial=signer.serial)
    jobs.enqueue("result.store", dossier_id=dossier.id, document_id=document.id)  # into the citizen's data store
    return document


def approval_of(dossier: Dossier) -> Approval:
    """Who approved the result, in which unit, with what the leader's form said."""
    item = db.session.scalar(sa.select(WorkItem).where(
        WorkItem.dossier_id == dossier.id, WorkItem.state == "done", WorkItem.role == APPROVER_ROLE)
        .order_by(WorkItem.completed_at.desc(), WorkItem.id.desc()).limit(1))
    if item is None:  # a procedure without a leader's step: the last officer step stands for it
        item = db.session.scalar(sa.select(WorkItem).where(
            WorkItem.dossier_id == dossier.id, WorkItem.state == "done", WorkItem.unit_id.is_not(None))
            .order_by(WorkItem.completed_at.desc(), WorkItem.id.desc()).limit(1))
    unit_id = item.unit_id if item is not None and item.unit_id is not None else dossier.handling_unit_id
    unit = db.session.get(Unit, unit_id)
    assert unit is not None
    approver_id = item.completed_by_id if item is not None and item.completed_by_id else dossier.submitted_by_id
    data: dict = {}
    if item is not None:
        data = db.session.scalar(sa.select(StepRecord.data).where(
            StepRecord.dossier_id == dossier.id, StepRecord.kind == "completed",
            StepRecord.element_id == item.element_id).order_by(StepRecord.id.desc()).limit(1)) or {}
    return Approval(unit=unit, approver_id=approver_id, data=data, step=item.element_id if item is not None else None)


def _content(dossier: Dossier, approval: Approval, now: datetime) -> ResultContent:
    meta = dossier.procedure_version.meta
    applicant = db.session.get(Account, dossier.applicant_id)
    opinion = Bindings.for_metadata(meta).text(approval.data, "opinion", step=approval.step)
    decision = f"Đã phê duyệt ngày {now:%d/%m/%Y}" + (f". Ý kiến: {opinion}" if opinion else "")
    settings = current_app.config["MOTCUA_SETTINGS"]
    return ResultContent(
        unit_name=approval.unit.name, procedure_name=_vi(meta.get("name")), procedure_code=str(meta.get("code") or ""),
        dossier_code=dossier.code, applicant=applicant.display_name if applicant else "",
        result_name=_vi((meta.get("result") or {}).get("name")), decision=decision,
        number=templated.number_of(dossier), issued_at=now,
        tracking_url=f"{settings.public_url.rstrip('/')}/ho-so/{dossier.code}",
    )


def _vi(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("vi") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def content_of(document: Document) -> bytes:
    return read_bytes(document)
