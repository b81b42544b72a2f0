"""Audit events are typed: one enum, Vietnamese and English words for each, and the audit page
shows the words, never the code."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.conftest import Api
from tests.webapp.test_workspace import _login
from webapp.audit.events import LABELS, Event, label
from webapp.audit.service import record


def test_every_event_has_words_in_both_languages() -> None:
    assert set(LABELS) == set(Event)
    for event in Event:
        vi, en = LABELS[event]
        assert vi and en and vi != event.value and en != event.value


def test_a_code_that_is_not_an_event_is_refused(app: Flask) -> None:
    with app.app_context(), pytest.raises(TypeError):
        record("dossier.something_new", actor_id=None)  # type: ignore[arg-type]


def test_an_unknown_stored_code_is_shown_as_it_is() -> None:
    assert label("legacy.event") == "legacy.event"
    assert label("work_item.claimed") == "Nhận xử lý bước"
    assert label("work_item.claimed", "en") == "Step claimed"


def test_the_dossier_audit_page_shows_words(api: Api, client: FlaskClient) -> None:
    import json

    from tests.conftest import DATA

    declaration = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})
    assert status == 201
    step = dossier["current_steps"][0]["id"]
    assert api.post(f"/work-items/{step}/claim", "tiepnhan")[0] == 200
    assert _login(client, "tiepnhan")[0] == 302
    page = client.get(f"/can-bo/ho-so/{dossier['code']}/nhat-ky").get_data(as_text=True)
    assert "Nộp hồ sơ" in page and "Nhận xử lý bước" in page
    assert "work_item.claimed" not in page and "dossier.submitted" not in page
