"""The timer scheduler: a saved state's timer becomes a due row; beat claims it once; the job fires it once."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.webapp.conftest import Api
from tests.webapp.timers_support import publish_hen_gio, ready_elements, submit_waiting_until
from webapp import create_app
from webapp.audit.models import AuditEntry
from webapp.dossiers import jobs as timer_jobs
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.outbox.models import OutboxMessage
from webapp.timers import jobs as timer_beat
from webapp.timers import service as timers
from webapp.timers.models import TimerDue


@pytest.fixture()
def hen_gio(app: Flask, seeded: dict) -> None:
    publish_hen_gio(app)


def _dossier(app: Flask, code: str) -> tuple[int, int | None]:
    with app.app_context():
        row = db.session.execute(sa.select(Dossier.id, Dossier.status).where(Dossier.code == code)).one()
        return row[0], row[1]


def _wait_until(moment: datetime) -> None:
    """The engine compares timers with the real clock: let it pass ``moment``."""
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.05)


def _fired(app: Flask, dossier_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "dossier.timer_fired", AuditEntry.dossier_id == dossier_id)) or 0


def test_saving_a_waiting_state_schedules_its_timer(api: Api, app: Flask, hen_gio: None) -> None:
    fire_at = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    dossier = submit_waiting_until(api, fire_at)
    dossier_id, status = _dossier(app, dossier["code"])
    assert status == 4  # waiting on the timer
    with app.app_context():
        row = timers.get(dossier_id=dossier_id)
        assert row is not None and row.due_at == fire_at and row.lease_until is None


def test_a_timer_not_due_is_neither_claimed_nor_fired(api: Api, app: Flask, hen_gio: None) -> None:
    dossier = submit_waiting_until(api, datetime.now(UTC) + timedelta(hours=1))
    dossier_id, _ = _dossier(app, dossier["code"])
    with app.app_context():
        assert timer_beat.claim_due() == []
        assert timer_jobs.fire(dossier_id=dossier_id) is False
    assert _dossier(app, dossier["code"])[1] == 4
    assert ready_elements(app, dossier_id) == []
    assert _fired(app, dossier_id) == 0


def test_a_due_timer_fires_once_and_the_process_moves_on(api: Api, app: Flask, hen_gio: None) -> None:
    fire_at = datetime.now(UTC) + timedelta(seconds=1)
    dossier = submit_waiting_until(api, fire_at)
    dossier_id, _ = _dossier(app, dossier["code"])
    _wait_until(fire_at)
    with app.app_context():
        assert timer_beat.claim_due() == [dossier_id]
        assert timer_beat.claim_due() == []  # claimed: a second beat gets nothing
        job = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.job == timers.FIRE_JOB))
        assert job is not None and job.payload == {"dossier_id": dossier_id}
        assert timer_jobs.fire(dossier_id=dossier_id) is True
        assert timer_jobs.fire(dossier_id=dossier_id) is False  # the same job delivered again
        assert timers.get(dossier_id=dossier_id) is None  # nothing left to wait for
    assert ready_elements(app, dossier_id) == ["xem_ket_qua"]
    assert _dossier(app, dossier["code"])[1] == 9
    assert _fired(app, dossier_id) == 1


def test_a_claim_whose_job_never_ended_is_taken_again(api: Api, app: Flask, hen_gio: None) -> None:
    fire_at = datetime.now(UTC) + timedelta(seconds=1)
    dossier = submit_waiting_until(api, fire_at)
    dossier_id, _ = _dossier(app, dossier["code"])
    _wait_until(fire_at)
    lease = app.config["MOTCUA_SETTINGS"].timer_lease_seconds
    with app.app_context():
        assert timer_beat.claim_due() == [dossier_id]
        later = datetime.now(UTC) + timedelta(seconds=lease + 1)
        assert timer_beat.claim_due(now=later) == [dossier_id]
        assert timers.get(dossier_id=dossier_id).claims == 2


def test_due_times_survive_a_restart(api: Api, app: Flask, hen_gio: None) -> None:
    """Nothing but the database remembers the timer: a new process finds and fires it."""
    fire_at = datetime.now(UTC) + timedelta(seconds=1)
    dossier = submit_waiting_until(api, fire_at)
    dossier_id, _ = _dossier(app, dossier["code"])
    restarted = create_app({"TESTING": True}, settings=replace(app.config["MOTCUA_SETTINGS"]))
    try:
        _wait_until(fire_at)
        with restarted.app_context():
            assert db.session.scalar(sa.select(TimerDue.dossier_id)) == dossier_id
            assert timer_beat.claim_due() == [dossier_id]
            assert timer_jobs.fire(dossier_id=dossier_id) is True
    finally:
        with restarted.app_context():
            db.engine.dispose()
    assert ready_elements(app, dossier_id) == ["xem_ket_qua"]


def test_a_process_without_timers_puts_nothing_on_the_schedule(api: Api, app: Flask, seeded: dict) -> None:
    import json

    from tests.conftest import DATA

    declaration = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})
    assert status == 201
    dossier_id, _ = _dossier(app, dossier["code"])
    with app.app_context():
        assert timers.get(dossier_id=dossier_id) is None  # khai-sinh has no timer: no row, no polling


def test_a_library_booking_is_scheduled_to_lapse_in_30_days(api: Api, app: Flask, seeded: dict) -> None:
    import json

    from tests.conftest import DATA

    declaration = json.loads((DATA / "samples" / "chung-thuc-ban-sao" / "to-khai.json").read_text("utf-8"))
    before = datetime.now(UTC)
    status, dossier = api.post("/dossiers", "an", json={"procedure": "chung-thuc-ban-sao", "data": declaration})
    assert status == 201, dossier
    dossier_id, _ = _dossier(app, dossier["code"])
    with app.app_context():
        row = timers.get(dossier_id=dossier_id)
        assert row is not None
        assert before + timedelta(days=30) <= row.due_at <= datetime.now(UTC) + timedelta(days=30)
        (item,) = [i["id"] for i in api.get(f"/dossiers/{dossier['code']}", "an")[1]["current_steps"]]
    # The desk checks the originals first: the booking no longer lapses.
    sample = json.loads((DATA / "samples" / "chung-thuc-ban-sao" / "tiep-nhan.json").read_text("utf-8"))
    assert api.post(f"/work-items/{item}/complete", "tiepnhan", json={"data": sample})[0] == 200
    with app.app_context():
        assert timers.get(dossier_id=dossier_id) is None


def test_a_job_that_loses_the_optimistic_lock_changes_nothing_and_its_retry_fires(
        api: Api, app: Flask, hen_gio: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.dossiers import service as dossiers

    fire_at = datetime.now(UTC) + timedelta(seconds=1)
    dossier = submit_waiting_until(api, fire_at)
    dossier_id, _ = _dossier(app, dossier["code"])
    _wait_until(fire_at)
    with app.app_context():
        engine = dossiers.engine()
        refresh = engine.refresh_timers

        def someone_saves_meanwhile(instance, **kwargs):  # noqa: ANN001, ANN202
            with db.engine.begin() as other:  # another process saves the dossier first
                other.execute(sa.update(Dossier).where(Dossier.id == dossier_id)
                              .values(version=Dossier.version + 1))
            return refresh(instance, **kwargs)

        monkeypatch.setattr(engine, "refresh_timers", someone_saves_meanwhile)
        with pytest.raises(dossiers.Conflict):
            timer_jobs.fire(dossier_id=dossier_id)
        db.session.rollback()
        assert timers.get(dossier_id=dossier_id) is not None  # still due: the retry will find it
        monkeypatch.setattr(engine, "refresh_timers", refresh)
        assert timer_jobs.fire(dossier_id=dossier_id) is True
    assert ready_elements(app, dossier_id) == ["xem_ket_qua"]
    assert _fired(app, dossier_id) == 1


def test_a_copy_that_read_the_schedule_before_the_timer_fired_changes_nothing(
        api: Api, app: Flask, hen_gio: None) -> None:
    """Two copies of the fire job: the second read the schedule row while it was still due, but reads
    the dossier after the first committed. It finds no timer due in the state and records nothing."""
    from webapp.dossiers import service as dossiers

    fire_at = datetime.now(UTC) + timedelta(seconds=1)
    dossier = submit_waiting_until(api, fire_at)
    dossier_id, _ = _dossier(app, dossier["code"])
    _wait_until(fire_at)
    with app.app_context():
        assert timer_jobs.fire(dossier_id=dossier_id) is True
    with app.app_context():  # the late copy, past its own check of the schedule row
        late = db.session.get(Dossier, dossier_id)
        version = late.version
        assert dossiers.fire_timers(late) is False
        db.session.commit()
        assert db.session.get(Dossier, dossier_id).version == version  # not even saved again
    assert _fired(app, dossier_id) == 1
    assert ready_elements(app, dossier_id) == ["xem_ket_qua"]
