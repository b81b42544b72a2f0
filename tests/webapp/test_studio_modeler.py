"""The studio's diagram editor on the server: who may open and save, what a save stores,
and that a diagram with problems (or a hostile one) stores nothing and names the elements."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from tests.webapp.test_workspace import _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.procedures.models import ProcedureVersion

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
JSON = {"Accept": "application/json"}
EDIT = "/thiet-ke/khai-sinh/so-do"
SAVE = "/thiet-ke/khai-sinh/phien-ban/1/so-do"
XML = "/thiet-ke/khai-sinh/phien-ban/1/so-do.bpmn"


def designer_or_403(client: FlaskClient) -> str:
    _login(client, "thietke")
    return _csrf(client.get(EDIT).get_data(as_text=True))


def _save(client: FlaskClient, token: str, xml: bytes, *, as_json: bool = True):  # noqa: ANN202
    return client.post(SAVE, data={"csrf_token": token, "so_do": (io.BytesIO(xml), "process.bpmn")},
                       content_type="multipart/form-data", headers=JSON if as_json else {})


def _edited(client: FlaskClient, **changes: str) -> bytes:
    """Version 1's diagram with elements renamed: ``element id -> new name``."""
    tree = etree.fromstring(client.get(XML).data)
    for element_id, name in changes.items():
        tree.xpath("//*[@id=$id]", id=element_id)[0].set("name", name)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _versions(app: Flask) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(
            sa.select(ProcedureVersion.number).join(ProcedureVersion.procedure)
            .where(sa.text("procedures.slug = 'khai-sinh'"))).all())


def _audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()
        db.session.expunge_all()
        return list(entries)


def test_only_designers_open_and_save_the_diagram(client: FlaskClient, seeded: dict) -> None:
    assert client.get(EDIT).status_code == 302  # to the officer login
    _login(client, "tiepnhan")
    token = _csrf(client.get("/can-bo/").get_data(as_text=True))
    assert client.get(EDIT).status_code == 403
    assert client.get(XML).status_code == 403
    assert _save(client, token, b"<x/>").status_code == 403


def test_the_edit_page_loads_the_editor_and_explains_the_upload_without_javascript(
        client: FlaskClient, seeded: dict) -> None:
    designer_or_403(client)
    page = client.get(EDIT).get_data(as_text=True)
    assert "studio/modeler.js" in page and "studio/modeler.css" in page
    assert "<noscript>" in page and "Trình vẽ sơ đồ cần JavaScript" in page
    assert 'name="so_do"' in page and f'action="{SAVE}"' in page
    assert '"lanh_dao"' in page and '"tiep-nhan.schema.json"' in page and '"dan_cu.tra_cuu"' in page
    assert "Sửa sơ đồ" in client.get("/thiet-ke/").get_data(as_text=True)
    xml = client.get(XML)
    assert xml.mimetype == "application/xml" and b'id="tiep_nhan_ho_so"' in xml.data
    assert client.get("/thiet-ke/khai-sinh/so-do?phien-ban=9").status_code == 404
    assert client.get("/thiet-ke/khong-co/so-do").status_code == 404
    # Citizens' pages never load the editor's bundle.
    assert "studio/modeler" not in client.get("/").get_data(as_text=True)


def test_a_valid_diagram_is_stored_as_a_new_draft_and_audited(app: Flask, client: FlaskClient, seeded: dict) -> None:
    token = designer_or_403(client)
    response = _save(client, token, _edited(client, tiep_nhan_ho_so="Tiếp nhận và kiểm tra hồ sơ"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["ok"] and body["created"] and body["number"] == 2
    assert body["save_url"] == "/thiet-ke/khai-sinh/phien-ban/2/so-do"
    assert _versions(app) == [1, 2]
    with app.app_context():
        stored = db.session.scalars(sa.select(ProcedureVersion).where(ProcedureVersion.number == 2)).one()
        assert 'name="Tiếp nhận và kiểm tra hồ sơ"' in stored.files["bpmn/khai-sinh/process.bpmn"]
        assert not stored.published  # a draft until someone publishes it
    saved = _audit(app, "studio.diagram_saved")
    assert len(saved) == 1 and saved[0].actor_id is not None
    assert saved[0].detail["base_number"] == 1 and saved[0].detail["number"] == 2
    # The same diagram again stores nothing new, and says so.
    again = _save(client, token, _edited(client, tiep_nhan_ho_so="Tiếp nhận và kiểm tra hồ sơ"))
    assert again.get_json()["created"] is False and _versions(app) == [1, 2]
    # Without JavaScript the form posts a file and is sent back to the editor with a message.
    plain = _save(client, token, _edited(client, phe_duyet="Phê duyệt kết quả"), as_json=False)
    assert plain.status_code == 302 and plain.headers["Location"].endswith("/so-do?phien-ban=3")
    assert "phiên bản 3 (bản nháp)" in client.get(plain.headers["Location"]).get_data(as_text=True)
    assert len(_audit(app, "studio.diagram_saved")) == 3


def test_problems_name_their_elements_and_nothing_is_stored(app: Flask, client: FlaskClient, seeded: dict) -> None:
    token = designer_or_403(client)
    # A lane whose role does not exist, and one whose role procedure.yaml does not route.
    response = _save(client, token, _edited(client, Lane_lanh_dao="giam_doc", Lane_chuyen_vien_ho_tich="ke_toan"))
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    by_element = {p["element"]: p for p in problems}
    assert by_element["Lane_lanh_dao"]["code"] == "lane_unknown_role"
    assert by_element["Lane_chuyen_vien_ho_tich"]["code"] == "lane_not_routed"
    assert all(p["message"] for p in problems)
    assert _versions(app) == [1]
    refused = _audit(app, "studio.diagram_refused")
    assert len(refused) == 1 and "lane_unknown_role" in refused[0].detail["problems"]
    # The page without JavaScript lists the same problems with their element ids.
    page = _save(client, token, _edited(client, Lane_lanh_dao="giam_doc"), as_json=False)
    assert page.status_code == 422
    assert re.search(r'data-element="Lane_lanh_dao"><code>Lane_lanh_dao</code>', page.get_data(as_text=True))
    assert _versions(app) == [1]


def test_hostile_or_broken_xml_is_refused_before_anything_else(app: Flask, client: FlaskClient, seeded: dict) -> None:
    token = designer_or_403(client)
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>')
    external = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>')
    for hostile in (bomb, external):
        response = _save(client, token, hostile)
        assert response.status_code == 422
        assert [p["code"] for p in response.get_json()["problems"]] == ["xml_doctype"]
    broken = _save(client, token, b"<bpmn:definitions")
    assert [p["code"] for p in broken.get_json()["problems"]] == ["xml_malformed"]
    latin1 = _save(client, token, '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1"))
    assert [p["code"] for p in latin1.get_json()["problems"]] == ["not_utf8"]
    empty = client.post(SAVE, data={"csrf_token": token}, headers=JSON)
    assert empty.status_code == 422 and empty.get_json()["problems"][0]["code"] == "missing_file"
    no_csrf = client.post(SAVE, data={"so_do": (io.BytesIO(b"<a/>"), "p.bpmn")}, content_type="multipart/form-data")
    assert no_csrf.status_code == 400
    assert _versions(app) == [1]
    assert len(_audit(app, "studio.diagram_refused")) == 5
