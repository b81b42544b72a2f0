"""Birth registration end to end through the HTTP API only."""

from __future__ import annotations

import json
import re
from datetime import datetime, time

import sqlalchemy as sa
from flask import Flask

from engine.calendar import WorkingCalendar
from tests.conftest import DATA
from tests.webapp.conftest import Api
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier
from webapp.extensions import db

SAMPLES = DATA / "samples" / "khai-sinh"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))


def _only_item(api: Api, user: str, element_id: str) -> dict:
    status, page = api.get("/worklist", user)
    assert status == 200
    items = [i for i in page["items"] if i["element_id"] == element_id]
    assert len(items) == 1, page
    return items[0]


def _step(api: Api, user: str, element_id: str, data: dict, expected_status: int) -> dict:
    item = _only_item(api, user, element_id)
    assert api.post(f"/work-items/{item['id']}/claim", user)[0] == 200
    status, dossier = api.post(f"/work-items/{item['id']}/complete", user, json={"data": data})
    assert status == 200, dossier
    assert dossier["status"] == expected_status
    return dossier


def _audit_actions(app: Flask, code: str) -> list[str]:
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == code))
        return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.dossier_id == dossier_id)))


def test_khai_sinh_from_submission_to_returned_result(api: Api, app: Flask) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": sample("to-khai")},
                               headers={"Idempotency-Key": "journey-1"})
    assert status == 201, dossier
    code = dossier["code"]
    assert re.fullmatch(r"H41\.01\.01-\d{8}-\d{7}", code)
    assert dossier["status"] == 1 and dossier["channel"] == 2
    assert [s["element_id"] for s in dossier["current_steps"]] == ["tiep_nhan_ho_so"]
    # Same-day procedure with the 15:00 cut-off, counted from submission until received.
    submitted = datetime.fromisoformat(dossier["submitted_at"])
    expected_due = WorkingCalendar().due_at(submitted, 0, "working_days", cutoff=time(15, 0))
    assert datetime.fromisoformat(dossier["due_at"]) == expected_due

    # The citizen cannot act on the desk's step; the desk officer sees it in the worklist.
    assert api.get("/worklist", "an")[1]["items"] == []
    after_intake = _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"}, 4)
    assert after_intake["received_at"] is not None
    assert [h["status"] for h in after_intake["history"] if h["kind"] == "status"] == [1, 2, 4]
    step = after_intake["current_steps"][0]
    assert step["element_id"] == "tham_dinh_xu_ly" and step["role"] == "chuyen_vien_ho_tich"
    assert step["due_at"] is not None

    _step(api, "hotich", "tham_dinh_xu_ly", sample("tham-dinh"), 4)
    ready = _step(api, "lanhdao", "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"}, 9)
    assert ready["current_steps"][0]["element_id"] == "tra_ket_qua"
    done = _step(api, "tiepnhan", "tra_ket_qua", sample("tra-ket-qua"), 10)
    assert done["current_steps"] == [] and done["finished_at"] is not None

    status, seen = api.get(f"/dossiers/{code}", "an")
    assert status == 200
    completed = [(h["element_id"], h["actor"]["name"]) for h in seen["history"] if h["kind"] == "completed"]
    assert [e for e, _ in completed] == ["tiep_nhan_ho_so", "tham_dinh_xu_ly", "phe_duyet", "tra_ket_qua"]
    assert all(name for _, name in completed)
    actions = _audit_actions(app, code)
    assert actions.count("work_item.completed") == 4 and actions.count("work_item.claimed") == 4
    assert "dossier.submitted" in actions


def test_audit_log_holds_no_form_data(api: Api, app: Flask) -> None:
    data = sample("to-khai")
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})
    assert status == 201
    item = dossier["current_steps"][0]
    api.post(f"/work-items/{item['id']}/complete", "tiepnhan", json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
    with app.app_context():
        details = json.dumps([e.detail for e in db.session.scalars(sa.select(AuditEntry))], ensure_ascii=False)
    for secret in (data["nguoi_yeu_cau"]["so_dinh_danh"], data["tre_em"]["ho_ten"], data["me"]["ho_ten"]):
        assert secret not in details


def test_supplement_pauses_the_legal_clock(api: Api) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": sample("to-khai")})
    item = dossier["current_steps"][0]
    status, asked = api.post(f"/work-items/{item['id']}/complete", "tiepnhan", json={"data": {
        "ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Thiếu giấy chứng sinh",
        "giay_to_can_bo_sung": "Giấy chứng sinh bản sao"}})
    assert status == 200 and asked["status"] == 5
    # The supplement step belongs to the applicant, not to a unit.
    citizen_item = _only_item(api, "an", "bo_sung_ho_so")
    assert api.get("/worklist", "binh")[1]["items"] == []
    status, back = api.post(f"/work-items/{citizen_item['id']}/complete", "binh",
                            json={"data": {"noi_dung_bo_sung": "x" * 10}})
    assert status == 404
    status, back = api.post(f"/work-items/{citizen_item['id']}/complete", "an",
                            json={"data": {"noi_dung_bo_sung": "Đã bổ sung giấy chứng sinh"}})
    assert status == 200 and back["status"] == 5  # back at the desk, still marked "supplement" until accepted
    accepted = _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"}, 4)
    assert datetime.fromisoformat(accepted["due_at"]) >= datetime.fromisoformat(dossier["due_at"])
