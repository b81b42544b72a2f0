"""Messages from other agencies and BPMN timers reach a waiting instance, across restarts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from engine.runtime import Engine, EngineError
from tests.conftest import test_package


def _start(engine: Engine, fire_in: timedelta):
    procedure = engine.load(test_package("cho-tin"))
    due = datetime.now(UTC) + fire_in
    instance, advance = engine.start(procedure, {"han_cho": due.isoformat()})
    return procedure, instance, advance, due


def test_waiting_event_records_its_status_on_entering(engine: Engine) -> None:
    _, instance, advance, _ = _start(engine, timedelta(hours=1))
    assert [c.code for c in advance.status_changes] == [2, 4]
    assert engine.ready_tasks(instance) == []
    assert not advance.completed and advance.failure is None


def test_message_is_delivered_with_its_payload_after_a_restart(engine: Engine) -> None:
    procedure, instance, _, due = _start(engine, timedelta(hours=1))
    instance = engine.deserialize(procedure, engine.serialize(instance))
    advance = engine.deliver_message(instance, "ket_qua_xac_minh", {"hop_le": True})
    assert advance.failure is None
    assert instance.data["xac_minh"] == {"hop_le": True}
    # Now waiting on the timer, which the scheduler can ask for.
    assert engine.next_timer_at(instance) == due
    # The same status is not recorded twice when the event completes.
    assert advance.status_changes == []


def test_unexpected_message_is_refused_and_changes_nothing(engine: Engine) -> None:
    procedure, instance, _, _ = _start(engine, timedelta(hours=1))
    before = engine.serialize(instance)
    with pytest.raises(EngineError) as info:
        engine.deliver_message(instance, "tin_khac", {})
    assert "tin_khac" in info.value.message("vi")
    assert engine.serialize(instance) == before


def test_timer_fires_only_when_due_then_the_officer_step_is_ready(engine: Engine) -> None:
    procedure, instance, _, due = _start(engine, timedelta(seconds=1))
    engine.deliver_message(instance, "ket_qua_xac_minh", {})
    assert engine.refresh_timers(instance).ready == []  # not yet
    instance = engine.deserialize(procedure, engine.serialize(instance))
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.05)
    advance = engine.refresh_timers(instance)
    assert [t.element_id for t in advance.ready] == ["xem_ket_qua"]
    assert engine.next_timer_at(instance) is None
    (task,) = engine.ready_tasks(instance)
    done = engine.complete(instance, task.id, {"ghi_chu": "ok"})
    assert done.completed and instance.status == 10
