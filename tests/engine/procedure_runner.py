"""Play a library procedure through the engine, step by step, the way every procedure test does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.runtime import VN_TZ, Engine
from tests.conftest import DATA, library_package

MONDAY_9AM = datetime(2026, 6, 8, 9, 0, tzinfo=VN_TZ)  # no holiday that week or the next


def sample(slug: str, name: str) -> dict[str, Any]:
    return json.loads((DATA / "samples" / slug / f"{name}.json").read_text("utf-8"))


def june(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=VN_TZ)


@dataclass
class Run:
    """What happened to one dossier: statuses in order, steps taken with their due times."""

    statuses: list[int] = field(default_factory=list)
    steps: list[tuple[str, str | None, datetime | None]] = field(default_factory=list)  # element, lane, due
    completed: bool = False
    finished_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)
    ready: list[list[str]] = field(default_factory=list)  # the ready steps before each answer (parallel work)


def play(engine: Engine, slug: str, answers: list[tuple[str, dict[str, Any]]], *, start: dict[str, Any] | None = None,
         now: datetime = MONDAY_9AM, round_trip: bool = True, minutes_per_step: int | None = 30,
         context: dict[str, Any] | None = None) -> Run:
    """Submit at ``now``, then complete the named ready step with each answer in turn.

    Steps are completed ``minutes_per_step`` apart, or exactly at their due time when it is None;
    with ``round_trip`` the state is saved and loaded before every step, as the web service does.
    An answer naming a payment wait (``paymentAmount``) pays the fee due there, its data added to the message.
    """
    procedure = engine.load(library_package(slug))
    run = Run()
    instance, advance = engine.start(procedure, start or sample(slug, "to-khai"), now=now, context=context)
    run.statuses += [c.code for c in advance.status_changes]
    for element_id, data in answers:
        if round_trip:
            instance = engine.deserialize(procedure, engine.serialize(instance))
        due = engine.payment_due(instance)
        if due is not None and due.element_id == element_id:
            assert engine.ready_tasks(instance) == []
            run.steps.append((element_id, procedure.elements[element_id].lane, None))
            now += timedelta(minutes=minutes_per_step or 30)
            advance = engine.deliver_message(instance, due.message, {"so_tien": due.amount, **data}, now=now)
            run.statuses += [c.code for c in advance.status_changes]
            continue
        ready = engine.ready_tasks(instance)
        run.ready.append(sorted(t.element_id for t in ready))
        task = next((t for t in ready if t.element_id == element_id), None)
        assert task is not None, f"{element_id} is not ready; ready: {run.ready[-1]}"
        run.steps.append((task.element_id, task.lane, task.due_at))
        if minutes_per_step is None:
            assert task.due_at is not None
            now = task.due_at
        else:
            now += timedelta(minutes=minutes_per_step)
        advance = engine.complete(instance, task.id, data, now=now)
        assert advance.failure is None, advance.failure.message("en")
        run.statuses += [c.code for c in advance.status_changes]
    run.completed = advance.completed
    run.finished_at = now
    run.data = instance.data
    assert instance.status == (run.statuses[-1] if run.statuses else None)
    return run
