"""Household business registration (2.000720) through every branch, with statuses, deadlines and fees."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.forms import FormInvalid
from engine.runtime import Engine
from tests.conftest import library_package
from tests.engine import procedure_runner as runner
from tests.engine.procedure_runner import MONDAY_9AM, Run

SLUG = "dang-ky-ho-kinh-doanh"


def sample(name: str) -> dict[str, Any]:
    return runner.sample(SLUG, name)


def play(engine: Engine, answers: list[tuple[str, dict[str, Any]]], **options: Any) -> Run:
    return runner.play(engine, SLUG, answers, **options)


at = runner.june


ACCEPT = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
SUPPLEMENT = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Thiếu biên bản họp",
                                  "giay_to_can_bo_sung": "Bản sao biên bản họp thành viên hộ gia đình"})
RESUBMIT = ("bo_sung_ho_so", {"noi_dung_bo_sung": "Đã tải lên biên bản họp thành viên hộ gia đình"})
EXAMINE = ("tham_dinh_cap_ma_so", sample("tham-dinh"))
APPROVE = ("phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
SEND_BACK = ("phe_duyet", {"ket_qua_phe_duyet": "tra_lai", "y_kien": "Ghi mã ngành cấp 4 cho ngành chính"})
RETURN = ("tra_ket_qua", sample("tra-ket-qua"))


# --- branches ------------------------------------------------------------------------------

def test_accept_runs_to_the_returned_result(engine: Engine) -> None:
    run = play(engine, [ACCEPT, EXAMINE, APPROVE, RETURN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert run.steps == [
        ("tiep_nhan_ho_so", "tiep_nhan", at(8, 15)),          # entered 09:00, 4 working hours over lunch
        ("tham_dinh_cap_ma_so", "chuyen_vien", at(9, 17)),    # entered 09:30, 1 working day: close of Tuesday
        ("phe_duyet", "lanh_dao", at(8, 16)),                 # entered 10:00, 4h
        ("tra_ket_qua", "tiep_nhan", at(8, 16, 30)),          # entered 10:30, 4h
    ]
    assert run.data["ma_so_ho_kinh_doanh"] == "4301234567"
    assert run.data["hinh_thuc_tra"] == "truc_tuyen"


def test_supplement_then_accept(engine: Engine) -> None:
    run = play(engine, [SUPPLEMENT, RESUBMIT, ACCEPT, EXAMINE, APPROVE, RETURN])
    assert run.statuses == [1, 5, 2, 4, 9, 10]
    assert run.completed
    assert [s[0] for s in run.steps] == [
        "tiep_nhan_ho_so", "bo_sung_ho_so", "tiep_nhan_ho_so", "tham_dinh_cap_ma_so", "phe_duyet", "tra_ket_qua"]
    # Back in the applicant's lane with five working days (entered Mon 09:30 -> close of the next Monday).
    assert run.steps[1] == ("bo_sung_ho_so", "cong_dan", at(15, 17))
    # Intake is entered again after the supplement (Mon 10:00) with a fresh 4-hour deadline.
    assert run.steps[2] == ("tiep_nhan_ho_so", "tiep_nhan", at(8, 16))
    assert run.data["noi_dung_bo_sung"].startswith("Đã tải lên")


def test_refusal_ends_at_status_3(engine: Engine) -> None:
    refuse = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tu_choi",
                                  "ly_do": "Địa điểm kinh doanh không thuộc địa bàn xã"})
    run = play(engine, [refuse])
    assert run.statuses == [1, 3]
    assert run.completed
    assert run.steps == [("tiep_nhan_ho_so", "tiep_nhan", at(8, 15))]


def test_leader_sends_back_then_approves(engine: Engine) -> None:
    run = play(engine, [ACCEPT, EXAMINE, SEND_BACK, EXAMINE, APPROVE, RETURN])
    assert run.statuses == [1, 2, 4, 4, 9, 10]
    assert [s[0] for s in run.steps] == [
        "tiep_nhan_ho_so", "tham_dinh_cap_ma_so", "phe_duyet", "tham_dinh_cap_ma_so", "phe_duyet", "tra_ket_qua"]
    assert run.completed
    # Examination re-entered Mon 10:30 gets a fresh working day; the leader's second look starts at 11:00.
    assert run.steps[3] == ("tham_dinh_cap_ma_so", "chuyen_vien", at(9, 17))
    assert run.steps[4] == ("phe_duyet", "lanh_dao", at(8, 17))  # 11:00-11:30, then 13:30-17:00


def test_step_deadlines_fit_the_three_legal_working_days(engine: Engine) -> None:
    """Every step finished at the last minute still returns the result within 3 working days."""
    run = play(engine, [ACCEPT, EXAMINE, APPROVE, RETURN], minutes_per_step=None)
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.finished_at == at(11, 8)  # Mon 09:00 + 4h, 1 day, 4h, 4h -> Thursday 08:00
    legal = engine.load(library_package(SLUG)).metadata["processing_time"]
    assert (legal["amount"], legal["unit"]) == (3, "working_days")
    assert run.finished_at <= engine.calendar.due_at(MONDAY_9AM, legal["amount"], legal["unit"])


def test_serialization_at_every_step_behaves_identically(engine: Engine) -> None:
    path = [SUPPLEMENT, RESUBMIT, ACCEPT, EXAMINE, SEND_BACK, EXAMINE, APPROVE, RETURN]
    assert play(engine, path, round_trip=True) == play(engine, path, round_trip=False)


def test_household_members_register_together(engine: Engine) -> None:
    data = sample("to-khai")
    data["thanh_lap_boi"] = "ho_gia_dinh"
    data["thanh_vien_ho_gia_dinh"] = [
        {"ho_ten": "Đinh Văn Hải", "ngay_sinh": "1983-02-11", "gioi_tinh": "nam", "so_dinh_danh": "051083001122"},
    ]
    run = play(engine, [ACCEPT, EXAMINE, APPROVE, RETURN], start=data)
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.data["thanh_vien_ho_gia_dinh"][0]["ho_ten"] == "Đinh Văn Hải"


# --- fee -----------------------------------------------------------------------------------

def _fee(engine: Engine, channel: str) -> int:
    data = sample("to-khai")
    data["kenh_nop"] = channel
    procedure = engine.load(library_package(SLUG))
    instance, _ = engine.start(procedure, data, now=MONDAY_9AM)
    return instance.data["le_phi"]


@pytest.mark.parametrize(("channel", "fee"), [
    ("truc_tuyen", 50_000),    # online: 50% off
    ("truc_tiep", 100_000),    # at the one-stop desk
    ("buu_chinh", 100_000),    # by public post
])
def test_fee_follows_the_filing_channel(engine: Engine, channel: str, fee: int) -> None:
    assert _fee(engine, channel) == fee


def test_catalogue_fee_is_the_full_amount(engine: Engine) -> None:
    metadata = engine.load(library_package(SLUG)).metadata
    (fee,) = metadata["fees"]
    assert fee["amount"] == _fee(engine, "truc_tiep")
    assert metadata["service_level"] == "toan_trinh" and metadata["level"] == "commune"
    assert set(metadata["lanes"]) == {"cong_dan", "tiep_nhan", "chuyen_vien", "lanh_dao"}


# --- forms ---------------------------------------------------------------------------------

def test_ready_task_carries_its_form_instructions_and_lane(engine: Engine) -> None:
    procedure = engine.load(library_package(SLUG))
    instance, advance = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    (task,) = advance.ready
    assert task.lane == "tiep_nhan"
    assert task.schema["properties"]["ket_qua_tiep_nhan"]["enum"] == ["tiep_nhan", "yeu_cau_bo_sung", "tu_choi"]
    assert task.ui_schema
    assert task.instructions
    assert engine.ready_tasks(instance, lane="chuyen_vien") == []
    assert [t.element_id for t in engine.ready_tasks(instance, lane="tiep_nhan")] == ["tiep_nhan_ho_so"]


def _start_errors(engine: Engine, data: dict[str, Any]) -> set[str]:
    procedure = engine.load(library_package(SLUG))
    with pytest.raises(FormInvalid) as info:
        engine.start(procedure, data, now=MONDAY_9AM)
    return {e.path for e in info.value.errors}


def test_invalid_declaration_is_refused_with_field_paths(engine: Engine) -> None:
    data = copy.deepcopy(sample("to-khai"))
    data["ten_ho_kinh_doanh"] = "Bánh cuốn Bà Lan"           # lacks "Hộ kinh doanh"
    del data["dia_diem_kinh_doanh"]["xa_phuong"]
    data["nganh_nghe"][0]["ma_nganh"] = "56"                  # level-4 code has 4 digits
    data["von_kinh_doanh"] = 0
    data["so_lao_dong"] = -1
    data["chu_ho"]["quoc_tich"] = "Lào"                       # the owner must be a Vietnamese citizen
    data["chu_ho"]["giay_to"]["so"] = "12345"                 # identity card numbers have 12 digits
    data["kenh_nop"] = "zalo"
    data["nhan_ket_qua"] = {"hinh_thuc": "buu_chinh"}         # post needs an address
    data["cam_ket"] = False
    assert _start_errors(engine, data) == {
        "ten_ho_kinh_doanh", "dia_diem_kinh_doanh.xa_phuong", "nganh_nghe.0.ma_nganh", "von_kinh_doanh",
        "so_lao_dong", "chu_ho.quoc_tich", "chu_ho.giay_to.so", "kenh_nop", "nhan_ket_qua.dia_chi_nhan", "cam_ket",
    }


def test_missing_sections_are_reported_by_path(engine: Engine) -> None:
    data = copy.deepcopy(sample("to-khai"))
    del data["chu_ho"]["so_dinh_danh"]
    del data["kenh_nop"]
    data["nganh_nghe"] = []
    assert _start_errors(engine, data) == {"chu_ho.so_dinh_danh", "kenh_nop", "nganh_nghe"}


def test_household_members_go_with_the_household_choice(engine: Engine) -> None:
    household = copy.deepcopy(sample("to-khai"))
    household["thanh_lap_boi"] = "ho_gia_dinh"
    assert _start_errors(engine, household) == {"thanh_vien_ho_gia_dinh"}
    individual = copy.deepcopy(sample("to-khai"))
    individual["thanh_vien_ho_gia_dinh"] = [{"ho_ten": "Đinh Văn Hải", "ngay_sinh": "1983-02-11",
                                             "so_dinh_danh": "051083001122"}]
    assert _start_errors(engine, individual) == {"thanh_vien_ho_gia_dinh"}


@pytest.mark.parametrize(("before", "data", "paths"), [
    ([], {"ket_qua_tiep_nhan": "yeu_cau_bo_sung"}, ["giay_to_can_bo_sung", "ly_do"]),
    ([], {"ket_qua_tiep_nhan": "dong_y"}, ["ket_qua_tiep_nhan"]),
    ([ACCEPT], {"ma_so_ho_kinh_doanh": "43-123"}, ["ma_so_ho_kinh_doanh"]),
    ([ACCEPT, EXAMINE], {"ket_qua_phe_duyet": "tra_lai"}, ["y_kien"]),
], ids=["supplement-without-reasons", "unknown-decision", "bad-number", "send-back-without-opinion"])
def test_invalid_step_data_changes_nothing(engine: Engine, before: list[tuple[str, dict[str, Any]]],
                                           data: dict[str, Any], paths: list[str]) -> None:
    procedure = engine.load(library_package(SLUG))
    instance, _ = engine.start(procedure, sample("to-khai"), now=MONDAY_9AM)
    for _, answer in before:
        (task,) = engine.ready_tasks(instance)
        engine.complete(instance, task.id, answer, now=MONDAY_9AM)
    (task,) = engine.ready_tasks(instance)
    state = engine.serialize(instance)
    with pytest.raises(FormInvalid) as info:
        engine.complete(instance, task.id, data, now=MONDAY_9AM)
    assert [e.path for e in info.value.errors] == paths
    assert engine.serialize(instance) == state
