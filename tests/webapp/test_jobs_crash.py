"""SIGKILL a worker in the middle of a connector call, and a relay in the middle of a batch:
after a restart every job completes, every SMS is sent once, and every parcel is booked once.

What "once" means here. The outbox row is the source of truth: a job stays open until its
worker records the end, and the relay sends an open job again when its lease runs out (the
embedded broker never redelivers a message its dead consumer fetched; Redis does only after
an hour). The job then finds what is already done. So:
- killed while the request to the gateway is in flight: the gateway receives the SMS once;
- killed after the gateway accepted the SMS but before the job recorded it: the notification
  row is still sent once, but the gateway receives the SMS twice, because the SMS connector
  has no idempotency key the gateway could deduplicate on (at-least-once for that window);
- the same two windows for a service task's call (booking the post for a result): in flight,
  the carrier receives one booking; accepted but unrecorded, it receives the booking twice and
  books one parcel, because the booking carries the dossier code as the carrier's order code.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import sqlalchemy as sa
from flask import Flask

from fakes.post import POST_FILE
from tests.conftest import DATA, REPO
from tests.webapp import jobs_support
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import Gateway, Workers, count, post_folder, wait_for
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import ConnectorCallRecord, Dossier
from webapp.extensions import db
from webapp.notifications.models import Notification
from webapp.outbox.models import FailedJob, OutboxMessage
from webapp.outbox.service import relay

jobs_app, gateway, workers = jobs_support.jobs_app, jobs_support.gateway, jobs_support.workers  # fixtures
DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


def _submit(app: Flask, seeded: dict, n: int = 1) -> list[str]:
    api = Api(app.test_client(), seeded)
    codes = []
    for _ in range(n):
        status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
        assert status == 201
        codes.append(dossier["code"])
    return codes


def _relay_until_done(app: Flask, worker: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """What beat does every 5 s, done here every 0.3 s until every job has ended; none may have failed."""
    def open_jobs() -> list[str]:
        with app.app_context():
            relay()
            return list(db.session.scalars(sa.select(OutboxMessage.job).where(OutboxMessage.completed_at.is_(None))))
    try:
        wait_for(lambda: not open_jobs(), "every job to complete", timeout, alive=worker)
    finally:
        with app.app_context():
            failed = db.session.execute(sa.select(FailedJob.job, FailedJob.error_class, FailedJob.error_message)).all()
        assert failed == [], f"failed jobs: {failed}; still open: {open_jobs()}"


def _sms_states(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(n.channel, n.state) for n in db.session.scalars(sa.select(Notification).order_by(Notification.id))]


def test_a_worker_killed_while_the_sms_is_in_flight_sends_it_once(
        jobs_app: Flask, seeded: dict, gateway: Gateway, workers: Workers) -> None:
    gateway.set("hold-before", hold=True)
    first = workers.start()
    code, = _submit(jobs_app, seeded)
    wait_for(lambda: gateway.calling, "the worker to call the gateway", alive=first)
    workers.kill(first)
    assert gateway.received() == []  # the request never arrived
    assert count(jobs_app, Notification, Notification.state == "sent") == 0  # nothing was committed

    gateway.release()
    second = workers.start()
    _relay_until_done(jobs_app, second)
    received = gateway.received()
    assert len(received) == 1 and code in received[0]
    assert _sms_states(jobs_app) == [("portal", "sent"), ("sms", "sent")]


def test_a_worker_killed_after_the_gateway_accepted_keeps_one_notification(
        jobs_app: Flask, seeded: dict, gateway: Gateway, workers: Workers) -> None:
    gateway.set("hold-after", hold=True)
    first = workers.start()
    code, = _submit(jobs_app, seeded)
    wait_for(lambda: gateway.received(), "the gateway to accept the SMS", alive=first)
    workers.kill(first)

    gateway.set("ok")
    second = workers.start()
    _relay_until_done(jobs_app, second)
    assert _sms_states(jobs_app) == [("portal", "sent"), ("sms", "sent")]  # one row per channel, sent once
    # The documented at-least-once window: the gateway got it before the kill and again after.
    assert [code in line for line in gateway.received()] == [True, True]


def test_a_relay_killed_half_way_through_a_batch_loses_and_duplicates_nothing(
        jobs_app: Flask, seeded: dict, gateway: Gateway, workers: Workers, tmp_path) -> None:  # noqa: ANN001
    codes = _submit(jobs_app, seeded, n=5)
    # The state a crash between commit and enqueue leaves: committed rows the broker never got.
    workers.purge()
    with jobs_app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(dispatched_at=None, lease_until=None))
        db.session.commit()

    progress = tmp_path / "relayed"
    progress.touch()
    relay_process = subprocess.Popen([sys.executable, "-m", "tests.webapp.slow_relay", str(progress)],
                                     env=workers.env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(progress.read_text().split()) >= 2, "the relay to hand over two messages")
    finally:
        relay_process.send_signal(signal.SIGKILL)
        relay_process.wait(timeout=30)
    handed_over = len(progress.read_text().split())
    assert 2 <= handed_over < 10  # killed half-way through 5 notifications and 5 national portal syncs
    # The relay died before its commit: as far as the outbox knows, nothing was sent.
    assert count(jobs_app, OutboxMessage, OutboxMessage.dispatched_at.is_(None)) == 10

    worker = workers.start()
    _relay_until_done(jobs_app, worker)
    received = gateway.received()
    assert sorted(received) == sorted(line for code in codes for line in received if code in line)
    assert sorted(next(c for c in codes if c in line) for line in received) == sorted(codes)  # each exactly once
    assert _sms_states(jobs_app) == [("portal", "sent"), ("sms", "sent")] * 5


# --- a service task's connector call (the post books the result's parcel) ---------------------

CRIMINAL_RECORD = "cap-phieu-ly-lich-tu-phap"


def _criminal_record_sample(name: str) -> dict:
    return json.loads((DATA / "samples" / CRIMINAL_RECORD / f"{name}.json").read_text("utf-8"))


def _officer_does(api: Api, code: str, element_id: str) -> None:
    sample = {"tiep_nhan_ho_so": "tiep-nhan", "lap_phieu": "lap-phieu", "ky_phieu": "ky-phieu"}[element_id]
    (item,) = [i for i in api.get("/worklist", "sotuphap")[1]["items"]
               if i["dossier"] == code and i["element_id"] == element_id]
    assert api.post(f"/work-items/{item['id']}/claim", "sotuphap")[0] == 200
    status, body = api.post(f"/work-items/{item['id']}/complete", "sotuphap",
                            json={"data": _criminal_record_sample(sample)})
    assert status == 200, body


def _signed_and_waiting_for_the_post(app: Flask, seeded: dict, worker: subprocess.Popen[bytes]) -> str:
    """A request for the result by post, signed: the booking call is what the worker does next."""
    api = Api(app.test_client(), seeded)
    declaration = {**_criminal_record_sample("to-khai"), "nhan_ket_qua": {
        "hinh_thuc": "buu_chinh", "so_dien_thoai": "0912345678",
        "dia_chi_nhan": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                         "dia_chi_chi_tiet": "Số 8, đường Hùng Vương"}}}
    status, dossier = api.post("/dossiers", "an", json={"procedure": CRIMINAL_RECORD, "data": declaration,
                                                        "unit": "H41.15"})
    assert status == 201, dossier
    code = dossier["code"]
    _officer_does(api, code, "tiep_nhan_ho_so")  # the worker verifies with the judicial record database
    wait_for(lambda: count(app, ConnectorCallRecord, ConnectorCallRecord.state == "applied") == 1,
             "the verification call to be applied", alive=worker)
    _officer_does(api, code, "lap_phieu")
    _officer_does(api, code, "ky_phieu")
    return code


def _booked_once(app: Flask, code: str, post: Gateway) -> None:
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        booking = db.session.scalar(sa.select(ConnectorCallRecord).where(
            ConnectorCallRecord.dossier_id == dossier.id, ConnectorCallRecord.element_id == "gui_buu_chinh"))
        answered = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "dossier.connector_answered", AuditEntry.object_id == code))
        parcels = json.loads((post.folder / POST_FILE).read_text("utf-8"))
        assert dossier.status == 10 and dossier.finished_at is not None
        assert list(parcels["by_dossier"]) == [code]  # one parcel
        assert dossier.tracking_number == parcels["by_dossier"][code]
        assert (booking.state, booking.attempts) == ("applied", 2)  # the killed call counted
        assert answered == 2  # verification and booking, each applied once


def test_a_worker_killed_while_booking_the_post_books_one_parcel(
        jobs_app: Flask, seeded: dict, gateway: Gateway, workers: Workers) -> None:
    post = Gateway(post_folder(gateway))
    post.set("hold-before", hold=True)
    first = workers.start()
    code = _signed_and_waiting_for_the_post(jobs_app, seeded, first)
    wait_for(lambda: post.calling, "the worker to call the post", alive=first)
    workers.kill(first)
    assert post.received() == []  # the request never arrived

    post.release()
    second = workers.start()
    _relay_until_done(jobs_app, second)
    assert post.received() == [code]  # received once
    _booked_once(jobs_app, code, post)


def test_a_worker_killed_after_the_post_accepted_the_booking_books_one_parcel(
        jobs_app: Flask, seeded: dict, gateway: Gateway, workers: Workers) -> None:
    post = Gateway(post_folder(gateway))
    post.set("hold-after", hold=True)
    first = workers.start()
    code = _signed_and_waiting_for_the_post(jobs_app, seeded, first)
    wait_for(lambda: post.received(), "the post to accept the booking", alive=first)
    workers.kill(first)

    post.set("ok")
    second = workers.start()
    _relay_until_done(jobs_app, second)
    assert post.received() == [code, code]  # asked twice (the worker died before recording the answer)
    _booked_once(jobs_app, code, post)  # ... and booked once, on the dossier code
