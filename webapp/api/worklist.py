from __future__ import annotations

from typing import Any

from flask import request

from webapp.api import bp
from webapp.api.auth import json_body, lang, principal
from webapp.api.dossiers import dossier_json, iso, raise_api
from webapp.api.errors import ApiError
from webapp.dossiers import service
from webapp.extensions import db

MAX_PER_PAGE = 100


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be a whole number") from None
    return max(low, min(high, value))


@bp.get("/worklist")
def worklist() -> dict[str, Any]:
    """Ready steps for the caller: their (role, unit) pairs, or steps assigned to them."""
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", 20, 1, MAX_PER_PAGE)
    rows, total = service.list_work_items(
        principal(), role=request.args.get("role"), unit=request.args.get("unit"),
        procedure=request.args.get("procedure"), q=request.args.get("q"), page=page, per_page=per_page)
    return {
        "items": [
            {"id": r.item.id, "dossier": r.code, "procedure": r.procedure, "applicant": r.applicant,
             "step": r.item.name, "element_id": r.item.element_id, "role": r.item.role, "unit": r.unit,
             "status": r.status, "received_at": iso(r.submitted_at), "due_at": iso(r.item.due_at),
             "dossier_due_at": iso(r.dossier_due_at), "claimed_by": r.item.claimed_by_id}
            for r in rows
        ],
        "page": page, "per_page": per_page, "total": total,
    }


@bp.post("/work-items/<int:item_id>/claim")
def claim(item_id: int) -> dict[str, Any]:
    try:
        item = service.claim(principal(), item_id)
        db.session.commit()
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    return {"id": item.id, "claimed_by": item.claimed_by_id, "claimed_at": iso(item.claimed_at)}


@bp.post("/work-items/<int:item_id>/release")
def release(item_id: int) -> dict[str, Any]:
    try:
        item = service.release(principal(), item_id)
        db.session.commit()
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    return {"id": item.id, "claimed_by": None}


@bp.post("/work-items/<int:item_id>/assign")
def assign(item_id: int) -> dict[str, Any]:
    """The unit's leader gives a ready step to a named officer: ``{"account_id": 12}``."""
    target = json_body().get("account_id")
    if not isinstance(target, int) or isinstance(target, bool):
        raise ApiError(422, "invalid_data", None, [{"path": "account_id", "message": "account_id must be an integer"}])
    try:
        item = service.reassign(principal(), item_id, target)
        db.session.commit()
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    return {"id": item.id, "claimed_by": item.claimed_by_id, "claimed_at": iso(item.claimed_at)}


@bp.post("/work-items/<int:item_id>/complete")
def complete(item_id: int) -> dict[str, Any]:
    body = json_body()
    data = body.get("data")
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_data", None, [{"path": "data", "message": "data must be an object"}])
    try:
        dossier = service.complete(principal(), item_id, data, lang=lang())
        db.session.commit()
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    return dossier_json(dossier)
