"""Instance state: compact JSON without the spec, faithful through every save and load."""

from __future__ import annotations

import json
from datetime import date

import pytest

from engine.runtime import Engine
from engine.state import StateError
from tests.conftest import library_package, test_package


def test_subprocess_with_a_human_step_survives_a_round_trip(engine: Engine) -> None:
    procedure = engine.load(test_package("quy-trinh-con"))
    instance, advance = engine.start(procedure, {"ho_ten": "Lê Thị Hoa"})
    assert [c.code for c in advance.status_changes] == [2, 4]
    restored = engine.deserialize(procedure, engine.serialize(instance))
    (task,) = engine.ready_tasks(restored)
    assert task.element_id == "tham_dinh" and task.due_at is not None
    done = engine.complete(restored, task.id, {"dong_y": True})
    assert done.completed and restored.status == 10


def test_dates_made_by_scripts_come_back_as_dates(engine: Engine) -> None:
    procedure = engine.load(test_package("quy-trinh-con"))
    instance, _ = engine.start(procedure, {"ho_ten": "Lê Thị Hoa"})
    restored = engine.deserialize(procedure, engine.serialize(instance))
    (task,) = engine.ready_tasks(restored)
    engine.complete(restored, task.id, {"dong_y": True})
    assert restored.data["han"] == date(2026, 6, 11)


def test_saving_twice_gives_the_same_text(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    instance, _ = engine.start(procedure, _declaration())
    text = engine.serialize(instance)
    assert engine.serialize(engine.deserialize(procedure, text)) == text


def test_state_does_not_embed_the_spec(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    instance, _ = engine.start(procedure, _declaration())
    text = engine.serialize(instance)
    assert "bpmn:definitions" not in text and "le_phi_khai_sinh" not in text.replace('"le_phi"', "")
    assert len(text.encode()) < 16_000


def test_unknown_or_corrupt_state_is_refused(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    with pytest.raises(StateError):
        engine.deserialize(procedure, json.dumps({"format": "other"}))
    instance, _ = engine.start(procedure, _declaration())
    doc = json.loads(engine.serialize(instance))
    doc["workflow"]["tasks"][1][3] = "buoc_khong_co"
    with pytest.raises(StateError, match="buoc_khong_co"):
        engine.deserialize(procedure, json.dumps(doc))


def _declaration() -> dict:
    from tests.engine.test_khai_sinh import sample

    return sample("to-khai")
