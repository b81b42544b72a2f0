"""Form 04: an overdue dossier gets an apology with a new date, recorded, audited, shown to the citizen."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.test_portal import _sign_in
from tests.webapp.test_workspace import _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier
from webapp.dossiers.service import now_vn
from webapp.extensions import db


def _overdue_dossier(api: Api, app: Flask) -> str:
    data = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})[1]["code"]
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        dossier.due_at = now_vn() - timedelta(days=2)
        db.session.commit()
    return code


def test_an_overdue_dossier_gets_form_04(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _overdue_dossier(api, app)
    tomorrow = (now_vn() + timedelta(days=1)).date().isoformat()
    _login(client, "tiepnhan")
    page = client.get(f"/can-bo/ho-so/{code}/xin-loi")
    assert page.status_code == 200
    token = _csrf(page.get_data(as_text=True))
    bad = client.post(f"/can-bo/ho-so/{code}/xin-loi", data={"csrf_token": token, "ngay_hen_moi": "2020-01-01"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'href="#ngay_hen_moi"' in text and 'href="#reason"' in text
    done = client.post(f"/can-bo/ho-so/{code}/xin-loi", data={
        "csrf_token": token, "ngay_hen_moi": tomorrow, "reason": "Chờ xác minh thông tin từ nơi sinh"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/can-bo/ho-so/{code}/phieu-xin-loi")
    slip = " ".join(client.get(done.headers["Location"]).get_data(as_text=True).split())
    assert "Mẫu số 04" in slip and tomorrow in slip and "Chờ xác minh thông tin từ nơi sinh" in slip
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "dossier.apology_issued")).one()
        assert entry.detail == {"new_date": tomorrow}  # the reason stays out of the audit log
    # The citizen sees the apology and the new date on the tracking page.
    _sign_in(app, client, "an")
    tracking = " ".join(client.get(f"/ho-so/{code}").get_data(as_text=True).split())
    assert "Cơ quan xin lỗi vì chậm trễ và hẹn lại" in tracking and tomorrow in tracking


def test_no_apology_for_a_dossier_on_time_or_from_another_unit(app: Flask, client: FlaskClient, api: Api) -> None:
    data = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    on_time = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})[1]["code"]
    late = _overdue_dossier(api, app)
    _login(client, "tiepnhan")
    assert client.get(f"/can-bo/ho-so/{on_time}/xin-loi").status_code == 409
    assert client.get(f"/can-bo/ho-so/{late}/phieu-xin-loi").status_code == 404  # none issued yet
    _login(client, "sotuphap")
    assert client.get(f"/can-bo/ho-so/{late}/xin-loi").status_code == 404
