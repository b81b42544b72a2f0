"""Operating background jobs: failed jobs an administrator can send again, Prometheus metrics,
worker health. With real worker processes on the test database."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import sqlalchemy as sa
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import DATA
from tests.webapp import jobs_support
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import Gateway, Workers, count, sign_in, wait_for
from webapp import create_app
from webapp.audit.models import AuditEntry
from webapp.cli import build_parser, cmd_jobs
from webapp.extensions import db
from webapp.notifications.models import Notification
from webapp.outbox.failures import redact
from webapp.outbox.models import FailedJob, OutboxMessage
from webapp.outbox.service import relay

jobs_app, gateway, workers = jobs_support.jobs_app, jobs_support.gateway, jobs_support.workers  # fixtures
DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
PAGE = "/can-bo/quan-tri/cong-viec-loi"


def _metrics(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def test_error_messages_lose_phone_and_identity_numbers() -> None:
    assert redact("timeout sending to 0912345678 for 001090000001") == "timeout sending to … for …"
    assert redact("no mailbox an.nguyen@example.vn") == "no mailbox …"
    assert redact("HTTP 503 from gateway") == "HTTP 503 from gateway"


def test_a_job_that_fails_for_good_is_listed_retried_by_an_admin_and_resolved(
        jobs_app: Flask, seeded: dict, gateway: Gateway, workers: Workers) -> None:
    gateway.set("fail")
    worker = workers.start()
    status, dossier = Api(jobs_app.test_client(), seeded).post(
        "/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    wait_for(lambda: count(jobs_app, FailedJob), "the failure to be recorded", alive=worker)
    with jobs_app.app_context():
        failed = db.session.scalar(sa.select(FailedJob))
        outbox = db.session.get(OutboxMessage, failed.outbox_id)
        assert (failed.job, failed.state, failed.attempts, failed.error_class) == (
            "notify.status_changed", "failed", 1, "RuntimeError")
        assert failed.error_message == "gateway misconfigured while sending to …"  # no phone number kept
        assert failed.payload == {"dossier_id": outbox.payload["dossier_id"], "status": 1}
        assert outbox.failed_at is not None and outbox.completed_at is None
        failed_id = failed.id

    # Not an administrator: no page, no retry.
    desk = jobs_app.test_client()
    csrf = sign_in(desk, "tiepnhan")
    assert desk.get(PAGE).status_code == 403
    assert desk.post(f"{PAGE}/{failed_id}/thu-lai", data={"csrf_token": csrf}).status_code == 403

    admin = jobs_app.test_client()
    csrf = sign_in(admin, "quantri")
    page = admin.get(PAGE).get_data(as_text=True)
    assert "notify.status_changed" in page and "RuntimeError" in page and "Thử lại" in page
    assert count(jobs_app, Notification, Notification.channel == "sms", Notification.state == "sent") == 0
    assert count(jobs_app, Notification, Notification.state == "pending") == 0  # given up: failed, not pending

    gateway.set("ok")  # the administrator fixed the gateway, then presses "Thử lại"
    response = admin.post(f"{PAGE}/{failed_id}/thu-lai", data={"csrf_token": csrf})
    assert response.status_code == 302
    wait_for(lambda: count(jobs_app, FailedJob, FailedJob.state == "resolved"), "the retried job to succeed",
             alive=worker)
    assert [dossier["code"] in line for line in gateway.received()] == [True]
    assert count(jobs_app, Notification, Notification.state == "sent") == 2  # portal once, SMS once
    assert count(jobs_app, AuditEntry, AuditEntry.action == "job.retried",
                 AuditEntry.object_id == str(failed_id)) == 1
    # Retrying something already retried changes nothing.
    admin.post(f"{PAGE}/{failed_id}/thu-lai", data={"csrf_token": csrf})
    assert count(jobs_app, AuditEntry, AuditEntry.action == "job.retried") == 1
    assert "Không có công việc nào" in admin.get(PAGE).get_data(as_text=True)

    # The workers' counters reach /metrics (they write them within a second).
    job = (("job", "notify.status_changed"),)
    values = wait_for(lambda: (m := _metrics(jobs_app)).get(("motcua_jobs_run_total", job)) == 2 and m,
                      "the job counters in /metrics", alive=worker)
    assert values[("motcua_jobs_failed_total", job)] == 1
    assert values[("motcua_job_latency_seconds_count", job)] == 2
    assert values[("motcua_failed_jobs", (("state", "resolved"),))] == 1
    assert values[("motcua_notifications", (("channel", "sms"), ("state", "sent")))] == 1
    assert values[("motcua_jobs_queued", (("stage", "outbox"),))] == 0
    assert values[("motcua_jobs_oldest_open_seconds", ())] == 0


def test_metrics_count_the_backlog_and_can_require_a_token(app: Flask, seeded: dict) -> None:
    with app.app_context():
        for status in (1, 2, 4):
            db.session.add(OutboxMessage(job="notify.status_changed", payload={"dossier_id": 0, "status": status}))
        db.session.commit()
    values = _metrics(app)
    assert values[("motcua_jobs_queued", (("stage", "outbox"),))] == 3
    assert values[("motcua_jobs_oldest_open_seconds", ())] >= 0
    assert values[("motcua_failed_jobs", (("state", "failed"),))] == 0

    guarded = create_app({"TESTING": True}, settings=replace(app.config["MOTCUA_SETTINGS"], metrics_token="s3cret"))
    try:
        client = guarded.test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    finally:
        with guarded.app_context():
            db.engine.dispose()


def test_web_health_reaches_the_database(client) -> None:  # noqa: ANN001
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


def test_worker_health_probes_the_whole_path(jobs_app: Flask, seeded: dict, workers: Workers,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["jobs", "health", "--timeout", "1"])
    assert cmd_jobs(jobs_app, args) == 1  # no worker yet
    assert "probe: FAILED" in capsys.readouterr().out

    worker = workers.start()
    args = build_parser().parse_args(["jobs", "health", "--timeout", "60"])
    assert cmd_jobs(jobs_app, args) == 0
    out = capsys.readouterr().out
    assert "probe: OK" in out and "outbox: " in out
    assert worker.poll() is None
    with jobs_app.app_context():
        relay()  # nothing left behind: the first probe was finished by the worker too
    wait_for(lambda: count(jobs_app, OutboxMessage, OutboxMessage.completed_at.is_(None)) == 0,
             "the first probe to complete", alive=worker)


def test_a_job_no_worker_ever_finishes_is_given_up_after_a_few_hand_overs(app: Flask, seeded: dict) -> None:
    from datetime import timedelta

    from webapp.models import utcnow
    from webapp.outbox.service import MAX_DISPATCHES

    with app.app_context():
        app.extensions["celery"].control.purge()
        long_ago = utcnow() - timedelta(hours=1)
        row = OutboxMessage(job="jobs.probe", payload={}, dispatched_at=long_ago, lease_until=long_ago,
                            dispatches=MAX_DISPATCHES - 1)
        db.session.add(row)
        db.session.commit()
        assert relay() == 1  # handed over once more: its last chance
        db.session.execute(sa.update(OutboxMessage).values(lease_until=long_ago))
        db.session.commit()
        assert relay() == 0  # its worker died again: given up, recorded, not sent
        failed = db.session.scalar(sa.select(FailedJob))
        assert (failed.outbox_id, failed.error_class, failed.attempts) == (row.id, "JobAbandoned", MAX_DISPATCHES)
        assert db.session.get(OutboxMessage, row.id).failed_at is not None
        app.extensions["celery"].control.purge()


def test_giving_up_marks_the_channels_still_waiting_as_failed(app: Flask, api: Api) -> None:
    from webapp.outbox.failures import record_failure

    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    with app.app_context():
        outbox = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
        dossier_id, applicant = outbox.payload["dossier_id"], db.session.scalar(
            sa.select(AuditEntry.actor_id).where(AuditEntry.action == "dossier.submitted"))
        for channel, state in (("portal", "sent"), ("sms", "pending")):
            db.session.add(Notification(outbox_id=outbox.id, dossier_id=dossier_id, account_id=applicant,
                                        channel=channel, body="x", state=state))
        db.session.commit()
        record_failure(outbox_id=outbox.id, job="notify.status_changed", error=TimeoutError("gateway 0912345678"),
                       attempts=8)
        db.session.commit()
        states = dict(db.session.execute(sa.select(Notification.channel, Notification.state)).all())
        assert states == {"portal": "sent", "sms": "failed"}
        error = db.session.scalar(sa.select(Notification.error).where(Notification.channel == "sms"))
        assert "0912345678" not in error
