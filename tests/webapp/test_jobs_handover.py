"""How jobs reach the broker and how their end is recorded, cheaply: a request's jobs are sent
by the hand-over thread after the response, the relay sends a batch at once, and a worker
writes its "done" marks together. None of it may lose a job."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import DATA
from tests.webapp.conftest import Api
from webapp.extensions import db
from webapp.outbox import marks
from webapp.outbox.handover import hand_over
from webapp.outbox.marks import done_marks
from webapp.outbox.models import OutboxMessage
from webapp.outbox.service import enqueue, relay

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


class Broker:
    """Stands in for ``celery.send_task``: records what was sent and from which thread, or refuses."""

    def __init__(self, refuse_after: int | None = None):
        self.sent: list[tuple[int, str]] = []
        self.refuse_after = refuse_after

    def __call__(self, job: str, *, kwargs: dict[str, Any], **_: Any) -> None:
        if self.refuse_after is not None and len(self.sent) >= self.refuse_after:
            raise ConnectionError("broker unreachable")
        self.sent.append((kwargs["outbox_id"], threading.current_thread().name))


def _rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _probes(app: Flask, n: int) -> list[int]:
    with app.app_context():
        rows = [enqueue("jobs.probe") for _ in range(n)]  # outside a request: left to the relay
        db.session.commit()
        return [row.id for row in rows]


def test_a_request_s_jobs_are_sent_by_the_hand_over_thread_once_committed(
        api: Api, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    broker = Broker()
    monkeypatch.setattr(app.extensions["celery"], "send_task", broker)
    status, _ = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    assert hand_over.wait(10)
    rows = _rows(app)
    assert rows and all(row.dispatched_at is not None and row.dispatches == 1 for row in rows)
    assert broker.sent == [(row.id, "motcua-hand-over") for row in rows]  # not in the request's thread


def test_jobs_the_broker_refuses_after_a_request_go_back_to_the_relay(
        api: Api, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    celery = app.extensions["celery"]
    monkeypatch.setattr(celery, "send_task", Broker(refuse_after=0))
    status, _ = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201  # the change is kept; only the send is put off
    assert hand_over.wait(10)
    rows = _rows(app)
    assert rows and all(row.dispatched_at is None for row in rows)

    broker = Broker()
    monkeypatch.setattr(celery, "send_task", broker)
    with app.app_context():
        assert relay() == len(rows)
    assert sorted(outbox_id for outbox_id, _ in broker.sent) == [row.id for row in rows]


def test_a_relay_batch_the_broker_refuses_half_way_is_sent_again_whole(
        app: Flask, seeded: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _probes(app, 3)
    celery = app.extensions["celery"]
    monkeypatch.setattr(celery, "send_task", Broker(refuse_after=1))
    with app.app_context(), pytest.raises(ConnectionError):
        relay()
    assert [row.dispatched_at for row in _rows(app)] == [None, None, None]  # delivery uncertain: none marked

    broker = Broker()
    monkeypatch.setattr(celery, "send_task", broker)
    with app.app_context():
        assert relay() == 3
    assert [outbox_id for outbox_id, _ in broker.sent] == ids
    assert [(row.dispatches, row.lease_until is not None) for row in _rows(app)] == [(1, True)] * 3


def test_a_worker_s_done_marks_are_written_in_one_transaction(
        app: Flask, seeded: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _probes(app, 3)
    monkeypatch.setattr(marks, "FLUSH_AFTER", 60.0)  # only the explicit flush below writes
    commits: list[int] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn: commits.append(1)  # noqa: E731

    sa.event.listen(engine, "commit", listener)
    try:
        for outbox_id in ids:
            done_marks.add(app, outbox_id)
        assert [row.completed_at for row in _rows(app)] == [None, None, None]  # waiting, not lost
        done_marks.flush(app)
    finally:
        sa.event.remove(engine, "commit", listener)
    assert len(commits) == 1
    assert all(row.completed_at is not None and row.dispatched_at is not None for row in _rows(app))


def test_a_done_mark_is_written_soon_without_waiting_for_more_jobs(app: Flask, seeded: dict) -> None:
    [outbox_id] = _probes(app, 1)
    done_marks.add(app, outbox_id)
    _wait_for(lambda: _rows(app)[0].completed_at is not None, "the mark to be written by the timer")
