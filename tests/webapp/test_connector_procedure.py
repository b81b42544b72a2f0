"""The criminal record certificate through the web app: the Department of Justice's officer
works it, the verification and the post booking run through their connectors, and the post's
tracking number is recorded on the dossier for the citizen to see."""

from __future__ import annotations

import json

import lxml.html
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.connectors import ConnectorError
from engine.connectors.post import is_tracking_number
from fakes.post import FakePostOffice
from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import run_connector_jobs
from tests.webapp.test_portal import _sign_in
from webapp.dossiers.models import Dossier
from webapp.extensions import db

SLUG = "cap-phieu-ly-lich-tu-phap"
OFFICER = "sotuphap"  # one-stop desk, officer and leader of Sở Tư pháp (H41.15) in the demo data


def sample(name: str) -> dict:
    return json.loads((DATA / "samples" / SLUG / f"{name}.json").read_text("utf-8"))


def _dossier(api: Api, code: str) -> dict:
    status, dossier = api.get(f"/dossiers/{code}", OFFICER)
    assert status == 200, dossier
    return dossier


def _do(api: Api, code: str, element_id: str, data: dict) -> dict:
    status, page = api.get("/worklist", OFFICER)
    assert status == 200
    (item,) = [i for i in page["items"] if i["dossier"] == code and i["element_id"] == element_id]
    assert api.post(f"/work-items/{item['id']}/claim", OFFICER)[0] == 200
    status, dossier = api.post(f"/work-items/{item['id']}/complete", OFFICER, json={"data": data})
    assert status == 200, dossier
    return dossier


def _submit(api: Api, delivery: dict) -> str:
    declaration = {**sample("to-khai"), "nhan_ket_qua": delivery}
    status, dossier = api.post("/dossiers", "an", json={"procedure": SLUG, "data": declaration, "unit": "H41.15"})
    assert status == 201, dossier
    assert dossier["receiving_unit"] == "H41.15" and dossier["status"] == 1
    return dossier["code"]


POST = {"hinh_thuc": "buu_chinh", "so_dien_thoai": "0912345678",
        "dia_chi_nhan": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                         "dia_chi_chi_tiet": "Số 8, đường Hùng Vương"}}


def _records(app: Flask):  # noqa: ANN202 - fakes.judicial_records.FakeJudicialRecords
    return app.extensions["motcua_engine"].connectors.get("ly_lich_tu_phap.xac_minh")


def _post_office(app: Flask) -> FakePostOffice:
    booking = app.extensions["motcua_engine"].connectors.get("buu_chinh.tao_van_don")
    return booking.office


def test_result_by_post_records_the_tracking_number_on_the_dossier(
        app: Flask, client: FlaskClient, api: Api) -> None:
    _records(app).calls.clear()
    code = _submit(api, POST)
    received = _do(api, code, "tiep_nhan_ho_so", sample("tiep-nhan"))
    # The officer's click returned before the judicial record database was asked.
    assert received["current_steps"] == [] and received["finished_at"] is None
    assert _records(app).calls == []
    assert run_connector_jobs(app) == ["applied"]
    assert _records(app).calls == [code]
    _do(api, code, "lap_phieu", sample("lap-phieu"))
    signed = _do(api, code, "ky_phieu", sample("ky-phieu"))
    assert signed["tracking_number"] is None and _post_office(app).parcels() == {}
    assert run_connector_jobs(app) == ["applied"]
    done = _dossier(api, code)
    assert done["status"] == 10 and done["finished_at"] is not None
    number = done["tracking_number"]
    assert is_tracking_number(number)
    assert _post_office(app).parcels()[number]["nguoi_nhan"] == "Nguyễn Văn An"
    with app.app_context():
        assert db.session.scalar(sa.select(Dossier.tracking_number).where(Dossier.code == code)) == number

    _sign_in(app, client, "an")
    page = lxml.html.fromstring(client.get(f"/ho-so/{code}").get_data(as_text=True))
    assert number in page.text_content()


def test_verification_failing_for_good_puts_the_manual_step_in_the_officers_worklist(
        app: Flask, api: Api) -> None:
    records = app.extensions["motcua_engine"].connectors.get("ly_lich_tu_phap.xac_minh")
    records.controls.fail_next = [ConnectorError("request not understood", retryable=False)]
    code = _submit(api, {"hinh_thuc": "truc_tuyen"})
    _do(api, code, "tiep_nhan_ho_so", sample("tiep-nhan"))
    assert run_connector_jobs(app) == ["applied"]
    after = _dossier(api, code)
    assert after["status"] == 4 and after["failure"] is None
    assert [s["element_id"] for s in after["current_steps"]] == ["xac_minh_thu_cong"]
    _do(api, code, "xac_minh_thu_cong", sample("xac-minh-thu-cong"))
    _do(api, code, "lap_phieu", sample("lap-phieu"))
    done = _do(api, code, "ky_phieu", sample("ky-phieu"))
    assert done["status"] == 10 and done["tracking_number"] is None
