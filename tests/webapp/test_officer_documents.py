"""Officers see a dossier's documents (inline, safely) and the receiving desk adds scans of paper ones."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.conftest import Api
from tests.webapp.test_workspace import DECLARATION, _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Document
from webapp.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% scan\n"


def _upload(client: FlaskClient, code: str, component: str, name: str, data: bytes):  # noqa: ANN202
    page = client.get(f"/can-bo/ho-so/{code}/giay-to").get_data(as_text=True)
    return client.post(f"/can-bo/ho-so/{code}/giay-to", content_type="multipart/form-data",
                       data={"csrf_token": _csrf(page), "thanh_phan": component, "tep": (io.BytesIO(data), name)})


def _documents(app: Flask) -> list[Document]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Document).order_by(Document.id)))


def test_the_desk_adds_a_scan_and_officers_open_it_inline(app: Flask, client: FlaskClient, api: Api) -> None:
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[1]["code"]
    _login(client, "tiepnhan")
    assert _upload(client, code, "giay_chung_sinh", "giay-chung-sinh.png", PNG).status_code == 302
    (document,) = _documents(app)
    page = client.get(f"/can-bo/ho-so/{code}/giay-to").get_data(as_text=True)
    assert "giay-chung-sinh.png" in page and f'<img src="/can-bo/giay-to/{document.id}"' in page
    shown = client.get(f"/can-bo/giay-to/{document.id}")
    assert shown.status_code == 200 and shown.data == PNG and shown.mimetype == "image/png"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    assert "attachment" not in shown.headers.get("Content-Disposition", "")
    shown.close()  # the file handle send_file opened
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["document.uploaded", "document.viewed"]


def test_a_wrong_file_is_refused_with_a_reason_and_nothing_is_stored(
        app: Flask, client: FlaskClient, api: Api) -> None:
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[1]["code"]
    _login(client, "tiepnhan")
    renamed = _upload(client, code, "giay_chung_sinh", "scan.pdf", b"MZ\x90\x00 not a pdf")
    assert renamed.status_code == 422 and "không đúng loại tệp" in renamed.get_data(as_text=True)
    assert _upload(client, code, "khong_co", "scan.pdf", PDF).status_code == 422
    assert _upload(client, code, "giay_chung_sinh", "", b"").status_code == 422
    assert _documents(app) == []


def test_officers_without_a_part_see_nothing_and_only_the_desk_adds(
        app: Flask, client: FlaskClient, api: Api) -> None:
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[1]["code"]
    _login(client, "tiepnhan")
    _upload(client, code, "giay_chung_sinh", "a.png", PNG)
    (document,) = _documents(app)
    stranger = app.test_client()
    _login(stranger, "sotuphap")
    assert stranger.get(f"/can-bo/ho-so/{code}/giay-to").status_code == 404
    assert stranger.get(f"/can-bo/giay-to/{document.id}").status_code == 404
    specialist = app.test_client()
    _login(specialist, "hotich")  # same unit, reads the documents, is not the desk
    page = specialist.get(f"/can-bo/ho-so/{code}/giay-to").get_data(as_text=True)
    assert "a.png" in page and 'type="file"' not in page
    refused = specialist.post(f"/can-bo/ho-so/{code}/giay-to", content_type="multipart/form-data",
                              data={"csrf_token": _csrf(specialist.get("/can-bo/").get_data(as_text=True)),
                                    "thanh_phan": "giay_chung_sinh",
                                    "tep": (io.BytesIO(PNG), "b.png")})
    assert refused.status_code == 403 and len(_documents(app)) == 1
