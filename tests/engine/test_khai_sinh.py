"""Birth registration (1.001193) through every branch, with statuses, deadlines and fees."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from engine.forms import FormInvalid
from engine.runtime import Engine, EngineError
from tests.conftest import library_package
from tests.engine import procedure_runner as runner
from tests.engine.procedure_runner import MONDAY_9AM, Run

SLUG = "khai-sinh"


def sample(name: str) -> dict[str, Any]:
    return runner.sample(SLUG, name)


def play(engine: Engine, answers: list[tuple[str, dict[str, Any]]], **options: Any) -> Run:
    return runner.play(engine, SLUG, answers, **options)


at = runner.june


ACCEPT = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
PROCESS = ("tham_dinh_xu_ly", sample("tham-dinh"))
APPROVE = ("phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
RETURN = ("tra_ket_qua", sample("tra-ket-qua"))


def test_accept_runs_to_the_returned_result(engine: Engine) -> None:
    run = play(engine, [ACCEPT, PROCESS, APPROVE, RETURN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert run.steps == [
        ("tiep_nhan_ho_so", "tiep_nhan", at(8, 11)),          # entered 09:00, 2 working hours
        ("tham_dinh_xu_ly", "chuyen_vien_ho_tich", at(8, 11, 30)),  # entered 09:30, 2h
        ("phe_duyet", "lanh_dao", at(8, 11)),                 # entered 10:00, 1h
        ("tra_ket_qua", "tiep_nhan", at(8, 11, 30)),          # entered 10:30, 1h
    ]


def test_supplement_then_accept(engine: Engine) -> None:
    supplement = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Thiếu giấy chứng sinh",
                                      "giay_to_can_bo_sung": "Giấy chứng sinh"})
    resubmit = ("bo_sung_ho_so", {"noi_dung_bo_sung": "Đã nộp bản chụp giấy chứng sinh"})
    run = play(engine, [supplement, resubmit, ACCEPT, PROCESS, APPROVE, RETURN])
    assert run.statuses == [1, 5, 2, 4, 9, 10]
    assert run.completed
    # The citizen has five working days (entered Mon 09:30 -> close of the following Monday).
    assert run.steps[1] == ("bo_sung_ho_so", "cong_dan", at(15, 17))
    # Intake is entered again after the supplement (Mon 10:00) with a fresh 2-hour deadline.
    assert run.steps[2] == ("tiep_nhan_ho_so", "tiep_nhan", at(8, 12) + timedelta(hours=2))
    assert run.data["noi_dung_bo_sung"].startswith("Đã nộp")


def test_refusal_ends_at_status_3(engine: Engine) -> None:
    refuse = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tu_choi", "ly_do": "Không thuộc thẩm quyền"})
    run = play(engine, [refuse])
    assert run.statuses == [1, 3]
    assert run.completed


def test_leader_sends_back_then_approves(engine: Engine) -> None:
    send_back = ("phe_duyet", {"ket_qua_phe_duyet": "tra_lai", "y_kien": "Kiểm tra lại quê quán"})
    run = play(engine, [ACCEPT, PROCESS, send_back, PROCESS, APPROVE, RETURN])
    assert run.statuses == [1, 2, 4, 4, 9, 10]
    assert [s[0] for s in run.steps] == [
        "tiep_nhan_ho_so", "tham_dinh_xu_ly", "phe_duyet", "tham_dinh_xu_ly", "phe_duyet", "tra_ket_qua"]
    assert run.completed
    # Processing re-entered at 10:30 runs over lunch: 10:30-11:30 then 13:30-14:30.
    assert run.steps[3][2] == at(8, 14, 30)


def test_serialization_at_every_step_behaves_identically(engine: Engine) -> None:
    supplement = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Thiếu giấy tờ",
                                      "giay_to_can_bo_sung": "Giấy chứng sinh"})
    resubmit = ("bo_sung_ho_so", {"noi_dung_bo_sung": "Bổ sung"})
    send_back = ("phe_duyet", {"ket_qua_phe_duyet": "tra_lai", "y_kien": "Xem lại quê quán"})
    path = [supplement, resubmit, ACCEPT, PROCESS, send_back, PROCESS, APPROVE, RETURN]
    assert play(engine, path, round_trip=True) == play(engine, path, round_trip=False)


LATE = {**sample("to-khai"), "doi_tuong_uu_tien": False}  # born 2025-06-02, registered 2026-06-08: 8.000 đ
PAY = ("cho_nop_le_phi", {"ma_giao_dich": "TT-1"})


def test_a_fee_waits_for_payment_at_status_6_then_processing_goes_on(engine: Engine) -> None:
    run = play(engine, [ACCEPT, PAY, PROCESS, APPROVE, RETURN], start=LATE)
    assert run.statuses == [1, 2, 6, 4, 9, 10]
    assert run.completed
    assert [s[:2] for s in run.steps] == [("tiep_nhan_ho_so", "tiep_nhan"), ("cho_nop_le_phi", "cong_dan"),
                                          ("tham_dinh_xu_ly", "chuyen_vien_ho_tich"), ("phe_duyet", "lanh_dao"),
                                          ("tra_ket_qua", "tiep_nhan")]
    assert run.data["thanh_toan"] == {"so_tien": 8000, "ma_giao_dich": "TT-1"}


def test_no_fee_no_payment_wait(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    instance, _ = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)  # a priority group: free
    (task,) = engine.ready_tasks(instance)
    advance = engine.complete(instance, task.id, {"ket_qua_tiep_nhan": "tiep_nhan"}, now=MONDAY_9AM)
    assert [c.code for c in advance.status_changes] == [2, 4]
    assert engine.payment_due(instance) is None


def test_the_payment_due_is_read_from_the_fee_decision(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    instance, _ = engine.start(procedure, LATE, now=MONDAY_9AM)
    assert engine.payment_due(instance) is None  # not before the desk has received the dossier
    (task,) = engine.ready_tasks(instance)
    engine.complete(instance, task.id, {"ket_qua_tiep_nhan": "tiep_nhan"}, now=MONDAY_9AM)
    instance = engine.deserialize(procedure, engine.serialize(instance))
    due = engine.payment_due(instance)
    assert due is not None and engine.ready_tasks(instance) == []
    assert (due.element_id, due.message, due.amount, due.fee_key) == (
        "cho_nop_le_phi", "da_thanh_toan", 8000, "le_phi_dang_ky_khai_sinh")
    assert instance.status == 6
    with pytest.raises(EngineError):
        engine.deliver_message(instance, "tin_khac", {})
    engine.deliver_message(instance, due.message, {"so_tien": 8000})
    assert engine.payment_due(instance) is None
    with pytest.raises(EngineError) as info:  # paying again is refused by the engine as well
        engine.deliver_message(instance, due.message, {"so_tien": 8000})
    assert info.value.code == "not_waiting_for_message"


def _fee(engine: Engine, birth: str, priority: bool = False) -> int:
    data = sample("to-khai")
    data["tre_em"]["ngay_sinh"] = birth
    data["doi_tuong_uu_tien"] = priority
    procedure = engine.load(library_package("khai-sinh"))
    instance, _ = engine.start(procedure, data, now=MONDAY_9AM)
    return instance.data["le_phi"]


@pytest.mark.parametrize(("birth", "priority", "fee"), [
    ("2026-05-20", False, 0),      # 19 days: free
    ("2026-04-09", False, 0),      # exactly 60 days: still free
    ("2026-04-08", False, 8000),   # 61 days
    ("2025-06-02", False, 8000),
    ("2025-06-02", True, 0),       # priority group: always free
])
def test_fee_follows_the_decision_table(engine: Engine, birth: str, priority: bool, fee: int) -> None:
    assert _fee(engine, birth, priority) == fee


def test_ready_task_carries_its_form_instructions_and_lane(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    instance, advance = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    (task,) = advance.ready
    assert task.lane == "tiep_nhan"
    assert task.schema["properties"]["ket_qua_tiep_nhan"]["enum"] == ["tiep_nhan", "yeu_cau_bo_sung", "tu_choi"]
    assert task.ui_schema  # the UI schema travels with the form
    assert task.instructions
    assert engine.ready_tasks(instance, lane="lanh_dao") == []
    assert [t.element_id for t in engine.ready_tasks(instance, lane="tiep_nhan")] == ["tiep_nhan_ho_so"]


def test_invalid_start_data_is_refused_with_field_errors(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    data = copy.deepcopy(sample("to-khai"))
    del data["tre_em"]["ho_ten"]
    data["me"]["so_dinh_danh"] = "12345"
    with pytest.raises(FormInvalid) as info:
        engine.start(procedure, data, now=MONDAY_9AM)
    paths = {e.path for e in info.value.errors}
    assert {"tre_em.ho_ten", "me.so_dinh_danh"} <= paths


def test_invalid_step_data_changes_nothing(engine: Engine) -> None:
    procedure = engine.load(library_package("khai-sinh"))
    instance, _ = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    before = engine.serialize(instance)
    (task,) = engine.ready_tasks(instance)
    with pytest.raises(FormInvalid) as info:
        engine.complete(instance, task.id, {"ket_qua_tiep_nhan": "dong_y"}, now=MONDAY_9AM)
    assert [e.path for e in info.value.errors] == ["ket_qua_tiep_nhan"]
    assert engine.serialize(instance) == before


def test_procedure_is_parsed_once_per_version(engine: Engine) -> None:
    first = engine.load(library_package("khai-sinh"))
    again = engine.load(library_package("khai-sinh"))
    assert first is again
    source = library_package("khai-sinh")
    changed = dict(source.files)
    changed["bpmn/khai-sinh/procedure.yaml"] += b"\n# a comment changes the version\n"
    other = engine.load(type(source)(source.slug, changed))
    assert other is not first and other.version != first.version
