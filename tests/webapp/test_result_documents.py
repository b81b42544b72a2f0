"""Result documents from the package: khai-sinh's signed result is the Giấy khai sinh the leader
previewed; every library procedure's result prints its own content."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from tests.conftest import DATA, library_package
from tests.webapp.conftest import Api
from tests.webapp.test_result_pdf import _run_signing_jobs, _sign_in, _step, sample
from webapp.dossiers.models import Document
from webapp.extensions import db
from webapp.pdf import render as renderer
from webapp.results import service as results
from webapp.results import templated
from webapp.signing.service import check

CHILD, BORN, PIN = "TRẦN MINH AN", "02/06/2025", "036225000789"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_leader_previews_the_birth_certificate_and_the_signed_result_is_that_document(
        api: Api, app: Flask, client: FlaskClient) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": sample("to-khai")})
    assert status == 201, dossier
    code = dossier["code"]
    _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _step(api, "hotich", "tham_dinh_xu_ly", {**sample("tham-dinh"), "so_dang_ky": "125", "quyen_so": "01/2025"})

    # The leader's step shows the document on the page and links its PDF.
    (item,) = [i for i in api.get("/worklist", "lanhdao")[1]["items"] if i["element_id"] == "phe_duyet"]
    _sign_in(app, client, "lanhdao", officer=True)
    page = client.get(f"/can-bo/viec/{item['id']}").get_data(as_text=True)
    assert "Xem trước văn bản kết quả sẽ ký" in page and "GIẤY KHAI SINH" in page
    assert CHILD in page and BORN in page and PIN in page and "Nguyễn Thị Lan" in page
    assert "Ngày hai tháng sáu năm hai nghìn không trăm hai mươi lăm" in page
    preview = client.get(f"/can-bo/ho-so/{code}/ket-qua-du-thao.pdf")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert "no-store" in preview.headers["Cache-Control"]
    previewed = pdf_text(preview.get_data())
    assert CHILD in previewed and BORN in previewed and PIN in previewed and "Quyển số: 01/2025" in previewed
    _sign_in(app, client, "congan", officer=True)  # an officer of a unit not involved
    assert client.get(f"/can-bo/ho-so/{code}/ket-qua-du-thao.pdf").status_code == 404
    _sign_in(app, client, "hotich", officer=True)  # not the approving step: no preview on the page
    (done,) = [i for i in api.get("/worklist", "tiepnhan")[1]["items"] if i["dossier_code"] == code] or [None]
    assert done is None or "Xem trước văn bản" not in client.get(f"/can-bo/viec/{done['id']}").get_data(as_text=True)

    _step(api, "lanhdao", "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
    (issued,) = _run_signing_jobs(app)
    with app.app_context():
        document = db.session.get(Document, issued)
        assert document is not None
        signed = results.content_of(document)
        verdict = check(signed)
    assert verdict.valid and verdict.trusted and verdict.intact
    text = pdf_text(signed)
    assert "GIẤY KHAI SINH" in text and CHILD in text and BORN in text and PIN in text
    assert "Số: 125" in text and "Nguyễn Thị Lan" in text and "Trần Văn Hùng" in text
    assert "Lãnh đạo Ủy ban nhân dân cấp xã" in text  # the signer's title, from the approving lane
    assert "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" not in text  # not the generic notice


def _data(slug: str) -> dict:
    merged: dict = {}
    for path in sorted((DATA / "samples" / slug).glob("*.json")):
        if "tu-choi" not in path.name:
            merged.update(json.loads(path.read_text("utf-8")))
    return merged


COMMON = {"dossier": {"code": "H41.01-260601-0001", "procedure": "", "procedure_code": ""},
          "unit": {"name": "Ủy ban nhân dân phường Nam Định", "code": "H41.01.01"}, "province": "Tỉnh Ninh Bình",
          "number": "H41.01-260601-0001/KQ", "issued": {"day": "01", "month": "06", "year": "2026",
                                                      "date": "01/06/2026"},
          "signer": {"title": "Chủ tịch", "name": "Lê Văn Ký"}, "applicant": "", "tracking_url": "https://dvc.example/x"}

OWN_CONTENT = {
    "khai-sinh": ["GIẤY KHAI SINH", CHILD, BORN, PIN, "Nguyễn Thị Lan"],
    "chung-thuc-ban-sao": ["CHỨNG THỰC BẢN SAO TỪ BẢN CHÍNH", "Bằng tốt nghiệp đại học", "QH.2017.0123",
                           "Quyển số 01/2026-SCT/BS", "Nguyễn Thị Lan"],
    "dang-ky-ho-kinh-doanh": ["GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "4301234567", "BÁNH CUỐN BÀ LAN", "5610",
                              "150.000.000", "PHẠM THỊ LAN"],
    "cap-phieu-ly-lich-tu-phap": ["PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", "1532/2026/LLTP", "NGUYỄN VĂN AN", "14/03/1990",
                                  "Không có án tích", "Phạm Thị Hoa"],
    "lien-thong-khai-sinh": ["GIẤY KHAI SINH", PIN, "THÔNG BÁO KẾT QUẢ LIÊN THÔNG", "TE1350123456789",
                             "09/06/2025"],
    "lien-thong-khai-tu": ["TRÍCH LỤC KHAI TỬ", "TRẦN VĂN PHÚC", "06/06/2026", "45/2026", "23.400.000",
                           "09/06/2026"],
}


@pytest.mark.parametrize("slug", sorted(OWN_CONTENT))
def test_each_library_procedure_prints_its_own_result(app: Flask, slug: str) -> None:
    source = library_package(slug)
    meta = yaml.safe_load(source.files[source.metadata_path])
    with app.test_request_context():
        pages = templated.fill(source, meta, _data(slug), COMMON)
        text = pdf_text(renderer.render_all([(template, context) for _name, template, context in pages]))
    for expected in OWN_CONTENT[slug]:
        assert expected in text, (slug, expected, text[:1500])
    assert "Lê Văn Ký" in text
