"""The desk decides on a citizen's withdrawal request: accept (status 8, processing stops) or
decline with a reason (back to the previous status); until then no step can be completed."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.test_workspace import _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier, WorkItem
from webapp.extensions import db


def _submit_and_ask_to_withdraw(api: Api) -> tuple[str, int]:
    data = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})
    assert status == 201
    item_id = dossier["current_steps"][0]["id"]
    status, body = api.post(f"/dossiers/{dossier['code']}/withdrawal", "an", json={"reason": "Nộp nhầm thủ tục"})
    assert status == 200 and body["status"] == 7, body
    return dossier["code"], item_id


def _decide(api: Api, user: str, code: str, **body: object) -> tuple[int, dict]:
    return api.post(f"/dossiers/{code}/withdrawal/decision", user, json=body)


def test_no_step_can_be_completed_while_the_desk_has_not_decided(api: Api) -> None:
    code, item_id = _submit_and_ask_to_withdraw(api)
    assert api.post(f"/work-items/{item_id}/claim", "tiepnhan")[0] == 200
    status, body = api.post(f"/work-items/{item_id}/complete", "tiepnhan",
                            json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
    assert (status, body["error"]["code"]) == (409, "withdrawal_pending")
    assert api.get(f"/dossiers/{code}", "an")[1]["status"] == 7


def test_only_the_receiving_desk_decides_and_declining_needs_a_reason(api: Api) -> None:
    code, _ = _submit_and_ask_to_withdraw(api)
    assert _decide(api, "hotich", code, accept=True)[0] == 403  # same unit, not the desk
    assert _decide(api, "an", code, accept=True)[0] == 403  # the applicant does not decide
    assert _decide(api, "sotuphap", code, accept=True)[0] == 404  # another unit does not even see it
    status, body = _decide(api, "tiepnhan", code, accept=False)
    assert (status, body["error"]["code"]) == (422, "invalid_note")
    assert _decide(api, "tiepnhan", code, accept="yes")[0] == 422
    assert api.get(f"/dossiers/{code}", "an")[1]["status"] == 7  # nothing changed


def test_declined_request_puts_the_dossier_back_to_work(api: Api) -> None:
    code, item_id = _submit_and_ask_to_withdraw(api)
    status, body = _decide(api, "tiepnhan", code, accept=False, note="Hồ sơ đã được ký, không rút được")
    assert status == 200 and body["status"] == 1
    assert api.post(f"/work-items/{item_id}/claim", "tiepnhan")[0] == 200
    status, body = api.post(f"/work-items/{item_id}/complete", "tiepnhan",
                            json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
    assert status == 200 and body["status"] == 4  # received (2), then in processing (4)
    assert [h["status"] for h in body["history"] if h["kind"] == "status"] == [1, 7, 1, 2, 4]


def test_accepted_request_stops_processing(api: Api, app: Flask) -> None:
    code, item_id = _submit_and_ask_to_withdraw(api)
    status, body = _decide(api, "tiepnhan", code, accept=True)
    assert status == 200 and body["status"] == 8 and body["finished_at"]
    assert [h["status"] for h in body["history"] if h["kind"] == "status"] == [1, 7, 8]
    assert body["current_steps"] == []
    assert api.get("/worklist", "tiepnhan")[1]["items"] == []
    assert api.post(f"/work-items/{item_id}/claim", "tiepnhan")[0] == 409
    assert _decide(api, "tiepnhan", code, accept=True)[1]["error"]["code"] == "no_withdrawal_request"
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == code))
        assert db.session.scalar(sa.select(WorkItem.state).where(WorkItem.id == item_id)) == "cancelled"
        decided = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.dossier_id == dossier_id, AuditEntry.action == "dossier.withdrawal_decided")).all()
        assert len(decided) == 1


def test_the_desk_decides_on_a_page_without_javascript(api: Api, client: FlaskClient) -> None:
    code, _ = _submit_and_ask_to_withdraw(api)
    _login(client, "tiepnhan")
    worklist = client.get("/can-bo/").get_data(as_text=True)
    assert "Yêu cầu rút hồ sơ (1)" in worklist
    listing = client.get("/can-bo/yeu-cau-rut-ho-so").get_data(as_text=True)
    assert code in listing
    page = client.get(f"/can-bo/ho-so/{code}/rut-ho-so")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nộp nhầm thủ tục" in html
    token = _csrf(html)
    missing = client.post(f"/can-bo/ho-so/{code}/rut-ho-so", data={"csrf_token": token})
    assert missing.status_code == 422 and 'href="#quyet_dinh"' in missing.get_data(as_text=True)
    no_reason = client.post(f"/can-bo/ho-so/{code}/rut-ho-so",
                            data={"csrf_token": token, "quyet_dinh": "khong_chap_nhan"})
    assert no_reason.status_code == 422
    assert api.get(f"/dossiers/{code}", "an")[1]["status"] == 7
    done = client.post(f"/can-bo/ho-so/{code}/rut-ho-so", data={"csrf_token": token, "quyet_dinh": "chap_nhan"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/can-bo/ho-so/{code}/phieu-dung-xu-ly")
    slip = " ".join(client.get(done.headers["Location"]).get_data(as_text=True).split())
    assert "Phiếu dừng xử lý hồ sơ" in slip and "Mẫu số 05" in slip and "Nộp nhầm thủ tục" in slip
    assert api.get(f"/dossiers/{code}", "an")[1]["status"] == 8
    after = client.get("/can-bo/yeu-cau-rut-ho-so").get_data(as_text=True)
    assert f"Đã quyết định về yêu cầu rút hồ sơ {code}." in after  # the flash, once
    assert "Không có yêu cầu nào đang chờ." in after


def test_an_officer_who_is_not_the_desk_cannot_open_the_decision_page(api: Api, client: FlaskClient) -> None:
    code, _ = _submit_and_ask_to_withdraw(api)
    _login(client, "hotich")
    assert client.get(f"/can-bo/ho-so/{code}/rut-ho-so").status_code == 403
