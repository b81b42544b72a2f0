"""Deadline escalation: officers warned once before a dossier falls due, overdue dossiers counted and shown."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.runtime import VN_TZ
from tests.conftest import DATA, SECRET
from tests.webapp.conftest import Api
from tests.webapp.test_workspace import _csrf, _login
from webapp.accounts.models import Account
from webapp.audit.models import AuditEntry
from webapp.deadlines import jobs as deadline_jobs
from webapp.deadlines import service as deadlines
from webapp.deadlines.models import APPROACHING, OVERDUE, DeadlineAlert
from webapp.dossiers.models import Dossier
from webapp.dossiers.service import now_vn
from webapp.extensions import db
from webapp.settings import Settings

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
MONDAY_9AM = datetime(2026, 6, 8, 9, 0, tzinfo=VN_TZ)  # a working week with no holiday


def _dossier_due(api: Api, app: Flask, due_at: datetime, *, claim_by: str | None = None) -> str:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    if claim_by:
        assert api.post(f"/work-items/{dossier['current_steps'][0]['id']}/claim", claim_by)[0] == 200
    with app.app_context():
        row = db.session.scalar(sa.select(Dossier).where(Dossier.code == dossier["code"]))
        row.due_at = due_at
        db.session.commit()
    return dossier["code"]


def _alerts(app: Flask) -> list[tuple[str, str, str]]:
    """(dossier code, officer username, kind) of every alert."""
    with app.app_context():
        return sorted(tuple(row) for row in db.session.execute(
            sa.select(Dossier.code, Account.username, DeadlineAlert.kind)
            .join(Dossier, Dossier.id == DeadlineAlert.dossier_id)
            .join(Account, Account.id == DeadlineAlert.account_id)).all())


def test_officers_are_alerted_once_per_dossier_and_threshold(api: Api, app: Flask) -> None:
    soon = _dossier_due(api, app, MONDAY_9AM + timedelta(hours=6), claim_by="tiepnhan")  # due Monday 15:00
    late = _dossier_due(api, app, MONDAY_9AM - timedelta(hours=1))  # due an hour ago, nobody claimed it
    _dossier_due(api, app, MONDAY_9AM + timedelta(days=7))  # next week: not yet
    with app.app_context():
        first = deadline_jobs.scan(now=MONDAY_9AM)
        again = deadline_jobs.scan(now=MONDAY_9AM)  # the next beat tick, or a second beat
    assert (first.dossiers, first.alerts) == (2, 3)
    assert (again.dossiers, again.alerts) == (0, 0)
    # The officer holding the step and the unit's leader; the leader alone when nobody holds it.
    assert _alerts(app) == sorted([(soon, "tiepnhan", APPROACHING), (soon, "lanhdao", APPROACHING),
                                   (late, "lanhdao", OVERDUE)])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "dossier.deadline_alert")) == 2


def test_approaching_means_within_the_working_days_configured(api: Api, app: Flask) -> None:
    friday_4pm = datetime(2026, 6, 12, 16, 0, tzinfo=VN_TZ)
    monday_noon = datetime(2026, 6, 15, 11, 0, tzinfo=VN_TZ)  # one working day after Friday 16:00
    tuesday_noon = monday_noon + timedelta(days=1)
    code = _dossier_due(api, app, monday_noon)
    _dossier_due(api, app, tuesday_noon)
    with app.app_context():
        assert deadlines.horizon(friday_4pm) >= monday_noon
        assert deadline_jobs.scan(now=friday_4pm).dossiers == 1  # the weekend does not count
    assert [a[0] for a in _alerts(app)] == [code]


def test_a_paused_or_finished_dossier_is_neither_alerted_nor_overdue(api: Api, app: Flask) -> None:
    code = _dossier_due(api, app, MONDAY_9AM - timedelta(days=1))
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        dossier.status = 5  # the citizen is supplementing: the legal clock is paused
        db.session.commit()
        assert deadlines.count_overdue(now=MONDAY_9AM) == 0
        assert deadline_jobs.scan(now=MONDAY_9AM).alerts == 0


def test_the_worklist_shows_alerts_and_overdue_dossiers_with_the_apology_link(
        api: Api, app: Flask, client: FlaskClient) -> None:
    late = _dossier_due(api, app, now_vn() - timedelta(days=2))
    with app.app_context():
        deadline_jobs.scan(now=now_vn())
    _login(client, "lanhdao")
    page = client.get("/can-bo/")
    text = " ".join(page.get_data(as_text=True).split())
    assert "Cảnh báo thời hạn" in text and late in text
    assert 'Hồ sơ quá hạn: <span class="overdue-count">1</span>' in text
    assert f'href="/can-bo/ho-so/{late}/xin-loi"' in text
    with app.app_context():
        alert_id = db.session.scalar(sa.select(DeadlineAlert.id))
    token = _csrf(page.get_data(as_text=True))
    done = client.post(f"/can-bo/canh-bao-han/{alert_id}/da-xem", data={"csrf_token": token})
    assert done.status_code == 302
    assert "Cảnh báo thời hạn" not in client.get("/can-bo/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(DeadlineAlert, alert_id).read_at is not None
        assert db.session.scalar(sa.select(AuditEntry.action).where(
            AuditEntry.action == "deadline_alert.read")) == "deadline_alert.read"
    # Another officer cannot dismiss it (and nothing changes).
    _login(client, "tiepnhan")
    token = _csrf(client.get("/can-bo/").get_data(as_text=True))
    assert client.post(f"/can-bo/canh-bao-han/{alert_id}/da-xem", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "deadline_alert.read")) == 1


def test_metrics_count_the_overdue_dossiers(api: Api, app: Flask, client: FlaskClient) -> None:
    _dossier_due(api, app, now_vn() - timedelta(hours=1))
    _dossier_due(api, app, now_vn() + timedelta(days=30))
    body = client.get("/metrics").get_data(as_text=True)
    assert "motcua_dossiers_overdue 1.0" in body
    assert "motcua_timers_due 0.0" in body


@pytest.mark.parametrize(("name", "value"), [("MOTCUA_DEADLINE_WARN_DAYS", "-1"),
                                             ("MOTCUA_TIMER_POLL_SECONDS", "0")])
def test_a_wrong_setting_is_refused_with_its_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({**SECRET, name: value})
