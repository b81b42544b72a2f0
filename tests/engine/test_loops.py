"""SpiffWorkflow 3.2 stops finding tasks ~1000 levels deep; the engine never stalls silently."""

from __future__ import annotations

import pytest

from engine.runtime import MAX_TASK_DEPTH, Engine
from tests.conftest import test_package


def test_a_hundred_automatic_iterations_complete(engine: Engine) -> None:
    procedure = engine.load(test_package("vong-lap"))
    instance, advance = engine.start(procedure, {"i": 0, "so_vong": 100})
    assert advance.failure is None
    assert instance.data["i"] == 100
    (task,) = engine.ready_tasks(instance)
    assert task.element_id == "lap_tay"


def test_an_endless_automatic_loop_fails_with_the_loop_limit(engine: Engine) -> None:
    procedure = engine.load(test_package("vong-lap"))
    instance, advance = engine.start(procedure, {"i": 0, "so_vong": 5000})
    assert advance.failure is not None
    assert advance.failure.code == "loop_limit"
    assert instance.failure.code == "loop_limit"
    assert str(MAX_TASK_DEPTH) in advance.failure.message("en")


@pytest.mark.parametrize("round_trip", [False, True])
def test_a_long_human_loop_fails_clearly_instead_of_stalling(engine: Engine, round_trip: bool) -> None:
    procedure = engine.load(test_package("vong-lap"))
    instance, advance = engine.start(procedure, {"i": 0, "so_vong": 0})
    rounds = 0
    while advance.failure is None:
        (task,) = engine.ready_tasks(instance)
        advance = engine.complete(instance, task.id, {"tiep_tuc": True})
        if round_trip:
            instance = engine.deserialize(procedure, engine.serialize(instance))
        rounds += 1
        assert rounds < 1000, "the loop neither advanced to the end nor failed"
    assert advance.failure.code == "loop_limit"
    assert rounds > 100  # a procedure with a realistic number of rounds is unaffected


def test_a_human_loop_that_ends_completes(engine: Engine) -> None:
    procedure = engine.load(test_package("vong-lap"))
    instance, advance = engine.start(procedure, {"i": 0, "so_vong": 0})
    for answer in [True] * 20 + [False]:
        (task,) = engine.ready_tasks(instance)
        advance = engine.complete(instance, task.id, {"tiep_tuc": answer})
    assert advance.completed and instance.status == 10
