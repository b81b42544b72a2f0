"""The ``connector.call`` job: a service task's call made after the action commits, retried with
the connector's backoff, never made twice once answered, and its answer applied under the
dossier's optimistic lock."""

from __future__ import annotations

import json
from collections.abc import Iterator

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask

from engine.connectors import ConnectorError, ConnectorTimeout
from fakes.judicial_records import FakeJudicialRecords
from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import run_connector_jobs, sign_in
from webapp.audit.models import AuditEntry
from webapp.connectors import calls
from webapp.connectors.attempts import CallLater
from webapp.dossiers import service as dossiers
from webapp.dossiers.models import ConnectorCallRecord, Dossier
from webapp.extensions import db
from webapp.outbox.models import OutboxMessage

SLUG = "cap-phieu-ly-lich-tu-phap"
OFFICER = "sotuphap"


def sample(name: str) -> dict:
    return json.loads((DATA / "samples" / SLUG / f"{name}.json").read_text("utf-8"))


@pytest.fixture()
def records(app: Flask) -> Iterator[FakeJudicialRecords]:
    fake = app.extensions["motcua_engine"].connectors.get("ly_lich_tu_phap.xac_minh")
    fake.calls.clear()
    yield fake
    fake.controls.fail_next.clear()
    fake.controls.release.set()


def _received(api: Api) -> str:
    """A request the desk has accepted: the verification call is now pending."""
    status, dossier = api.post("/dossiers", "an", json={"procedure": SLUG, "data": sample("to-khai"),
                                                        "unit": "H41.15"})
    assert status == 201, dossier
    code = dossier["code"]
    (item,) = [i for i in api.get("/worklist", OFFICER)[1]["items"] if i["dossier"] == code]
    assert api.post(f"/work-items/{item['id']}/claim", OFFICER)[0] == 200
    status, after = api.post(f"/work-items/{item['id']}/complete", OFFICER, json={"data": sample("tiep-nhan")})
    assert status == 200, after
    return code


def _call(app: Flask, code: str) -> ConnectorCallRecord:
    with app.app_context():
        call = db.session.scalar(sa.select(ConnectorCallRecord).join(Dossier).where(Dossier.code == code))
        assert call is not None
        db.session.expunge(call)
        return call


def _steps(api: Api, code: str) -> list[str]:
    return [s["element_id"] for s in api.get(f"/dossiers/{code}", OFFICER)[1]["current_steps"]]


def test_the_action_records_the_call_and_its_job_in_its_own_transaction(
        app: Flask, api: Api, records: FakeJudicialRecords) -> None:
    code = _received(api)
    call = _call(app, code)
    assert (call.element_id, call.connector, call.state, call.attempts) == (
        "xac_minh", "ly_lich_tu_phap.xac_minh", "pending", 0)
    with app.app_context():
        jobs = db.session.scalars(sa.select(OutboxMessage.payload).where(OutboxMessage.job == "connector.call")).all()
    assert jobs == [{"dossier_id": call.dossier_id, "task_id": call.task_id}]  # ids only
    assert records.calls == [] and _steps(api, code) == []


def test_timeouts_and_failures_are_retried_with_the_connectors_backoff_then_it_succeeds(
        app: Flask, api: Api, records: FakeJudicialRecords) -> None:
    code = _received(api)
    call = _call(app, code)
    records.controls.fail_next = [ConnectorTimeout(), *[ConnectorError("agency busy", retryable=True)] * 3]
    countdowns = []
    with app.app_context():
        for _ in range(4):
            with pytest.raises(CallLater) as later:
                calls.run(dossier_id=call.dossier_id, task_id=call.task_id)
            countdowns.append(later.value.countdown)
        assert calls.run(dossier_id=call.dossier_id, task_id=call.task_id) == "applied"
    assert countdowns == [2.0, 4.0, 8.0, 15.0]  # the connector's own policy, capped at 15 s
    assert records.calls == [code] * 5
    done = _call(app, code)
    assert (done.state, done.attempts, done.error_reason) == ("applied", 5, None)
    assert done.result["ket_qua"] == "khong_co_an_tich"
    assert _steps(api, code) == ["lap_phieu"]


def test_a_permanent_failure_takes_the_diagrams_error_path(
        app: Flask, api: Api, records: FakeJudicialRecords) -> None:
    code = _received(api)
    records.controls.fail_next = [ConnectorError("request for 001090000001 not understood", retryable=False)]
    assert run_connector_jobs(app) == ["applied"]
    done = _call(app, code)
    assert (done.error_reason, done.error_retryable, done.attempts) == ("rejected", False, 1)
    assert "001090000001" not in done.error_message  # the stored message is redacted
    assert _steps(api, code) == ["xac_minh_thu_cong"]


def test_a_job_delivered_twice_calls_once(app: Flask, api: Api, records: FakeJudicialRecords) -> None:
    code = _received(api)
    call = _call(app, code)
    with app.app_context():
        assert calls.run(dossier_id=call.dossier_id, task_id=call.task_id) == "applied"
        assert calls.run(dossier_id=call.dossier_id, task_id=call.task_id) == "applied"
        audited = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "dossier.connector_answered")
                                     .where(AuditEntry.object_id == code)).all()
    assert records.calls == [code]
    assert len(audited) == 1
    assert "001090000001" not in json.dumps(audited[0].detail, ensure_ascii=False)


def test_a_dossier_saved_meanwhile_gets_the_stored_answer_without_a_second_call(
        app: Flask, api: Api, records: FakeJudicialRecords, monkeypatch: pytest.MonkeyPatch) -> None:
    code = _received(api)
    call = _call(app, code)
    real = dossiers.finish_connector_call
    raced = []

    def someone_saves_first(dossier: Dossier, record: ConnectorCallRecord) -> bool:
        if not raced:  # another action commits between this job's read and its write
            raced.append(True)
            with db.engine.begin() as conn:
                conn.execute(sa.update(Dossier).where(Dossier.id == dossier.id).values(version=Dossier.version + 1))
        return real(dossier, record)

    monkeypatch.setattr(dossiers, "finish_connector_call", someone_saves_first)
    with app.app_context():
        with pytest.raises(dossiers.Conflict):
            calls.run(dossier_id=call.dossier_id, task_id=call.task_id)
        db.session.rollback()
    assert _call(app, code).state == "answered"  # the answer was kept
    with app.app_context():
        assert calls.run(dossier_id=call.dossier_id, task_id=call.task_id) == "applied"  # Celery's retry
    assert records.calls == [code]
    assert _steps(api, code) == ["lap_phieu"]


def test_a_call_whose_task_stopped_waiting_is_dropped_without_calling(
        app: Flask, api: Api, records: FakeJudicialRecords) -> None:
    code = _received(api)
    call = _call(app, code)
    with app.app_context():  # the task was answered by another route (here: by hand)
        db.session.execute(sa.update(ConnectorCallRecord).where(ConnectorCallRecord.id == call.id)
                           .values(task_id="00000000-0000-0000-0000-000000000000"))
        db.session.commit()
        assert calls.run(dossier_id=call.dossier_id, task_id="00000000-0000-0000-0000-000000000000") == "dropped"
    assert records.calls == []


def test_the_officer_sees_the_call_and_its_tries(app: Flask, api: Api, records: FakeJudicialRecords) -> None:
    code = _received(api)
    records.controls.fail_next = [ConnectorTimeout()]
    assert run_connector_jobs(app) == ["applied"]
    (item,) = [i for i in api.get("/worklist", OFFICER)[1]["items"] if i["dossier"] == code]
    client = app.test_client()
    sign_in(client, OFFICER)
    page = lxml.html.fromstring(client.get(f"/can-bo/viec/{item['id']}").get_data(as_text=True))
    outside = page.cssselect("ul.outside-systems")[0].text_content()
    assert "ly_lich_tu_phap.xac_minh · Xong · lần thử: 2" in outside
