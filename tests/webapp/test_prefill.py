"""Once-only: a new declaration starts with what the population database and the citizen's
earlier dossiers already say, and the page says what was filled in and from where."""

from __future__ import annotations

import json
import logging

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.connectors import ConnectorError
from engine.package import PackageSource
from engine.problems import PackageInvalid
from tests.conftest import DATA, library_package
from tests.webapp.conftest import Api
from tests.webapp.test_portal import _sign_in
from webapp.extensions import db
from webapp.portal.models import Draft


def _page(client: FlaskClient, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.get_data(as_text=True))


def _value(page: lxml.html.HtmlElement, name: str) -> str | None:
    found = page.cssselect(f'[name="f.{name}"]')
    return found[0].get("value") if found else None


def _notes(page: lxml.html.HtmlElement) -> list[str]:
    return [" ".join(li.text_content().split()) for li in page.cssselect(".prefilled li")]


def test_the_requester_comes_from_the_population_database(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client, "an")
    page = _page(client, "/thu-tuc/khai-sinh/nop")
    assert _value(page, "nguoi_yeu_cau.ho_ten") == "Nguyễn Văn An"
    assert _value(page, "nguoi_yeu_cau.so_dinh_danh") == "001090000001"
    assert _value(page, "nguoi_yeu_cau.dia_chi.dia_chi_chi_tiet") == "Số 8, đường Hùng Vương"
    notes = _notes(page)
    assert "Người yêu cầu đăng ký khai sinh › Họ, chữ đệm và tên — lấy từ Cơ sở dữ liệu quốc gia về dân cư" in notes
    assert len(notes) == 5  # name, birth date, sex, identity number, address
    with app.app_context():
        draft = db.session.scalars(sa.select(Draft)).one()
        assert draft.prefilled["nguoi_yeu_cau.ngay_sinh"] == "dan_cu"
        assert draft.data["nguoi_yeu_cau"]["gioi_tinh"] == "nam"


def test_a_prefilled_draft_is_never_overwritten(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client, "an")
    client.get("/thu-tuc/khai-sinh/nop")
    with app.app_context():
        draft = db.session.scalars(sa.select(Draft)).one()
        draft.data = {**draft.data, "nguoi_yeu_cau": {**draft.data["nguoi_yeu_cau"], "ho_ten": "Nguyễn Văn Ân"}}
        db.session.commit()
    assert _value(_page(client, "/thu-tuc/khai-sinh/nop"), "nguoi_yeu_cau.ho_ten") == "Nguyễn Văn Ân"


def test_delivery_details_come_from_the_last_dossier(app: Flask, client: FlaskClient, api: Api) -> None:
    declaration = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    assert api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})[0] == 201
    _sign_in(app, client, "an")
    page = _page(client, "/thu-tuc/dang-ky-ho-kinh-doanh/nop?buoc=99")  # unknown step: the first
    with app.app_context():
        draft = db.session.scalars(sa.select(Draft)).one()
        assert draft.data["nhan_ket_qua"] == declaration["nhan_ket_qua"]
        assert draft.prefilled == {"nhan_ket_qua": "ho_so_truoc"}
    assert page is not None
    # Binh has no earlier dossier: nothing comes from one.
    _sign_in(app, client, "binh")
    client.get("/thu-tuc/dang-ky-ho-kinh-doanh/nop")
    with app.app_context():
        binh = db.session.scalars(sa.select(Draft).where(Draft.id != draft.id)).one()
        assert "nhan_ket_qua" not in binh.data and binh.prefilled == {}


def test_the_form_still_works_when_the_registry_is_down(app: Flask, client: FlaskClient, seeded: dict,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    registry = app.extensions["motcua_engine"].connectors.get("dan_cu.tra_cuu")
    registry.fail_next.append(ConnectorError("timeout", retryable=True))
    _sign_in(app, client, "an")
    with caplog.at_level(logging.DEBUG):
        page = _page(client, "/thu-tuc/khai-sinh/nop")
    assert _value(page, "nguoi_yeu_cau.ho_ten") in (None, "")
    assert "Chưa lấy được thông tin từ Cơ sở dữ liệu quốc gia về dân cư" in page.text_content()
    assert "001090000001" not in caplog.text and "Nguyễn Văn An" not in caplog.text
    assert registry.fail_next == []


def test_an_unknown_prefill_source_is_refused_when_loading(app: Flask) -> None:
    source = library_package("khai-sinh")
    files = dict(source.files)
    path = "forms/khai-sinh/to-khai.schema.json"
    files[path] = files[path].replace(b'"x-prefill": "dan_cu.ho_ten"', b'"x-prefill": "dan_cu.luong"')
    with pytest.raises(PackageInvalid) as caught:
        app.extensions["motcua_engine"].load(PackageSource("khai-sinh", files))
    assert [(p.code, p.params["field"]) for p in caught.value.problems] == [
        ("prefill_unknown_source", "nguoi_yeu_cau.ho_ten")]
