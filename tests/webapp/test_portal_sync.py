"""Every dossier on the national public service portal: created there once (steps 1-4), then its
progress and status after each change (steps 5-6); a refusal names the field, and nothing is
sent twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask

from engine.connectors import ConnectorTimeout
from fakes.national_portal import FakeNationalPortal
from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import run_outbox_jobs, sign_in
from webapp.accounts.models import Account
from webapp.connectors import portal_sync
from webapp.connectors.attempts import CallLater
from webapp.connectors.models import PortalSync
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.outbox.models import OutboxMessage

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


@pytest.fixture()
def portal(app: Flask) -> Iterator[FakeNationalPortal]:
    fake = app.extensions["motcua_engine"].connectors.get(portal_sync.CREATE).client.api
    yield fake
    fake.fail_next.clear()


def _submit(api: Api) -> str:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201, dossier
    return dossier["code"]


def _sync(app: Flask) -> list[str]:
    return run_outbox_jobs(app, "portal.sync", portal_sync.sync)


def _row(app: Flask, code: str) -> PortalSync | None:
    with app.app_context():
        row = db.session.scalar(sa.select(PortalSync).join(Dossier, Dossier.id == PortalSync.dossier_id)
                                .where(Dossier.code == code))
        if row is not None:
            db.session.expunge(row)
        return row


def _step(api: Api, user: str, element_id: str, data: dict) -> None:
    (item,) = [i for i in api.get("/worklist", user)[1]["items"] if i["element_id"] == element_id]
    assert api.post(f"/work-items/{item['id']}/claim", user)[0] == 200
    assert api.post(f"/work-items/{item['id']}/complete", user, json={"data": data})[0] == 200


def test_a_dossier_is_created_on_the_portal_then_follows_each_status(
        app: Flask, api: Api, portal: FakeNationalPortal) -> None:
    code = _submit(api)
    portal.calls.clear()
    assert _sync(app) == ["synced"]
    row = _row(app, code)
    assert row is not None and row.synced_status == 1 and row.last_error is None
    national = portal.dossiers[row.national_code]
    assert portal.codes[code] == row.national_code
    assert (national["ma_thu_tuc"], national["so_dinh_danh"], national["kenh"], national["trang_thai"]) == (
        "1.001193", "001090000001", 2, 1)
    assert portal.calls[-4:] == ["dossier_code", "create", "progress", "status"]

    _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    portal.calls.clear()
    states = _sync(app)
    assert "synced" in states
    with app.app_context():
        status = db.session.scalar(sa.select(Dossier.status).where(Dossier.code == code))
    national = portal.dossiers[row.national_code]  # the records as the last call left them
    assert national["trang_thai"] == status == _row(app, code).synced_status
    assert "create" not in portal.calls  # created once
    assert national["tien_do"][-1]["don_vi_xu_ly"]


def test_a_late_or_repeated_job_sends_nothing(app: Flask, api: Api, portal: FakeNationalPortal) -> None:
    code = _submit(api)
    _sync(app)
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == code))
    portal.calls.clear()
    with app.app_context():
        assert portal_sync.sync(dossier_id=dossier_id) == "up_to_date"
    assert portal.calls == []


def test_a_refused_dossier_fails_with_the_portals_reason_and_can_be_sent_again(
        app: Flask, api: Api, portal: FakeNationalPortal) -> None:
    code = _submit(api)
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        applicant = db.session.get(Account, dossier.applicant_id)
        name, applicant.display_name = applicant.display_name, "A"  # the portal wants 2 to 100 characters
        applicant_id, dossier_id = applicant.id, dossier.id
        db.session.commit()
    with app.app_context(), pytest.raises(portal_sync.PortalSyncFailed) as refused:
        portal_sync.sync(dossier_id=dossier_id)
    assert "ho_ten_nguoi_nop" in str(refused.value)
    row = _row(app, code)
    assert row.national_code is None and "ho_ten_nguoi_nop" in row.last_error and row.attempts == 0
    with app.app_context():
        db.session.get(Account, applicant_id).display_name = name
        db.session.commit()
    with app.app_context():  # mended: the administrator's retry goes through
        assert portal_sync.sync(dossier_id=dossier_id) == "synced"
    assert _row(app, code).last_error is None


def test_a_portal_that_times_out_is_tried_again_after_the_backoff(
        app: Flask, api: Api, portal: FakeNationalPortal) -> None:
    code = _submit(api)
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == code))
    portal.fail_next = [ConnectorTimeout(), ConnectorTimeout()]
    countdowns = []
    with app.app_context():
        for _ in range(2):
            with pytest.raises(CallLater) as later:
                portal_sync.sync(dossier_id=dossier_id)
            countdowns.append(later.value.countdown)
        assert portal_sync.sync(dossier_id=dossier_id) == "synced"
    assert countdowns == [2.0, 4.0]
    assert _row(app, code).attempts == 0


def test_switched_off_no_job_is_queued(app: Flask, api: Api) -> None:
    settings = app.config["MOTCUA_SETTINGS"]
    app.config["MOTCUA_SETTINGS"] = replace(settings, national_portal_sync=False)
    try:
        _submit(api)
    finally:
        app.config["MOTCUA_SETTINGS"] = settings
    with app.app_context():
        jobs = db.session.scalars(sa.select(OutboxMessage.job)).all()
    assert "notify.status_changed" in jobs and "portal.sync" not in jobs


def test_the_officer_sees_the_national_code_and_the_outside_calls(
        app: Flask, api: Api, portal: FakeNationalPortal) -> None:
    code = _submit(api)
    _sync(app)
    (item,) = [i for i in api.get("/worklist", "tiepnhan")[1]["items"] if i["dossier"] == code]
    client = app.test_client()
    sign_in(client, "tiepnhan")
    page = lxml.html.fromstring(client.get(f"/can-bo/viec/{item['id']}").get_data(as_text=True))
    outside = page.cssselect("ul.outside-systems")[0].text_content()
    assert _row(app, code).national_code in outside and "trạng thái đã đồng bộ 1" in outside
