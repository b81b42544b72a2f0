"""Officers' notes on a dossier: beside the work item, for the units involved only, audited without their words."""

from __future__ import annotations

import lxml.html
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.conftest import Api
from tests.webapp.test_workspace import DECLARATION, _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import DossierNote
from webapp.extensions import db

NOTE = "Bố cháu hẹn thứ Hai mang bản chính giấy chứng sinh đến."


def _dossier_and_item(api: Api) -> tuple[str, int]:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    return dossier["code"], dossier["current_steps"][0]["id"]


def _write(client: FlaskClient, code: str, item: int, text: str):  # noqa: ANN202 - a test response
    page = client.get(f"/can-bo/viec/{item}").get_data(as_text=True)
    return client.post(f"/can-bo/ho-so/{code}/ghi-chu",
                       data={"csrf_token": _csrf(page), "ghi_chu": text, "quay_lai": f"/can-bo/viec/{item}"})


def test_a_note_is_shown_beside_the_work_item_and_audited_without_its_words(
        app: Flask, client: FlaskClient, api: Api) -> None:
    code, item = _dossier_and_item(api)
    _login(client, "tiepnhan")
    answer = _write(client, code, item, NOTE)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/can-bo/viec/{item}")
    page = lxml.html.fromstring(client.get(f"/can-bo/viec/{item}").get_data(as_text=True))
    notes = page.cssselect("ul.notes li")
    assert len(notes) == 1 and NOTE in notes[0].text_content()
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "dossier.note_added")).one()
        assert NOTE not in str(entry.detail) and "Hai" not in str(entry.detail)
    # The citizen's own pages never show it.
    status, seen = api.get(f"/dossiers/{code}", "an")
    assert status == 200 and NOTE not in str(seen)


def test_an_empty_or_overlong_note_is_refused_and_nothing_is_saved(
        app: Flask, client: FlaskClient, api: Api) -> None:
    code, item = _dossier_and_item(api)
    _login(client, "tiepnhan")
    for text in ("   ", "x" * 2001):
        answer = _write(client, code, item, text)
        assert answer.status_code == 302
        assert "chưa lưu gì" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert _write(client, code, item, "ok").status_code == 302
    with app.app_context():
        assert [n.text for n in db.session.scalars(sa.select(DossierNote))] == ["ok"]


def test_other_units_cannot_write_and_the_way_back_stays_in_the_workspace(
        app: Flask, client: FlaskClient, api: Api) -> None:
    code, item = _dossier_and_item(api)
    stranger = app.test_client()
    _login(stranger, "sotuphap")
    token = _csrf(stranger.get("/can-bo/").get_data(as_text=True))
    refused = stranger.post(f"/can-bo/ho-so/{code}/ghi-chu", data={"csrf_token": token, "ghi_chu": NOTE})
    assert refused.status_code == 404
    _login(client, "tiepnhan")
    page = client.get(f"/can-bo/viec/{item}").get_data(as_text=True)
    away = client.post(f"/can-bo/ho-so/{code}/ghi-chu",
                       data={"csrf_token": _csrf(page), "ghi_chu": "ok", "quay_lai": "https://example.com/"})
    assert away.headers["Location"].endswith("/can-bo/")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DossierNote)) == 1
