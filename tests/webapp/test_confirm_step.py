"""A step with instructions and no form (spiff-arena's confirmation) is shown with one button and completes with {}."""

from __future__ import annotations

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from engine.package import PackageSource
from tests.conftest import REPO
from tests.webapp.conftest import Api
from tests.webapp.test_workspace import _csrf, _login
from webapp.extensions import db
from webapp.procedures.service import publish, store_package
from webapp.studio.new_procedure import starter_files

SLUG = "xac-nhan-thu"
ANSWERS = {"name": "Xác nhận thử", "slug": SLUG, "code": "1.009998", "field": "Cư trú",
           "agency": "Ủy ban nhân dân cấp xã", "level": "commune"}
FORM_LINES = ('\n          <spiffworkflow:property name="formJsonSchemaFilename" value="giai-quyet.schema.json"/>',
              '\n          <spiffworkflow:property name="formUiSchemaFilename" value="giai-quyet.uischema.json"/>')


def _publish_confirmation_procedure(app: Flask) -> None:
    common = {f"forms/common/{p.name}": p.read_bytes() for p in (REPO / "forms" / "common").iterdir()}
    files = starter_files(ANSWERS, common)
    path = f"bpmn/{SLUG}/process.bpmn"
    text = files[path].decode("utf-8")
    for line in FORM_LINES:
        assert line in text
        text = text.replace(line, "")
    files[path] = text.encode("utf-8")
    with app.app_context():
        version, _ = store_package(PackageSource(SLUG, files), actor_id=None)
        publish(SLUG, version.number, actor_id=None)
        db.session.commit()


def test_an_officer_confirms_a_step_without_a_form(app: Flask, client: FlaskClient, api: Api) -> None:
    _publish_confirmation_procedure(app)
    status, dossier = api.post("/dossiers", "an", json={
        "procedure": SLUG, "data": {"nguoi_yeu_cau": {"ho_ten": "Trần Văn Hùng"}, "noi_dung": "Xác nhận cư trú"}})
    assert status == 201, dossier
    item = dossier["current_steps"][0]["id"]
    _login(client, "tiepnhan")
    html = client.get(f"/can-bo/viec/{item}").get_data(as_text=True)
    page = lxml.html.fromstring(html)
    assert "Kiểm tra hồ sơ, ghi kết quả giải quyết." in page.text_content()
    buttons = [b.text_content() for b in page.cssselect("section[aria-labelledby=task-heading] button")]
    assert buttons == ["Xác nhận đã thực hiện"]
    response = client.post(f"/can-bo/viec/{item}", data={"csrf_token": _csrf(html)})
    assert response.status_code == 302
    assert api.get(f"/dossiers/{dossier['code']}", "an")[1]["status"] == 10
