"""Real Celery worker processes with a steerable SMS gateway, for the job tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import REPO
from webapp import create_app
from webapp.extensions import db

REDIS_URL = os.environ.get("MOTCUA_TEST_REDIS_URL")


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60,
             alive: subprocess.Popen[bytes] | None = None) -> Any:
    """Poll until ``condition()`` is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if alive is not None:
            assert alive.poll() is None, "the worker died"
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def count(app: Flask, model: type, *where: object) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


class Gateway:
    """The folder the worker's SMS gateway double reads its mode from and logs to."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.set("ok")

    def set(self, mode: str, *, hold: bool = False) -> None:
        (self.folder / "mode").write_text(mode)
        (self.folder / "hold").touch() if hold else (self.folder / "hold").unlink(missing_ok=True)
        (self.folder / "calling").unlink(missing_ok=True)

    def release(self) -> None:
        (self.folder / "hold").unlink(missing_ok=True)

    @property
    def calling(self) -> bool:
        return (self.folder / "calling").exists()

    def received(self) -> list[str]:
        log = self.folder / "received.log"
        return log.read_text("utf-8").splitlines() if log.exists() else []


def purge_broker(app: Flask) -> None:
    """Drop what the broker holds, in this process (a ``celery purge`` process takes seconds to start).
    First wait for this process's hand-over thread: an earlier test's jobs it is still sending would
    otherwise reach the broker after the purge, and ids start again at 1 in every test."""
    from webapp.outbox.handover import hand_over

    assert hand_over.wait(), "the hand-over thread did not finish sending"
    with app.app_context():
        app.extensions["celery"].control.purge()


class Workers:
    """Starts real worker processes on the test app's database and broker; stops them all at the end."""

    def __init__(self, app: Flask, gateway: Gateway):
        self.app = app
        settings = app.config["MOTCUA_SETTINGS"]
        self.env = {"PATH": "/usr/bin:/bin", "MOTCUA_DATA_DIR": str(settings.data_dir),
                    "MOTCUA_SECRET_KEY": settings.secret_key,  # the workers build their app from the environment
                    "MOTCUA_DATABASE_URL": settings.sqlalchemy_url, "MOTCUA_BROKER_URL": settings.broker_url,
                    "MOTCUA_TEST_GATEWAY": str(gateway.folder), "MOTCUA_TEST_POST": str(post_folder(gateway))}
        self.log = Path(settings.data_dir) / "gateway-worker.log"
        self.processes: list[subprocess.Popen[bytes]] = []

    def purge(self) -> None:
        purge_broker(self.app)

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "tests.webapp.gateway_worker", "worker", "--pool", "solo",
                 "--loglevel", "WARNING", "--without-mingle", "--without-gossip", "--without-heartbeat"],
                env=self.env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        running = [process for process in self.processes if process.poll() is None]
        for process in running:  # all at once: each warm shutdown takes seconds
            process.terminate()
        for process in running:
            process.wait(timeout=30)


def post_folder(gateway: Gateway) -> Path:
    """Where the workers' steered post office lives (see tests/webapp/gateway_worker.py)."""
    return gateway.folder.parent / "post"


@pytest.fixture(params=["sqlite-broker", "redis"])
def jobs_app(request: pytest.FixtureRequest, app: Flask, seeded: dict) -> Iterator[Flask]:
    """An app on the test database with a short job lease (a killed worker's job comes back in
    2 s, not 10 min), on the embedded SQLite-file broker or on a real Redis (CI provides one)."""
    settings = replace(app.config["MOTCUA_SETTINGS"], job_lease_seconds=2.0)
    if request.param == "redis":
        if not REDIS_URL:
            if os.environ.get("MOTCUA_REQUIRE_REDIS") == "1":
                pytest.fail("MOTCUA_TEST_REDIS_URL is not set")
            pytest.skip("no Redis (set MOTCUA_TEST_REDIS_URL=redis://127.0.0.1:6379/15)")
        settings = replace(settings, broker=REDIS_URL)
    jobs = create_app({"TESTING": True}, settings=settings)
    yield jobs
    with jobs.app_context():
        db.engine.dispose()


@pytest.fixture()
def gateway(tmp_path: Path) -> Gateway:
    return Gateway(tmp_path / "gateway")


@pytest.fixture()
def workers(jobs_app: Flask, gateway: Gateway) -> Iterator[Workers]:
    pool = Workers(jobs_app, gateway)
    pool.purge()  # messages other tests relayed would otherwise reach these workers
    yield pool
    pool.stop_all()


def sign_in(client: Any, username: str) -> str:
    """Sign an officer in on the workspace; returns the session's CSRF token."""
    from webapp.demo import DEMO_PASSWORD

    def token() -> str:
        page = client.get("/can-bo/dang-nhap").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        return match.group(1)

    response = client.post("/can-bo/dang-nhap", data={"csrf_token": token(), "username": username,
                                                      "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return token()


def run_outbox_jobs(app: Flask, job: str, run: Callable[..., str], *, limit: int = 50) -> list[str]:
    """What a worker does with the ``job`` rows in the outbox, here and in order (including rows
    the jobs add), a retry at once instead of after its backoff; returns what each run returned."""
    from webapp.connectors.attempts import CallLater
    from webapp.outbox.models import OutboxMessage
    from webapp.outbox.service import mark_completed

    states: list[str] = []
    with app.app_context():
        for _ in range(limit):
            row = db.session.scalar(sa.select(OutboxMessage).where(
                OutboxMessage.job == job, OutboxMessage.completed_at.is_(None)).order_by(OutboxMessage.id))
            if row is None:
                return states
            outbox_id, payload = row.id, dict(row.payload)
            for _try in range(20):
                try:
                    states.append(run(**payload))
                    break
                except CallLater:
                    continue
            mark_completed(outbox_id)
    raise AssertionError(f"{job} jobs keep coming")


def run_connector_jobs(app: Flask) -> list[str]:
    """The ``connector.call`` jobs waiting in the outbox; returns the state each call ended in."""
    from webapp.connectors import calls

    return run_outbox_jobs(app, "connector.call", calls.run)
