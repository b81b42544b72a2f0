from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from sqlalchemy.exc import IntegrityError

from engine.statuses import DossierStatus
from webapp.accounts.models import Account, Unit
from webapp.api import bp
from webapp.api.auth import json_body, lang, principal
from webapp.api.errors import ApiError, message_for
from webapp.dossiers import service, withdrawal
from webapp.dossiers.models import Document, Dossier, StepRecord, WorkItem
from webapp.extensions import db


def raise_api(err: service.DossierError) -> ApiError:
    fields = [f.as_dict() for f in err.fields] if err.fields is not None else None
    return ApiError(err.status, err.code, message_for(err.code) if err.code in _KNOWN else str(err), fields)


_KNOWN = {"invalid_data", "unknown_procedure", "invalid_channel", "unknown_unit", "unit_required",
          "applicant_required", "claimed", "not_claimed", "work_item_closed", "task_not_ready",
          "instance_is_failed", "conflict", "forbidden", "not_found", "unknown_component",
          "file_type_not_allowed", "file_too_large", "content_mismatch", "empty_file", "withdrawal_pending",
          "no_withdrawal_request", "invalid_note", "not_eligible"}


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def work_item_json(item: WorkItem, units: dict[int, str] | None = None) -> dict[str, Any]:
    return {
        "id": item.id, "element_id": item.element_id, "name": item.name, "lane": item.lane, "role": item.role,
        "unit": (units or {}).get(item.unit_id) if item.unit_id else None, "state": item.state,
        "claimed_by": item.claimed_by_id, "entered_at": iso(item.entered_at), "due_at": iso(item.due_at),
    }


def dossier_json(dossier: Dossier) -> dict[str, Any]:
    units = dict(db.session.execute(sa.select(Unit.id, Unit.code).where(
        Unit.id.in_({dossier.receiving_unit_id, dossier.handling_unit_id}))).all())
    items = db.session.scalars(sa.select(WorkItem).where(WorkItem.dossier_id == dossier.id, WorkItem.state == "ready")
                               .order_by(WorkItem.id)).all()
    units.update(db.session.execute(sa.select(Unit.id, Unit.code).where(
        Unit.id.in_({i.unit_id for i in items if i.unit_id}))).all())
    history = db.session.execute(
        sa.select(StepRecord, Account.display_name).outerjoin(Account, Account.id == StepRecord.actor_id)
        .where(StepRecord.dossier_id == dossier.id).order_by(StepRecord.id)).all()
    documents = db.session.scalars(sa.select(Document).where(Document.dossier_id == dossier.id)
                                   .order_by(Document.id)).all()
    english = lang() == "en"
    status = DossierStatus(dossier.status) if dossier.status else None
    return {
        "code": dossier.code,
        "procedure": {"slug": dossier.procedure_version.procedure.slug, "version": dossier.procedure_version.number},
        "status": dossier.status,
        "status_label": status.label("en" if english else "vi") if status else None,
        "channel": dossier.channel,
        "receiving_unit": units.get(dossier.receiving_unit_id),
        "handling_unit": units.get(dossier.handling_unit_id),
        "submitted_at": iso(dossier.submitted_at), "received_at": iso(dossier.received_at),
        "due_at": iso(dossier.due_at), "finished_at": iso(dossier.finished_at),
        "version": dossier.version,
        "tracking_number": dossier.tracking_number,
        "data": dossier.form_data,
        "current_steps": [work_item_json(i, units) for i in items],
        "history": [
            {"kind": r.kind, "at": iso(r.at), "element_id": r.element_id, "name": r.name, "lane": r.lane,
             "status": r.status, "actor": {"id": r.actor_id, "name": name} if r.actor_id else None}
            for r, name in history
        ],
        "documents": [
            {"id": d.id, "component": d.component, "filename": d.filename, "content_type": d.content_type,
             "size": d.size, "sha256": d.sha256, "uploaded_at": iso(d.uploaded_at)} for d in documents
        ],
        "failure": (dossier.failure or {}).get("message_en" if english else "message") if dossier.failure else None,
    }


@bp.post("/dossiers")
def submit_dossier() -> tuple[dict[str, Any], int]:
    caller = principal()
    body = json_body()
    procedure, data = body.get("procedure"), body.get("data")
    channel = body.get("channel", 1 if not caller.is_citizen else 2)
    if not isinstance(procedure, str) or not isinstance(data, dict):
        raise ApiError(422, "invalid_data", None, [
            *([] if isinstance(procedure, str) else [{"path": "procedure", "message": message_for("bad_request")}]),
            *([] if isinstance(data, dict) else [{"path": "data", "message": message_for("bad_request")}]),
        ])
    if not isinstance(channel, int) or isinstance(channel, bool):
        raise ApiError(422, "invalid_channel")
    applicant = body.get("applicant") or {}
    submission = service.Submission(
        procedure=procedure, data=data, unit=body.get("unit") if isinstance(body.get("unit"), str) else None,
        channel=channel,
        applicant_identity=applicant.get("identity_number") if isinstance(applicant, dict) else None,
        applicant_name=applicant.get("name") if isinstance(applicant, dict) else None,
    )
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 100):
        raise ApiError(400, "bad_request", "Idempotency-Key must be 1 to 100 characters")
    try:
        dossier, created = service.submit(caller, submission, idempotency_key=key, lang=lang())
        db.session.commit()
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    except IntegrityError:  # a concurrent retry with the same key committed first
        db.session.rollback()
        dossier, created = service.submit(caller, submission, idempotency_key=key, lang=lang())
    return dossier_json(dossier), 201 if created else 200


@bp.get("/dossiers/<code>")
def get_dossier(code: str) -> dict[str, Any]:
    caller = principal()
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    # Someone else's dossier answers exactly like a missing one: a code reveals nothing.
    if dossier is None or not service.can_read(caller, dossier):
        raise ApiError(404, "not_found")
    return dossier_json(dossier)


@bp.post("/dossiers/<code>/withdrawal")
def request_withdrawal(code: str) -> dict[str, Any]:
    """The applicant asks to withdraw (status 7) before the result is ready; body ``{"reason": "..."}``."""
    caller = principal()
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or not caller.is_citizen or not service.can_read(caller, dossier):
        raise ApiError(404, "not_found")
    reason = json_body().get("reason")
    reason = reason if isinstance(reason, str) else ""
    try:
        withdrawal.request(account_id=caller.account_id, dossier=dossier, reason=reason)
        db.session.commit()
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    return dossier_json(dossier)


@bp.post("/dossiers/<code>/withdrawal/decision")
def decide_withdrawal(code: str) -> dict[str, Any]:
    """The receiving unit's desk accepts (status 8) or declines a withdrawal request;
    body ``{"accept": true|false, "note": "..."}`` (a note is required to decline)."""
    caller = principal()
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or not service.can_read(caller, dossier):
        raise ApiError(404, "not_found")
    body = json_body()
    accept, note = body.get("accept"), body.get("note", "")
    if not isinstance(accept, bool) or not isinstance(note, str):
        raise ApiError(422, "invalid_data", None, [{"path": "accept", "message": message_for("bad_request")}])
    try:
        withdrawal.decide(caller, dossier, accept=accept, note=note)
        db.session.commit()
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    return dossier_json(dossier)
