"""The citizen answers a supplement request (form 02) on the portal, in the step's own form."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.test_portal import _sign_in


def _asked_to_supplement(api: Api) -> tuple[str, int]:
    data = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})[1]["code"]
    (desk,) = [i for i in api.get("/worklist", "tiepnhan")[1]["items"] if i["dossier"] == code]
    api.post(f"/work-items/{desk['id']}/claim", "tiepnhan")
    status, body = api.post(f"/work-items/{desk['id']}/complete", "tiepnhan", json={"data": {
        "ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Ảnh giấy chứng sinh bị mờ",
        "giay_to_can_bo_sung": "Bản chụp rõ nét giấy chứng sinh"}})
    assert status == 200 and body["status"] == 5
    (mine,) = api.get(f"/dossiers/{code}", "an")[1]["current_steps"]
    return code, mine["id"]


def test_the_citizen_sees_the_request_and_answers_it(app: Flask, client: FlaskClient, api: Api) -> None:
    code, item_id = _asked_to_supplement(api)
    _sign_in(app, client, "an")
    tracking = client.get(f"/ho-so/{code}").get_data(as_text=True)
    assert f'href="/ho-so/{code}/buoc/{item_id}"' in tracking
    page = client.get(f"/ho-so/{code}/buoc/{item_id}")
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200
    assert "Bản chụp rõ nét giấy chứng sinh" in text and "Ảnh giấy chứng sinh bị mờ" in text
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    empty = client.post(f"/ho-so/{code}/buoc/{item_id}", data={"csrf_token": token})
    assert empty.status_code == 422 and "error-summary" in empty.get_data(as_text=True)
    assert api.get(f"/dossiers/{code}", "an")[1]["current_steps"][0]["id"] == item_id  # nothing changed
    done = client.post(f"/ho-so/{code}/buoc/{item_id}", data={
        "csrf_token": token, "f.noi_dung_bo_sung": "Đã chụp lại giấy chứng sinh"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/ho-so/{code}")
    after = api.get(f"/dossiers/{code}", "an")[1]
    assert [s["element_id"] for s in after["current_steps"]] == ["tiep_nhan_ho_so"]  # back at the desk
    assert any(h["element_id"] == "bo_sung_ho_so" and h["kind"] == "completed" for h in after["history"])
    # Done steps are not answered twice.
    assert client.get(f"/ho-so/{code}/buoc/{item_id}").status_code == 302


def test_nobody_else_answers_the_citizens_step(app: Flask, client: FlaskClient, api: Api) -> None:
    code, item_id = _asked_to_supplement(api)
    assert client.get(f"/ho-so/{code}/buoc/{item_id}").status_code == 302  # to the login
    _sign_in(app, client, "binh")
    assert client.get(f"/ho-so/{code}/buoc/{item_id}").status_code == 404
    assert client.get(f"/ho-so/OTHER-CODE/buoc/{item_id}").status_code == 404
