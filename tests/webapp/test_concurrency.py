"""Real threads against the real database: one winner, the rest 409, nothing lost or doubled."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import DATA
from tests.webapp.conftest import Api
from webapp.dossiers.models import Dossier, StepRecord, WorkItem
from webapp.extensions import db

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


def run_together(count: int, action: Callable[[Api], Any], app: Flask, tokens: dict[str, str]) -> list[Any]:
    """Start ``count`` threads that all call ``action`` at the same moment."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        api = Api(app.test_client(), tokens)
        try:
            barrier.wait(timeout=30)
            results[index] = action(api)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_two_officers_completing_the_same_step_one_wins(api: Api, app: Flask, seeded: dict[str, str]) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    item = dossier["current_steps"][0]["id"]

    def complete(client: Api) -> int:
        return client.post(f"/work-items/{item}/complete", "tiepnhan",
                           json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})[0]

    statuses = run_together(2, complete, app, seeded)
    assert sorted(statuses) == [200, 409]
    # Consistent: advanced exactly once.
    final = api.get(f"/dossiers/{dossier['code']}", "an")[1]
    assert final["status"] == 4 and final["version"] > dossier["version"]
    assert [s["element_id"] for s in final["current_steps"]] == ["tham_dinh_xu_ly"]
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == dossier["code"]))
        completed = db.session.scalar(sa.select(sa.func.count()).select_from(StepRecord).where(
            StepRecord.dossier_id == dossier_id, StepRecord.kind == "completed"))
        ready = db.session.scalar(sa.select(sa.func.count()).select_from(WorkItem).where(
            WorkItem.dossier_id == dossier_id, WorkItem.state == "ready"))
    assert completed == 1 and ready == 1


def test_ten_submissions_with_one_idempotency_key_make_one_dossier(api: Api, app: Flask,
                                                                   seeded: dict[str, str]) -> None:
    def submit(client: Api) -> tuple[int, str]:
        status, body = client.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION},
                                   headers={"Idempotency-Key": "double-click-7"})
        return status, body["code"]

    results = run_together(10, submit, app, seeded)
    assert Counter(status for status, _ in results) == Counter({201: 1, 200: 9})
    assert len({code for _, code in results}) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dossier)) == 1


def test_concurrent_submissions_get_distinct_consecutive_codes(api: Api, app: Flask,
                                                               seeded: dict[str, str]) -> None:
    def submit(client: Api) -> str:
        status, body = client.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
        assert status == 201, body
        return body["code"]

    codes = run_together(8, submit, app, seeded)
    sequences = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert sequences == list(range(1, 9))


def test_two_officers_claiming_at_once(api: Api, app: Flask, seeded: dict[str, str]) -> None:
    from webapp.accounts import service as accounts
    from webapp.demo import seed  # noqa: F401 - a second desk officer for the same unit

    with app.app_context():
        second = accounts.create_account("tiepnhan2", "Một cửa 2", "officer")
        accounts.grant(second, accounts.find_unit("H41.01.01"), "tiep_nhan")
        tokens = {**seeded, "tiepnhan2": accounts.issue_token(second, 1)}
        db.session.commit()
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    item = dossier["current_steps"][0]["id"]
    users = iter(["tiepnhan", "tiepnhan2"])
    lock = threading.Lock()

    def claim(client: Api) -> int:
        with lock:
            user = next(users)
        return client.post(f"/work-items/{item}/claim", user)[0]

    assert sorted(run_together(2, claim, app, tokens)) == [200, 409]
