"""Bad input gets a clear 4xx in the one error shape, and the database does not change."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import DATA
from tests.hostile import as_zip as _zip
from tests.webapp.conftest import Api
from webapp.extensions import db

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
TABLES = ("dossiers", "work_items", "documents", "procedure_versions", "audit_log", "step_records")


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in TABLES}


@contextmanager
def unchanged(app: Flask) -> Iterator[None]:
    before = _counts(app)
    yield
    assert _counts(app) == before


def _assert_error(response: tuple[int, dict], status: int, code: str | None = None) -> dict:
    got_status, body = response
    assert got_status == status, body
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture()
def dossier(api: Api) -> dict:
    status, body = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    return body


def test_malformed_json(api: Api, app: Flask) -> None:
    with unchanged(app):
        _assert_error(api.post("/dossiers", "an", data="{not json", content_type="application/json"),
                      400, "bad_json")
        _assert_error(api.post("/dossiers", "an", json=["a", "list"]), 400, "bad_json")


def test_wrong_types_name_the_fields(api: Api, app: Flask) -> None:
    with unchanged(app):
        error = _assert_error(api.post("/dossiers", "an", json={"procedure": 7, "data": "x"}), 422, "invalid_data")
        assert {f["path"] for f in error["fields"]} == {"procedure", "data"}
        _assert_error(api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": {}, "channel": "2"}),
                      422, "invalid_channel")


def test_invalid_form_data_lists_every_field_in_vietnamese(api: Api, app: Flask) -> None:
    data = dict(DECLARATION, tre_em={**DECLARATION["tre_em"], "ngay_sinh": "2025-13-40"})
    del data["me"]
    with unchanged(app):
        error = _assert_error(api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data}),
                              422, "invalid_data")
    fields = {f["path"]: f["message"] for f in error["fields"]}
    assert set(fields) == {"me", "tre_em.ngay_sinh"}
    assert fields["me"].startswith("Vui lòng nhập")
    english = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data},
                       headers={"Accept-Language": "en"})[1]["error"]
    assert {f["path"]: f["message"] for f in english["fields"]}["me"].startswith("Enter")


def test_unknown_procedure_and_unit(api: Api, app: Flask) -> None:
    with unchanged(app):
        _assert_error(api.post("/dossiers", "an", json={"procedure": "khong-co", "data": {}}), 404,
                      "unknown_procedure")
        _assert_error(api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION,
                                                        "unit": "KHONG.CO"}), 422, "unknown_unit")
        _assert_error(api.get("/dossiers/KHONG-CO", "an"), 404, "not_found")
        _assert_error(api.get("/procedures/khong-co"), 404, "not_found")


def test_draft_version_is_not_offered(api: Api, app: Flask) -> None:
    from tests.conftest import test_package
    from webapp.procedures.service import store_package

    with app.app_context():
        store_package(test_package("cho-tin"), actor_id=None)  # stored, never published
        db.session.commit()
    with unchanged(app):
        _assert_error(api.post("/dossiers", "an", json={"procedure": "cho-tin", "data": {"han_cho": "x"}}),
                      404, "unknown_procedure")
    assert "cho-tin" not in [p["slug"] for p in api.get("/procedures")[1]["items"]]


def test_completing_with_bad_data_changes_nothing(api: Api, app: Flask, dossier: dict) -> None:
    item = dossier["current_steps"][0]["id"]
    with unchanged(app):
        error = _assert_error(api.post(f"/work-items/{item}/complete", "tiepnhan",
                                       json={"data": {"ket_qua_tiep_nhan": "dong_y"}}), 422, "invalid_data")
        assert error["fields"][0]["path"] == "ket_qua_tiep_nhan"
        _assert_error(api.post(f"/work-items/{item}/complete", "tiepnhan", json={"data": []}), 422)
        _assert_error(api.post("/work-items/999999/complete", "tiepnhan", json={"data": {}}), 404)
    assert api.get(f"/dossiers/{dossier['code']}", "an")[1]["version"] == dossier["version"]


def _upload(api: Api, code: str, filename: str, content: bytes, component: str = "giay_chung_sinh"):
    return api.post(f"/dossiers/{code}/documents", "an", content_type="multipart/form-data",
                    data={"component": component, "file": (io.BytesIO(content), filename)})


def test_uploads_are_checked_against_the_component(api: Api, app: Flask, dossier: dict) -> None:
    code = dossier["code"]
    with unchanged(app):
        _assert_error(_upload(api, code, "scan.exe", b"MZ..."), 422, "file_type_not_allowed")
        _assert_error(_upload(api, code, "scan.pdf", b"\x89PNG\r\n\x1a\n rest"), 422, "content_mismatch")
        _assert_error(_upload(api, code, "scan.pdf", b"%PDF-1.4", component="khong_co"), 422, "unknown_component")
        _assert_error(_upload(api, code, "scan.pdf", b""), 422, "empty_file")
        # Component limit is 10 MB; the request limit in tests is 12 MB.
        _assert_error(_upload(api, code, "big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1)), 413,
                      "file_too_large")
        _assert_error(_upload(api, code, "huge.pdf", b"%PDF-" + b"0" * (13 * 1024 * 1024)), 413, "too_large")
    status, document = _upload(api, code, "Giấy chứng sinh.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert status == 201 and document["content_type"] == "image/png" and document["size"] == 108


@pytest.mark.parametrize(("name", "archive"), [
    ("path traversal", _zip({"bpmn/x/process.bpmn": b"<a/>", "bpmn/x/../../../etc/passwd": b"root"})),
    ("zip bomb", _zip({"bpmn/x/process.bpmn": b"\0" * (60 * 1024 * 1024)})),
    ("not a zip", b"PK\x03\x04 this is not really a zip"),
    ("no package", _zip({"readme.txt": b"hello"})),
])
def test_hostile_package_zips_are_refused(api: Api, app: Flask, name: str, archive: bytes) -> None:
    with unchanged(app):
        status, body = api.post("/procedures", "thietke", content_type="multipart/form-data",
                                data={"package": (io.BytesIO(archive), "package.zip")})
    assert status in (413, 422), body
    assert body["error"]["code"].startswith("zip_") or body["error"]["code"] == "too_large"


def test_invalid_package_lists_every_problem(api: Api, app: Flask) -> None:
    broken = DATA / "broken"
    entries = {f"bpmn/lane-la/{p.name}": p.read_bytes() for p in (broken / "bpmn" / "lane-la").iterdir()}
    entries.update({f"forms/lane-la/{p.name}": p.read_bytes() for p in (broken / "forms" / "lane-la").iterdir()})
    with unchanged(app):
        error = _assert_error(api.post("/procedures", "thietke", content_type="multipart/form-data",
                                       data={"package": (io.BytesIO(_zip(entries)), "lane-la.zip")}),
                              422, "package_invalid")
    assert [(f["code"], f["element"]) for f in error["fields"]] == [("lane_unknown_role", "Lane_tiep_nhan")]


def test_unknown_routes_and_methods_use_the_error_shape(api: Api) -> None:
    _assert_error(api.get("/khong-co"), 404, "not_found")
    _assert_error(api.call("DELETE", "/procedures"), 405, "method_not_allowed")
