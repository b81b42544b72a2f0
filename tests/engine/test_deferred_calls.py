"""Service tasks on an engine that defers connector calls (the web app's): the action that reaches
the task stops there, the call is made later from the saved state, and its answer (a result, a
caught BPMN error, an uncaught failure) moves the process exactly as an inline call would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from engine.connectors import ConnectorError, call_once, keep_declared
from engine.connectors.post import is_tracking_number
from engine.local_systems import default_registry
from engine.runtime import Engine, EngineError, Instance, PendingCall
from fakes.judicial_records import FakeJudicialRecords
from fakes.post import FakePostOffice
from tests.conftest import library_package
from tests.engine.procedure_runner import MONDAY_9AM, sample

SLUG = "cap-phieu-ly-lich-tu-phap"
CODE = "H41.15-20260608-0001"


@dataclass
class World:
    engine: Engine
    records: FakeJudicialRecords
    post: FakePostOffice

    def start(self, form: str = "to-khai") -> Instance:
        procedure = self.engine.load(library_package(SLUG))
        instance, advance = self.engine.start(procedure, sample(SLUG, form), now=MONDAY_9AM,
                                              context={"ma_ho_so": CODE, "kenh": 2})
        assert advance.failure is None
        return self.reload(instance)

    def reload(self, instance: Instance) -> Instance:
        """What the web app does between the action and the job: save, then load in another process."""
        return self.engine.deserialize(instance.procedure, self.engine.serialize(instance))

    def do(self, instance: Instance, element_id: str, data: dict) -> list[int]:
        task = next(t for t in self.engine.ready_tasks(instance) if t.element_id == element_id)
        advance = self.engine.complete(instance, task.id, data, now=MONDAY_9AM)
        assert advance.failure is None, advance.failure.message("en")
        return [c.code for c in advance.status_changes]

    def answer(self, instance: Instance) -> list[int]:
        """The job: call the one pending connector on the saved state and hand back its answer."""
        (pending,) = self.engine.pending_calls(instance)
        connector, params = self.engine.call_request(instance, pending.task_id)
        result = keep_declared(connector, call_once(connector, params, 1.0))
        fresh = self.reload(instance)
        advance = self.engine.finish_call(fresh, pending.task_id, result=result, now=MONDAY_9AM)
        assert advance.failure is None
        instance.workflow = fresh.workflow
        return [c.code for c in advance.status_changes]


@pytest.fixture
def world() -> Iterator[World]:
    registry = default_registry()
    records = registry.get("ly_lich_tu_phap.xac_minh")
    booking = registry.get("buu_chinh.tao_van_don")
    assert isinstance(records, FakeJudicialRecords)
    yield World(Engine(connectors=registry, defer_connectors=True), records, booking.office)  # type: ignore[union-attr]


def test_the_action_stops_at_the_service_task_and_the_job_carries_it_on(world: World) -> None:
    instance = world.start("to-khai.buu-chinh")
    world.do(instance, "tiep_nhan_ho_so", sample(SLUG, "tiep-nhan"))
    instance = world.reload(instance)
    assert world.records.calls == []  # nobody waited on the judicial record database
    assert world.engine.ready_tasks(instance) == []
    (pending,) = world.engine.pending_calls(instance)
    assert (pending.element_id, pending.connector) == ("xac_minh", "ly_lich_tu_phap.xac_minh")

    world.answer(instance)
    assert world.records.calls == [CODE]
    assert [t.element_id for t in world.engine.ready_tasks(instance)] == ["lap_phieu"]
    assert instance.data["xac_minh"]["ket_qua"] == "khong_co_an_tich"

    instance = world.reload(instance)
    world.do(instance, "lap_phieu", sample(SLUG, "lap-phieu"))
    world.do(instance, "ky_phieu", sample(SLUG, "ky-phieu"))
    instance = world.reload(instance)
    assert world.engine.pending_calls(instance) == [
        PendingCall(world.engine.pending_calls(instance)[0].task_id, "gui_buu_chinh", "buu_chinh.tao_van_don")]
    assert world.post.shipments == {}
    statuses = world.answer(instance)
    assert statuses[-1] == 10 and instance.completed
    number = instance.data["van_don"]["ma_van_don"]
    assert is_tracking_number(number) and list(world.post.shipments) == [number]


def test_an_answer_for_a_call_no_longer_pending_is_refused(world: World) -> None:
    instance = world.start()
    world.do(instance, "tiep_nhan_ho_so", sample(SLUG, "tiep-nhan"))
    (pending,) = world.engine.pending_calls(instance)
    world.engine.finish_call(instance, pending.task_id, result={"ket_qua": "khong_co_an_tich", "so_ban_an": 0,
                                                                "ma_tra_loi": "LLTP-1"})
    with pytest.raises(EngineError) as refused:  # a second copy of the job
        world.engine.finish_call(instance, pending.task_id, result={})
    assert refused.value.code == "call_not_pending"
    with pytest.raises(EngineError):
        world.engine.call_request(instance, pending.task_id)


def test_a_final_error_takes_the_diagrams_error_path(world: World) -> None:
    instance = world.start()
    world.do(instance, "tiep_nhan_ho_so", sample(SLUG, "tiep-nhan"))
    (pending,) = world.engine.pending_calls(instance)
    advance = world.engine.finish_call(instance, pending.task_id, attempts=3,
                                       error=ConnectorError("agency busy", retryable=True))
    assert advance.failure is None
    assert [t.element_id for t in world.engine.ready_tasks(instance)] == ["xac_minh_thu_cong"]
    assert world.engine.pending_calls(instance) == []
    assert instance.data["loi_xac_minh"] == {"ma_loi": "xac_minh_khong_duoc", "ket_noi": "ly_lich_tu_phap.xac_minh",
                                             "so_lan_thu": 3, "ly_do": "unavailable"}
    assert [(c.element_id, c.error_code) for c in advance.connector_calls] == [("xac_minh", "xac_minh_khong_duoc")]


def test_an_error_with_no_code_fails_the_instance_naming_the_connector(world: World) -> None:
    instance = world.start()
    world.records.error_codes = {}  # since the procedure was checked: nothing for a boundary event to catch
    world.do(instance, "tiep_nhan_ho_so", sample(SLUG, "tiep-nhan"))
    (pending,) = world.engine.pending_calls(instance)
    advance = world.engine.finish_call(instance, pending.task_id, error=ConnectorError("bad", retryable=False))
    assert advance.failure is not None and advance.failure.element_id == "xac_minh"
    assert "ly_lich_tu_phap.xac_minh" in advance.failure.message("en")
    with pytest.raises(EngineError):
        world.engine.finish_call(instance, pending.task_id, result={})


def test_an_inline_engine_still_calls_during_the_action(world: World) -> None:
    inline = Engine(connectors=world.engine.connectors)
    procedure = inline.load(library_package(SLUG))
    instance, _ = inline.start(procedure, sample(SLUG, "to-khai"), now=MONDAY_9AM,
                               context={"ma_ho_so": CODE, "kenh": 2})
    task = inline.ready_tasks(instance)[0]
    inline.complete(instance, task.id, sample(SLUG, "tiep-nhan"), now=MONDAY_9AM)
    assert world.records.calls == [CODE]
    assert inline.pending_calls(instance) == []
