"""Two real Celery workers and two beat processes on one database: every due timer fires exactly once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tests.conftest import REPO
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import Workers, count, gateway, jobs_app, wait_for, workers  # noqa: F401
from tests.webapp.timers_support import publish_hen_gio, ready_elements, submit_waiting_until
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier, StepRecord
from webapp.extensions import db
from webapp.outbox import service as jobs
from webapp.outbox.models import OutboxMessage
from webapp.timers.models import TimerDue

DOSSIERS = 6


def test_each_due_timer_fires_exactly_once(jobs_app: Flask, seeded: dict, workers: Workers,  # noqa: F811
                                           tmp_path: Path) -> None:
    publish_hen_gio(jobs_app)
    api = Api(jobs_app.test_client(), seeded)
    fire_at = datetime.now(UTC) + timedelta(seconds=2)
    codes = [submit_waiting_until(api, fire_at)["code"] for _ in range(DOSSIERS)]
    with jobs_app.app_context():
        ids = list(db.session.scalars(sa.select(Dossier.id).where(Dossier.code.in_(codes))))
        assert len(ids) == DOSSIERS
        # Duplicates on purpose: a fire job for half the dossiers already in the outbox, as if a
        # lease had run out, racing the beats' own claims. The other half only beat can fire.
        for dossier_id in ids[:DOSSIERS // 2]:
            jobs.enqueue("timers.fire", dossier_id=dossier_id)
        db.session.commit()
    workers.env["MOTCUA_TIMER_POLL_SECONDS"] = "1"
    first, second = workers.start(), workers.start()
    beats = []
    try:
        for n in (1, 2):
            with workers.log.open("ab") as output:
                beats.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "tests.webapp.gateway_worker", "beat", "--loglevel",
                     "WARNING", "-s", str(tmp_path / f"beat-{n}")], env=workers.env, cwd=REPO, stdout=output,
                    stderr=subprocess.STDOUT))
        wait_for(lambda: all(ready_elements(jobs_app, i) == ["xem_ket_qua"] for i in ids), "every timer to fire",
                 timeout=120, alive=first)
        # Quiet: nothing left on the schedule and every job (the duplicates too) finished.
        wait_for(lambda: count(jobs_app, TimerDue) == 0 and count(
            jobs_app, OutboxMessage, OutboxMessage.job == "timers.fire", OutboxMessage.completed_at.is_(None)) == 0,
            "the fire jobs to finish", timeout=120, alive=second)
        assert all(b.poll() is None for b in beats), "a beat died"
    finally:
        for process in beats:
            process.terminate()
        for process in beats:
            process.wait(timeout=30)
    for dossier_id in ids:
        assert count(jobs_app, AuditEntry, AuditEntry.action == "dossier.timer_fired",
                     AuditEntry.dossier_id == dossier_id) == 1
        assert count(jobs_app, StepRecord, StepRecord.dossier_id == dossier_id, StepRecord.kind == "status",
                     StepRecord.status == 9) == 1
    with jobs_app.app_context():
        fired_for = [m.payload["dossier_id"] for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.job == "timers.fire"))]
    assert set(ids[DOSSIERS // 2:]) <= set(fired_for)  # claimed by a beat
