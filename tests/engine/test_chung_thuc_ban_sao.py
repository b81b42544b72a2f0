"""Certifying copies from originals (2.000815) through every branch, with statuses, deadlines and fees."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine import forms
from engine.forms import FormInvalid
from engine.runtime import Engine
from tests.conftest import library_package
from tests.engine import procedure_runner as runner
from tests.engine.procedure_runner import MONDAY_9AM, Run

SLUG = "chung-thuc-ban-sao"


def sample(name: str) -> dict[str, Any]:
    return runner.sample(SLUG, name)


def play(engine: Engine, answers: list[tuple[str, dict[str, Any]]], **options: Any) -> Run:
    return runner.play(engine, SLUG, answers, **options)


at = runner.june


ACCEPT = ("doi_chieu_ban_chinh", sample("tiep-nhan"))
REFUSE = ("doi_chieu_ban_chinh", sample("tiep-nhan.tu-choi"))
CERTIFY = ("chung_thuc", sample("chung-thuc"))
SIGN = ("ky_chung_thuc", sample("ky-chung-thuc"))
RETURN = ("tra_ket_qua", sample("tra-ket-qua"))
SEND_BACK = ("ky_chung_thuc", {"ket_qua_ky": "tra_lai", "y_kien": "Lời chứng ghi sai số trang của Bảng điểm"})


def test_accept_runs_to_the_returned_result(engine: Engine) -> None:
    run = play(engine, [ACCEPT, CERTIFY, SIGN, RETURN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert run.steps == [
        ("doi_chieu_ban_chinh", "tiep_nhan", at(15, 17)),  # entered Mon 09:00; 5 working days for the visit
        ("chung_thuc", "chuyen_vien", at(8, 10, 30)),      # entered 09:30, 1 working hour
        ("ky_chung_thuc", "lanh_dao", at(8, 11)),          # entered 10:00, 1h
        ("tra_ket_qua", "tiep_nhan", at(8, 11, 30)),       # entered 10:30, 1h
    ]
    # The sample: a 1-page diploma x 3 copies (3 x 2,000) and a 4-page transcript x 2 (2 x 6,000).
    assert run.data["phi_tung_giay_to"] == [{"moi_ban": 2000, "thanh_tien": 6000},
                                            {"moi_ban": 6000, "thanh_tien": 12000}]
    assert run.data["phi_chung_thuc"] == 18000
    assert run.data["so_bien_lai"] == "0001234"


def test_refusal_ends_at_status_3_without_a_fee(engine: Engine) -> None:
    run = play(engine, [REFUSE])
    assert run.statuses == [1, 3]
    assert run.completed
    assert run.steps == [("doi_chieu_ban_chinh", "tiep_nhan", at(15, 17))]
    assert run.data["can_cu_tu_choi"] == "tay_xoa_sua_chua"
    assert "phi_chung_thuc" not in run.data


def test_leader_sends_back_then_signs(engine: Engine) -> None:
    run = play(engine, [ACCEPT, CERTIFY, SEND_BACK, CERTIFY, SIGN, RETURN])
    assert run.statuses == [1, 2, 4, 4, 9, 10]
    assert [s[0] for s in run.steps] == [
        "doi_chieu_ban_chinh", "chung_thuc", "ky_chung_thuc", "chung_thuc", "ky_chung_thuc", "tra_ket_qua"]
    assert run.completed
    assert run.steps[3][2] == at(8, 11, 30)  # certification re-entered at 10:30, 1h
    assert run.steps[4][2] == at(8, 14)  # signing entered at 11:00 runs over lunch: 11:00-11:30, 13:30-14:00
    assert run.data["phi_chung_thuc"] == 18000  # the fee is computed once, not again after the send-back


def test_late_acceptance_moves_the_next_steps_to_the_next_morning(engine: Engine) -> None:
    """Accepted at 16:30: the hour to certify is 16:30-17:00 plus 07:30-08:00 on Tuesday."""
    run = play(engine, [ACCEPT, CERTIFY], now=at(8, 16))
    assert run.steps == [
        ("doi_chieu_ban_chinh", "tiep_nhan", at(15, 17)),
        ("chung_thuc", "chuyen_vien", at(9, 8)),
    ]
    assert run.statuses == [1, 2, 4]


def test_serialization_at_every_step_behaves_identically(engine: Engine) -> None:
    path = [ACCEPT, CERTIFY, SEND_BACK, CERTIFY, SIGN, RETURN]
    assert play(engine, path, round_trip=True) == play(engine, path, round_trip=False)


def declaration(*documents: tuple[int, int]) -> dict[str, Any]:
    """The sample declaration with one document per (pages of the original, copies)."""
    data = sample("to-khai")
    template = data["giay_to_chung_thuc"][0]
    data["giay_to_chung_thuc"] = [{**template, "so_trang": pages, "so_ban": copies} for pages, copies in documents]
    return data


def accepted(engine: Engine, data: dict[str, Any], desk: dict[str, Any] | None = None) -> dict[str, Any]:
    """The dossier's data once the desk has accepted it (the fee is computed on acceptance)."""
    procedure = engine.load(library_package(SLUG))
    instance, _ = engine.start(procedure, data, now=MONDAY_9AM)
    (task,) = engine.ready_tasks(instance)
    advance = engine.complete(instance, task.id, {"ket_qua_tiep_nhan": "tiep_nhan", **(desk or {})}, now=MONDAY_9AM)
    assert advance.failure is None, advance.failure.message("en")
    return instance.data


@pytest.mark.parametrize(("pages", "copies", "per_copy", "fee"), [
    (1, 1, 2_000, 2_000),
    (1, 5, 2_000, 10_000),
    (2, 1, 4_000, 4_000),          # 2 x 2,000
    (3, 1, 5_000, 5_000),          # from the third page 1,000 a page
    (10, 2, 12_000, 24_000),       # 4,000 + 8 x 1,000, two copies
    (197, 1, 199_000, 199_000),    # last page count under the cap
    (198, 1, 200_000, 200_000),    # 4,000 + 196 x 1,000 = exactly the cap
    (199, 1, 200_000, 200_000),    # would be 201,000: capped
    (500, 3, 200_000, 600_000),    # the cap is per copy
    (2000, 100, 200_000, 20_000_000),
])
def test_fee_follows_the_decision_table(engine: Engine, pages: int, copies: int, per_copy: int, fee: int) -> None:
    data = accepted(engine, declaration((pages, copies)))
    assert data["phi_tung_giay_to"] == [{"moi_ban": per_copy, "thanh_tien": fee}]
    assert data["phi_chung_thuc"] == fee


def test_fee_adds_up_every_document(engine: Engine) -> None:
    data = accepted(engine, declaration((1, 1), (3, 2), (250, 1)))
    assert [p["thanh_tien"] for p in data["phi_tung_giay_to"]] == [2_000, 10_000, 200_000]
    assert data["phi_chung_thuc"] == 212_000


def test_desk_correction_replaces_the_declared_documents_for_the_fee(engine: Engine) -> None:
    """The fee counts the pages of the original: the desk's list replaces a wrong declaration."""
    corrected = declaration((12, 2))["giay_to_chung_thuc"]
    data = accepted(engine, declaration((3, 1)), {"giay_to_chung_thuc": corrected})
    assert data["giay_to_chung_thuc"][0]["so_trang"] == 12
    assert data["phi_chung_thuc"] == 28_000  # (4,000 + 10 x 1,000) x 2


def test_ready_task_carries_its_form_instructions_and_lane(engine: Engine) -> None:
    procedure = engine.load(library_package(SLUG))
    instance, advance = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    (task,) = advance.ready
    assert task.lane == "tiep_nhan"
    assert task.schema["properties"]["ket_qua_tiep_nhan"]["enum"] == ["tiep_nhan", "tu_choi"]
    assert task.ui_schema
    assert task.instructions
    assert engine.ready_tasks(instance, lane="chuyen_vien") == []
    assert procedure.metadata["code"] == "2.000815"
    assert procedure.metadata["service_level"] == "mot_phan"
    assert set(procedure.metadata["lanes"]) == {"cong_dan", "tiep_nhan", "chuyen_vien", "lanh_dao"}


DELETE = object()  # a change that removes the field


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value



@pytest.mark.parametrize(("changes", "paths"), [
    ({"giay_to_chung_thuc.0.so_trang": 0, "giay_to_chung_thuc.1.so_ban": DELETE},
     {"giay_to_chung_thuc.0.so_trang", "giay_to_chung_thuc.1.so_ban"}),
    ({"giay_to_chung_thuc.0.so_ban": 101, "giay_to_chung_thuc.1.ten_giay_to": DELETE},
     {"giay_to_chung_thuc.0.so_ban", "giay_to_chung_thuc.1.ten_giay_to"}),
    ({"giay_to_chung_thuc": []}, {"giay_to_chung_thuc"}),
    ({"lich_hen.ngay": "08/06/2026", "lich_hen.buoi": "toi"}, {"lich_hen.ngay", "lich_hen.buoi"}),
    ({"nguoi_yeu_cau.so_dinh_danh": "12345"}, {"nguoi_yeu_cau.so_dinh_danh"}),
    ({"nhan_ket_qua.hinh_thuc": "truc_tuyen"}, {"nhan_ket_qua.hinh_thuc"}),  # a paper result: no online delivery
    ({"nhan_ket_qua.hinh_thuc": "buu_chinh"}, {"nhan_ket_qua.dia_chi_nhan"}),
    ({"lich_hen": DELETE}, {"lich_hen"}),
])
def test_invalid_declaration_is_refused_with_field_paths(engine: Engine, changes: dict[str, Any],
                                                         paths: set[str]) -> None:
    procedure = engine.load(library_package(SLUG))
    data = copy.deepcopy(sample("to-khai"))
    for dotted, value in changes.items():
        _set(data, dotted, value)
    with pytest.raises(FormInvalid) as info:
        engine.start(procedure, data, now=MONDAY_9AM)
    assert {e.path for e in info.value.errors} == paths


def test_refusal_without_grounds_changes_nothing(engine: Engine) -> None:
    procedure = engine.load(library_package(SLUG))
    instance, _ = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    before = engine.serialize(instance)
    (task,) = engine.ready_tasks(instance)
    with pytest.raises(FormInvalid) as info:
        engine.complete(instance, task.id, {"ket_qua_tiep_nhan": "tu_choi"}, now=MONDAY_9AM)
    assert [e.path for e in info.value.errors] == ["can_cu_tu_choi", "ly_do"]
    assert engine.serialize(instance) == before


def test_post_delivery_needs_a_tracking_code(engine: Engine) -> None:
    procedure = engine.load(library_package(SLUG))
    form = procedure.forms[f"{SLUG}/tra-ket-qua.schema.json"]
    assert [e.path for e in forms.validate(form, {"hinh_thuc_tra": "buu_chinh"})] == ["ma_buu_gui"]
    assert forms.validate(form, {"hinh_thuc_tra": "buu_chinh", "ma_buu_gui": "EB123456789VN"}) == []


class _ThirtyOneDaysLater(datetime):
    """The clock SpiffWorkflow's timers read, moved forward: the booking has lapsed."""

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime.now's own signature
        return datetime.now(tz) + timedelta(days=31)


def test_a_booking_nobody_comes_for_lapses_after_30_days(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    procedure = engine.load(library_package(SLUG))
    instance, _ = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    due = engine.next_timer_at(instance)  # what the scheduler stores
    assert due is not None and timedelta(days=29, hours=23) < due - datetime.now(UTC) <= timedelta(days=30)
    instance = engine.deserialize(procedure, engine.serialize(instance))
    assert engine.refresh_timers(instance).status_changes == []  # not yet
    monkeypatch.setattr(timer, "datetime", _ThirtyOneDaysLater)
    advance = engine.refresh_timers(instance)
    assert [c.code for c in advance.status_changes] == [3]  # not accepted: the booking lapsed
    assert advance.completed and engine.ready_tasks(instance) == []
    assert engine.next_timer_at(instance) is None


def test_the_booking_timer_stops_once_the_originals_are_checked(engine: Engine) -> None:
    procedure = engine.load(library_package(SLUG))
    instance, _ = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    (task,) = engine.ready_tasks(instance)
    engine.complete(instance, task.id, sample("tiep-nhan"), now=MONDAY_9AM)
    assert engine.next_timer_at(instance) is None
