"""A unit's leader hands waiting steps to named officers of the unit (API and page)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.test_workspace import _csrf, _login
from webapp.accounts.models import Account
from webapp.audit.models import AuditEntry
from webapp.extensions import db


def _account_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Account.id).where(Account.username == username))


def _to_processing(api: Api) -> tuple[str, int]:
    """A khai-sinh dossier received at the desk, its civil-status step waiting; returns (code, item id)."""
    data = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})[1]["code"]
    (desk,) = [i for i in api.get("/worklist", "tiepnhan")[1]["items"] if i["dossier"] == code]
    api.post(f"/work-items/{desk['id']}/claim", "tiepnhan")
    api.post(f"/work-items/{desk['id']}/complete", "tiepnhan", json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
    (step,) = [i for i in api.get("/worklist", "hotich")[1]["items"] if i["dossier"] == code]
    return code, step["id"]


def test_the_leader_assigns_a_step_to_an_officer_who_holds_its_role(api: Api, app: Flask) -> None:
    _, item_id = _to_processing(api)
    hotich = _account_id(app, "hotich")
    status, body = api.post(f"/work-items/{item_id}/assign", "lanhdao", json={"account_id": hotich})
    assert status == 200 and body["claimed_by"] == hotich
    (item,) = [i for i in api.get("/worklist", "hotich")[1]["items"] if i["id"] == item_id]
    assert item["claimed_by"] == hotich
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "work_item.reassigned")).one()
        assert entry.actor_id == _account_id(app, "lanhdao") and entry.detail["to"] == hotich


def test_who_may_assign_and_to_whom(api: Api, app: Flask) -> None:
    _, item_id = _to_processing(api)
    hotich, tiepnhan = _account_id(app, "hotich"), _account_id(app, "tiepnhan")
    status, body = api.post(f"/work-items/{item_id}/assign", "lanhdao", json={"account_id": tiepnhan})
    assert (status, body["error"]["code"]) == (422, "not_eligible")  # the desk is not a civil-status officer
    assert api.post(f"/work-items/{item_id}/assign", "hotich", json={"account_id": hotich})[0] == 403
    assert api.post(f"/work-items/{item_id}/assign", "tiepnhan", json={"account_id": hotich})[0] == 404
    assert api.post(f"/work-items/{item_id}/assign", "sotuphap", json={"account_id": hotich})[0] == 404
    assert api.post(f"/work-items/{item_id}/assign", "lanhdao", json={"account_id": "hotich"})[0] == 422
    (item,) = [i for i in api.get("/worklist", "hotich")[1]["items"] if i["id"] == item_id]
    assert item["claimed_by"] is None  # nothing changed


def test_the_leader_assigns_on_a_page(api: Api, app: Flask, client: FlaskClient) -> None:
    code, item_id = _to_processing(api)
    _login(client, "hotich")
    assert client.get("/can-bo/phan-cong").status_code == 403
    _login(client, "lanhdao")
    assert "Phân công xử lý" in client.get("/can-bo/").get_data(as_text=True)
    page = client.get("/can-bo/phan-cong").get_data(as_text=True)
    assert code in page and "Phạm Minh Đức (hộ tịch)" in page
    done = client.post(f"/can-bo/viec/{item_id}/giao",
                       data={"csrf_token": _csrf(page), "can_bo": str(_account_id(app, "hotich"))})
    assert done.status_code == 302
    assert "Đã giao việc." in client.get("/can-bo/phan-cong").get_data(as_text=True)
    (item,) = [i for i in api.get("/worklist", "hotich")[1]["items"] if i["id"] == item_id]
    assert item["claimed_by"] == _account_id(app, "hotich")
