"""Desk forms 01-07 as PDF: one per slip page, same permission as the page, every download audited,
the receipt also for the citizen who owns the dossier, and a broken template gets a clear page."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import sqlalchemy as sa
import yaml
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.test_apology import _overdue_dossier
from tests.webapp.test_lien_thong import _do
from tests.webapp.test_pdf_render import pdf_text
from tests.webapp.test_portal import _sign_in
from tests.webapp.test_withdrawal_decision import _decide, _submit_and_ask_to_withdraw
from tests.webapp.test_workspace import _complete_via_page, _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.service import now_vn
from webapp.extensions import db
from webapp.pdf import sample
from webapp.pdf import slips as pdf_slips
from webapp.pdf.template import BUILTIN_DIR
from webapp.workspace import slips as workspace_slips

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


def _names(value: Any) -> Any:
    """The shape of a context: its names, nested, without the values."""
    if isinstance(value, dict):
        return {key: _names(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_names(value[0])] if value else []
    return "text"


@pytest.fixture(autouse=True)
def _contexts_match_the_sample(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each route gives its template exactly the names `motcua pdf-templates check` assumes."""
    real, seen = pdf_slips.build, []

    def build(form: str, context: dict[str, Any]) -> bytes:
        seen.append((form, context))
        return real(form, context)

    monkeypatch.setattr(pdf_slips, "build", build)
    yield
    for form, context in seen:
        expected, got = _names(sample.context(form)), _names(context)
        if not context.get("rows"):
            expected.pop("rows", None), got.pop("rows", None)
        assert got == expected, form


def _submit(api: Api, user: str = "an") -> str:
    status, dossier = api.post("/dossiers", user, json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    return dossier["code"]


def _pdf(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    assert "no-store" in response.headers["Cache-Control"]
    return pdf_text(response.data)


def _downloads(app: Flask) -> list[tuple[str | None, dict]]:
    with app.app_context():
        return [(e.object_id, e.detail) for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "slip.pdf_downloaded").order_by(AuditEntry.id))]


def _pdf_link(client: FlaskClient, url: str) -> str:
    page = lxml.html.fromstring(client.get(url).get_data(as_text=True))
    (link,) = [a.get("href") for a in page.cssselect("a[download]") if a.get("href", "").endswith(".pdf")]
    return link


def test_form_01_receipt_pdf_for_the_desk_only_and_audited(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _login(client, "tiepnhan")
    link = _pdf_link(client, f"/can-bo/ho-so/{code}/phieu-tiep-nhan")
    assert link == f"/can-bo/ho-so/{code}/phieu-tiep-nhan.pdf"
    text = _pdf(client, link)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text and code in text and "Nguyễn Văn An" in text
    assert "ỦY BAN NHÂN DÂN TỈNH NINH BÌNH" in text and "ỦY BAN NHÂN DÂN PHƯỜNG NAM ĐỊNH" in text
    assert "Giấy chứng sinh" in text and f"http://127.0.0.1:5000/ho-so/{code}" in text  # the QR code's link
    assert _downloads(app) == [(code, {"form": "01"})]
    _login(client, "sotuphap")  # another unit: nothing, and nothing audited
    assert client.get(link).status_code == 404
    assert len(_downloads(app)) == 1
    client.post("/can-bo/dang-xuat", data={"csrf_token": _csrf(client.get("/can-bo/").get_data(as_text=True))})
    assert client.get(link).status_code == 302  # signed out: to the sign-in page


def test_forms_02_and_03_as_pdf(app: Flask, client: FlaskClient, api: Api) -> None:
    _login(client, "tiepnhan")
    first = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[1]
    _complete_via_page(client, first["current_steps"][0]["id"], {
        "f.ket_qua_tiep_nhan": "yeu_cau_bo_sung", "f.ly_do": "Giấy chứng sinh bị mờ",
        "f.giay_to_can_bo_sung": "Bản chụp rõ nét giấy chứng sinh"})
    link = _pdf_link(client, f"/can-bo/ho-so/{first['code']}/phieu-yeu-cau-bo-sung")
    text = _pdf(client, link)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text and first["code"] in text
    assert "Bản chụp rõ nét giấy chứng sinh" in text and "Giấy chứng sinh bị mờ" in text
    assert client.get(f"/can-bo/ho-so/{first['code']}/phieu-tu-choi.pdf").status_code == 404  # not refused

    second = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[1]
    _complete_via_page(client, second["current_steps"][0]["id"], {
        "f.ket_qua_tiep_nhan": "tu_choi", "f.ly_do": "Không thuộc thẩm quyền của xã"})
    text = _pdf(client, _pdf_link(client, f"/can-bo/ho-so/{second['code']}/phieu-tu-choi"))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text and "Không thuộc thẩm quyền của xã" in text
    assert [d["form"] for _, d in _downloads(app)] == ["02", "03"]
    _login(client, "sotuphap")
    assert client.get(f"/can-bo/ho-so/{second['code']}/phieu-tu-choi.pdf").status_code == 404


def test_form_04_apology_as_pdf(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _overdue_dossier(api, app)
    new_date = now_vn() + timedelta(days=3)
    _login(client, "tiepnhan")
    assert client.get(f"/can-bo/ho-so/{code}/phieu-xin-loi.pdf").status_code == 404  # none issued yet
    token = _csrf(client.get(f"/can-bo/ho-so/{code}/xin-loi").get_data(as_text=True))
    client.post(f"/can-bo/ho-so/{code}/xin-loi", data={
        "csrf_token": token, "ngay_hen_moi": new_date.date().isoformat(), "reason": "Chờ xác minh từ nơi sinh"})
    text = _pdf(client, _pdf_link(client, f"/can-bo/ho-so/{code}/phieu-xin-loi"))
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text and "Chờ xác minh từ nơi sinh" in text
    assert new_date.strftime("%d/%m/%Y") in text and code in text


def test_form_05_stop_slip_as_pdf(client: FlaskClient, api: Api) -> None:
    code, _ = _submit_and_ask_to_withdraw(api)
    _login(client, "tiepnhan")
    assert client.get(f"/can-bo/ho-so/{code}/phieu-dung-xu-ly.pdf").status_code == 404  # not stopped yet
    assert _decide(api, "tiepnhan", code, accept=True)[0] == 200
    text = _pdf(client, _pdf_link(client, f"/can-bo/ho-so/{code}/phieu-dung-xu-ly"))
    assert "PHIẾU DỪNG XỬ LÝ HỒ SƠ" in text and "Nộp nhầm thủ tục" in text and code in text


def test_form_06_control_slip_as_pdf_lists_each_hand_over(client: FlaskClient, api: Api) -> None:
    def sample(name: str) -> dict:
        return json.loads((DATA / "samples" / "lien-thong-khai-sinh" / f"{name}.json").read_text("utf-8"))

    code = api.post("/dossiers", "an", json={"procedure": "lien-thong-khai-sinh", "data": sample("to-khai")})[1]["code"]
    _do(api, "tiepnhan", code, "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _do(api, "hotich", code, "tham_dinh_xu_ly", sample("tham-dinh"))
    _do(api, "lanhdao", code, "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
    _do(api, "congan", code, "dang_ky_thuong_tru", sample("dang-ky-thuong-tru"))
    _login(client, "tiepnhan")
    text = _pdf(client, _pdf_link(client, f"/can-bo/ho-so/{code}/phieu-kiem-soat"))
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and code in text
    assert "Công an tỉnh Ninh Bình" in text and "nhận bàn giao từ Ủy ban nhân dân phường Nam Định" in text
    assert text.count("Đúng hạn") == 4 and "đang xử lý" in text
    _login(client, "sotuphap")
    assert client.get(f"/can-bo/ho-so/{code}/phieu-kiem-soat.pdf").status_code == 404


def test_form_07_register_as_pdf_for_a_period(app: Flask, client: FlaskClient, api: Api,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    codes = [_submit(api) for _ in range(2)]
    _login(client, "tiepnhan")
    page = lxml.html.fromstring(client.get("/can-bo/so-theo-doi").get_data(as_text=True))
    assert page.cssselect("form.search button[name=xuat][value=pdf]")
    today = now_vn().date().isoformat()
    text = _pdf(client, f"/can-bo/so-theo-doi?tu={today}&den={today}&xuat=pdf")
    assert "SỔ THEO DÕI HỒ SƠ" in text and all(code in text.replace(" ", "") for code in codes)
    assert "Đăng ký khai sinh" in text and "2 hồ sơ" in text
    assert _downloads(app)[-1] == (None, {"form": "07", "start": today, "end": today})
    assert client.get("/can-bo/so-theo-doi?tu=2026-13-01&xuat=pdf").status_code == 400
    monkeypatch.setattr(workspace_slips, "REGISTER_PDF_MAX", 1)  # too many rows for paper: Excel instead
    too_many = client.get(f"/can-bo/so-theo-doi?tu={today}&den={today}&xuat=pdf")
    assert too_many.status_code == 400 and "export to Excel" in too_many.get_data(as_text=True)
    assert len(_downloads(app)) == 1
    _login(client, "sotuphap")  # another unit's register does not list them
    other = _pdf(client, "/can-bo/so-theo-doi?xuat=pdf")
    assert "Không có hồ sơ trong khoảng thời gian này." in other and codes[0] not in other.replace(" ", "")


def test_the_citizen_downloads_the_receipt_of_their_own_dossier_only(app: Flask, client: FlaskClient,
                                                                   api: Api) -> None:
    code = _submit(api, "an")
    link = f"/ho-so/{code}/giay-tiep-nhan.pdf"
    assert client.get(link).status_code == 302  # not signed in: to the login
    _sign_in(app, client, "an")
    assert _pdf_link(client, f"/ho-so/{code}") == link
    text = _pdf(client, link)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text and code in text and "Nguyễn Văn An" in text
    _sign_in(app, client, "binh")  # another citizen gets nothing, not even a hint that it exists
    response = client.get(link)
    assert response.status_code == 404 and not response.data.startswith(b"%PDF")
    assert client.get("/ho-so/KHONG-CO/giay-tiep-nhan.pdf").status_code == 404
    assert len(_downloads(app)) == 1


def test_a_broken_province_template_gives_a_clear_page_and_changes_nothing(
        app: Flask, client: FlaskClient, api: Api, tmp_path: Path) -> None:
    code = _submit(api)
    broken = yaml.safe_load((BUILTIN_DIR / "mau_01.yaml").read_text("utf-8"))
    broken["blocks"][0] = {"paragraph": "Hồ sơ {{ dossier.ma_so }}"}
    (tmp_path / "mau_01.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), "utf-8")
    settings = app.config["MOTCUA_SETTINGS"]
    app.config["MOTCUA_SETTINGS"] = dataclasses.replace(settings, pdf_templates=tmp_path)
    try:
        _login(client, "tiepnhan")
        response = client.get(f"/can-bo/ho-so/{code}/phieu-tiep-nhan.pdf")
        text = " ".join(response.get_data(as_text=True).split())
        assert response.status_code == 500 and response.mimetype == "text/html"
        assert "mau_01.yaml: blocks[0].paragraph: unknown placeholder {{ dossier.ma_so }}" in text
        assert _downloads(app) == []
        del broken["title"]
        (tmp_path / "mau_01.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), "utf-8")
        text = client.get(f"/can-bo/ho-so/{code}/phieu-tiep-nhan.pdf").get_data(as_text=True)
        assert "mau_01.yaml: (top level): &#39;title&#39; is a required property" in text
        # Forms the province did not override still come from the built-in templates.
        assert client.get(f"/can-bo/ho-so/{code}/phieu-kiem-soat.pdf").status_code == 200
    finally:
        app.config["MOTCUA_SETTINGS"] = settings
