"""Background jobs: the transactional outbox, a real Celery worker, notifications sent once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from engine.connectors import ConnectorError
from tests.conftest import DATA, REPO
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import purge_broker
from webapp import create_app
from webapp.extensions import db
from webapp.notifications.models import Notification
from webapp.outbox.models import OutboxMessage

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


def _count(app: Flask, model: type, *where: object) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_a_rolled_back_change_enqueues_nothing(api: Api, app: Flask) -> None:
    before = _count(app, OutboxMessage)
    status, _ = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": {"tre_em": {}}})
    assert status == 422
    assert _count(app, OutboxMessage) == before


def test_each_status_change_is_one_outbox_row(api: Api, app: Flask) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    item = dossier["current_steps"][0]["id"]
    api.post(f"/work-items/{item}/complete", "tiepnhan", json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    payloads = [m.payload for m in rows if m.job == "notify.status_changed"]
    assert [p["status"] for p in payloads] == [1, 2, 4]
    assert all(set(p) == {"dossier_id", "status"} for p in payloads)  # ids only, no personal data
    # Each change also brings the national portal up to date, by the dossier's id only.
    assert [m.payload for m in rows if m.job == "portal.sync"] == [{"dossier_id": payloads[0]["dossier_id"]}] * 3


def test_the_job_sends_each_message_once_even_when_run_twice(api: Api, app: Flask) -> None:
    from webapp.notifications.jobs import status_changed

    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    with app.app_context():
        row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.job == "notify.status_changed")
                                .order_by(OutboxMessage.id.desc()))
        sms = app.extensions["motcua_engine"].connectors.get("sms.gui")
        sent_before = len(sms.sent)
        first = status_changed(outbox_id=row.id, **row.payload)
        again = status_changed(outbox_id=row.id, **row.payload)
        assert [n.channel for n in first] == ["portal", "sms"] and [n.id for n in again] == [n.id for n in first]
        assert len(sms.sent) == sent_before + 1
        assert sms.sent[-1]["noi_dung"].startswith(f"Hồ sơ {dossier['code']}: Mới đăng ký")
        assert "Trần" not in sms.sent[-1]["noi_dung"]  # no names in an SMS


def test_a_retryable_gateway_failure_is_retried_then_sent(api: Api, app: Flask) -> None:
    from webapp.notifications.jobs import status_changed

    api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    with app.app_context():
        row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.job == "notify.status_changed")
                                .order_by(OutboxMessage.id.desc()))
        sms = app.extensions["motcua_engine"].connectors.get("sms.gui")
        sms.fail_next.append(ConnectorError("gateway timeout", retryable=True))
        with pytest.raises(ConnectorError):
            status_changed(outbox_id=row.id, **row.payload)
        states = {n.channel: n.state for n in db.session.scalars(
            sa.select(Notification).where(Notification.outbox_id == row.id))}
        assert states == {"portal": "sent", "sms": "pending"}
        status_changed(outbox_id=row.id, **row.payload)  # the retry
        assert {n.state for n in db.session.scalars(
            sa.select(Notification).where(Notification.outbox_id == row.id))} == {"sent"}


REDIS_URL = os.environ.get("MOTCUA_TEST_REDIS_URL")


@pytest.fixture(params=["sqlite-broker", "redis"])
def broker_app(request: pytest.FixtureRequest, app: Flask, seeded: dict) -> Iterator[Flask]:
    """The test app, on the embedded SQLite-file broker or on a real Redis (CI provides one)."""
    if request.param == "sqlite-broker":
        yield app
        return
    if not REDIS_URL:
        if os.environ.get("MOTCUA_REQUIRE_REDIS") == "1":
            pytest.fail("MOTCUA_TEST_REDIS_URL is not set")
        pytest.skip("no Redis (set MOTCUA_TEST_REDIS_URL=redis://127.0.0.1:6379/15)")
    settings = replace(app.config["MOTCUA_SETTINGS"], broker=REDIS_URL)
    redis_app = create_app({"TESTING": True}, settings=settings)
    yield redis_app
    # A second app has its own connection pool: close it, or PostgreSQL connections leak.
    with redis_app.app_context():
        db.engine.dispose()


@pytest.fixture()
def worker(broker_app: Flask) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the same database and broker as the test app."""
    settings = broker_app.config["MOTCUA_SETTINGS"]
    env = {"PATH": "/usr/bin:/bin", "MOTCUA_DATA_DIR": str(settings.data_dir), "MOTCUA_SECRET_KEY": settings.secret_key,
           "MOTCUA_DATABASE_URL": settings.sqlalchemy_url, "MOTCUA_BROKER_URL": settings.broker_url}
    log = Path(settings.data_dir) / "worker.log"
    # Messages other tests relayed would otherwise reach this worker.
    purge_broker(broker_app)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "webapp.worker", "worker", "--pool", "solo", "--loglevel",
             "WARNING", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_a_real_worker_delivers_the_notifications(broker_app: Flask, seeded: dict, app: Flask,
                                                  worker: subprocess.Popen[bytes]) -> None:
    api = Api(broker_app.test_client(), seeded)
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _count(app, Notification, Notification.state == "sent") >= 2:
            break
        assert worker.poll() is None, "the worker died"
        time.sleep(0.3)
    with app.app_context():
        notes = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
        assert [(n.channel, n.state) for n in notes] == [("portal", "sent"), ("sms", "sent")]
        assert all(dossier["code"] in n.body for n in notes)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dispatched_at.is_(None))) == 0
