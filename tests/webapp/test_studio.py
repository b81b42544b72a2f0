"""The designer studio: versions, differences in words, export/import round trip, publishing."""

from __future__ import annotations

import io
import json
import zipfile

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.package import PackageSource
from engine.zipsafe import read_package_zip
from tests.conftest import DATA
from tests.engine.test_diff import _simplified
from tests.webapp.conftest import Api
from tests.webapp.test_workspace import _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.procedures.models import ProcedureVersion


def _zip(source: PackageSource) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in source.files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def _upload(client: FlaskClient, data: bytes, token: str):  # noqa: ANN202
    return client.post("/thiet-ke/nhap", data={"csrf_token": token, "goi": (io.BytesIO(data), "goi.zip")},
                       content_type="multipart/form-data")


def test_only_designers_enter(client: FlaskClient, seeded: dict) -> None:
    assert client.get("/thiet-ke/").status_code == 302  # to the officer login
    _login(client, "tiepnhan")
    assert client.get("/thiet-ke/").status_code == 403
    _login(client, "thietke")
    page = client.get("/thiet-ke/").get_data(as_text=True)
    assert "Đăng ký khai sinh" in page and "đang áp dụng" in page


def test_export_then_import_is_the_same_version(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _login(client, "thietke")
    exported = client.get("/thiet-ke/khai-sinh/phien-ban/1/tai-ve")
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    source = read_package_zip(exported.data)
    with app.app_context():
        stored = db.session.scalars(sa.select(ProcedureVersion).where(ProcedureVersion.number == 1)
                                    .join(ProcedureVersion.procedure).where(sa.text("procedures.slug = 'khai-sinh'"))
                                    ).one()
        assert source.content_hash == stored.content_hash
    again = _upload(client, exported.data, _csrf(client.get("/thiet-ke/").get_data(as_text=True)))
    assert again.status_code == 302
    assert "đã có phiên bản 1 giống hệt" in client.get("/thiet-ke/").get_data(as_text=True)


def test_simplify_compare_publish_and_running_dossiers_keep_their_version(
        app: Flask, client: FlaskClient, api: Api) -> None:
    declaration = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    before = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})[1]["code"]
    _login(client, "thietke")
    token = _csrf(client.get("/thiet-ke/").get_data(as_text=True))
    assert _upload(client, _zip(_simplified()), token).status_code == 302
    page = client.get("/thiet-ke/").get_data(as_text=True)
    assert "bản nháp" in page
    words = " ".join(client.get("/thiet-ke/khai-sinh/so-sanh?tu=1&den=2").get_data(as_text=True).split())
    assert "Bỏ thành phần hồ sơ “Văn bản ủy quyền”." in words
    assert "Thời hạn giải quyết: 0 ngày làm việc → 1 ngày làm việc." in words
    assert "sửa: <code>bpmn/khai-sinh/procedure.yaml</code>" in words
    # A draft is not used until it is published.
    assert client.post("/thiet-ke/khai-sinh/phien-ban/2/cong-bo", data={"csrf_token": token}).status_code == 302
    after = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})
    assert after[0] == 201, after[1]
    with app.app_context():
        numbers = dict(db.session.execute(
            sa.select(Dossier.code, ProcedureVersion.number).join(ProcedureVersion)).all())
        assert numbers == {before: 1, after[1]["code"]: 2}
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action.in_(["procedure.version_stored", "procedure.published"]),
            AuditEntry.actor_id.is_not(None))).all()
        assert sorted(actions) == ["procedure.published", "procedure.version_stored"]


def test_a_broken_package_stores_nothing_and_says_why(app: Flask, client: FlaskClient, seeded: dict) -> None:
    files = dict(_simplified().files)
    files["bpmn/khai-sinh/process.bpmn"] = b"<bpmn:definitions"  # cut short
    _login(client, "thietke")
    token = _csrf(client.get("/thiet-ke/").get_data(as_text=True))
    response = _upload(client, _zip(PackageSource("khai-sinh", files)), token)
    assert response.status_code == 422
    assert "XML không hợp lệ" in response.get_data(as_text=True)
    not_zip = _upload(client, b"not a zip", token)
    assert not_zip.status_code == 422
    missing = client.post("/thiet-ke/nhap", data={"csrf_token": token})
    assert missing.status_code == 422 and "Chọn tệp .zip" in missing.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcedureVersion).where(
            ProcedureVersion.number > 1)) == 0
