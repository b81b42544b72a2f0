"""A deployment for one province (MOTCUA_PROVINCE) runs the library with that province's overlays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.extensions import db
from webapp.procedures import service as procedures


@pytest.fixture()
def province_h41(app: Flask, seeded: dict) -> Iterator[None]:
    """The library loaded again as province H41 would load it (demo overlays in overlays/H41/)."""
    settings = app.config["MOTCUA_SETTINGS"]
    app.config["MOTCUA_SETTINGS"] = replace(settings, province="H41")
    try:
        with app.app_context():
            results = procedures.load_library(Path(app.config["MOTCUA_LIBRARY"]), actor_id=None)
            db.session.commit()
        assert ("dang-ky-ho-kinh-doanh", 2, True) in results  # the overlay makes a new version
        assert ("khai-sinh", 1, False) in results  # no overlay for it: the same version
        yield
    finally:
        app.config["MOTCUA_SETTINGS"] = settings


def test_the_catalogue_shows_the_province_fee_deadline_and_decision(client: FlaskClient, province_h41: None) -> None:
    page = lxml.html.fromstring(client.get("/thu-tuc/dang-ky-ho-kinh-doanh").get_data(as_text=True))
    text = " ".join(page.text_content().split())
    assert "nộp trực tuyến: 0" in text
    assert "Áp dụng tại tỉnh Ninh Bình (dữ liệu mẫu)" in text
    assert page.cssselect("#dieu-chinh-cua-tinh")


def test_dropped_component_is_not_asked_for(client: FlaskClient, province_h41: None) -> None:
    with client.application.app_context():
        meta = procedures.published_version("chung-thuc-ban-sao").meta
    assert [c["key"] for c in meta["components"]] == ["to_khai", "ban_chinh"]


def test_without_a_province_the_shared_library_applies(client: FlaskClient, seeded: dict) -> None:
    with client.application.app_context():
        meta = procedures.published_version("dang-ky-ho-kinh-doanh").meta
    assert "overlay" not in meta
    assert meta["processing_time"]["amount"] == 3
