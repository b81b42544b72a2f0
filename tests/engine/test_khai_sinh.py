"""Birth registration (1.001193) through every branch, with statuses, deadlines and fees."""

from __future__ import annotations

import copy
from datetime import date, timedelta
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


# --- the cases of the national record (1.001193) ---------------------------------------------

def declaration(**changes: Any) -> dict[str, Any]:
    """The sample declaration with top-level sections replaced (None removes a section)."""
    data = copy.deepcopy(sample("to-khai"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def errors_of(engine: Engine, data: dict[str, Any]) -> dict[str, str]:
    procedure = engine.load(library_package(SLUG))
    with pytest.raises(FormInvalid) as info:
        engine.start(procedure, data, now=MONDAY_9AM)
    return {e.path: e.message for e in info.value.errors}


MOTHER_FILES = {
    "ho_ten": "Đỗ Thị Hạnh", "ngay_sinh": "1999-11-02", "gioi_tinh": "nu", "dan_toc": "Kinh",
    "quoc_tich": "Việt Nam", "so_dinh_danh": "036199007788", "quan_he_voi_tre": "me",
    "giay_to": {"loai": "can_cuoc", "so": "036199007788", "ngay_cap": "2024-07-01",
                "noi_cap": "Bộ Công an"},
    "dia_chi": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Xã Hải Hậu", "dia_chi_chi_tiet": "Xóm 3, thôn Trung Thành"},
}
MOTHER = {"ho_ten": "Đỗ Thị Hạnh", "nam_sinh": 1999, "dan_toc": "Kinh", "quoc_tich": "Việt Nam",
          "so_dinh_danh": "036199007788",
          "noi_cu_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Xã Hải Hậu",
                         "dia_chi_chi_tiet": "Xóm 3, thôn Trung Thành"}}
BABY = {"ho_ten": "Đỗ Bảo Ngọc", "ngay_sinh": "2026-05-20", "gioi_tinh": "nu", "dan_toc": "Kinh",
        "quoc_tich": "Việt Nam", "noi_sinh": "Trạm y tế xã Hải Hậu, tỉnh Ninh Bình",
        "que_quan": "Xã Hải Hậu, tỉnh Ninh Bình"}
ON_TIME = ("Miễn lệ phí: đăng ký khai sinh đúng hạn, trong 60 ngày kể từ ngày sinh "
           "(Luật Hộ tịch, Điều 11 khoản 1 điểm b và Điều 15).")
FULL_PATH = [ACCEPT, PROCESS, APPROVE, RETURN]
# Submitted Monday 09:00, a step every 30 minutes: every case is a same-day procedure.
SAME_DAY_STEPS = [("tiep_nhan_ho_so", "tiep_nhan", at(8, 11)),
                  ("tham_dinh_xu_ly", "chuyen_vien_ho_tich", at(8, 11, 30)),
                  ("phe_duyet", "lanh_dao", at(8, 11)), ("tra_ket_qua", "tiep_nhan", at(8, 11, 30))]


def test_father_not_identified_leaves_the_fathers_part_of_the_certificate_blank(engine: Engine) -> None:
    data = declaration(nguoi_yeu_cau=MOTHER_FILES, tre_em=BABY, me=MOTHER, chua_xac_dinh_cha=True, cha=None,
                       doi_tuong_uu_tien=False, doi_tuong_mien_le_phi=None)
    run = play(engine, FULL_PATH, start=data)
    assert run.statuses == [1, 2, 4, 9, 10] and run.completed
    assert run.steps == SAME_DAY_STEPS
    assert (run.data["le_phi"], run.data["ly_do_le_phi"]) == (0, ON_TIME)  # 19 days after birth
    certificate = run.data["giay_khai_sinh"]
    assert certificate["cha"] is None
    assert certificate["me"] == {k: MOTHER[k] for k in ("ho_ten", "nam_sinh", "dan_toc", "quoc_tich", "noi_cu_tru")}
    assert certificate["so_dinh_danh_ca_nhan"] == "036225000789"
    assert (certificate["ho_ten"], certificate["ngay_sinh"], certificate["gioi_tinh"]) \
        == ("Đỗ Bảo Ngọc", "2026-05-20", "nu")
    assert run.data["ghi_chu_so_ho_tich"] == ""


def test_father_identified_appears_on_the_certificate(engine: Engine) -> None:
    run = play(engine, FULL_PATH)
    certificate = run.data["giay_khai_sinh"]
    assert certificate["cha"]["ho_ten"] == "Trần Văn Hùng" and certificate["me"]["ho_ten"] == "Nguyễn Thị Lan"
    assert certificate["que_quan"] == "Xã Hải Hậu, tỉnh Ninh Bình"


def test_the_father_is_either_declared_or_marked_unidentified(engine: Engine) -> None:
    assert set(errors_of(engine, declaration(chua_xac_dinh_cha=False, cha=None))) == {"cha"}
    assert set(errors_of(engine, declaration(chua_xac_dinh_cha=True))) == {"cha"}  # ticked, yet a father given
    assert set(errors_of(engine, declaration(me=None))) == {"me"}


def test_a_witness_statement_replaces_the_birth_certificate(engine: Engine) -> None:
    witness = {"ho_ten": "Lê Thị Hoa", "so_dinh_danh": "036170003344",
               "noi_cu_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Xã Hải Hậu", "dia_chi_chi_tiet": "Xóm 5"}}
    assert set(errors_of(engine, declaration(giay_to_ve_viec_sinh="van_ban_nguoi_lam_chung"))) == {"nguoi_lam_chung"}
    run = play(engine, FULL_PATH, start=declaration(giay_to_ve_viec_sinh="van_ban_nguoi_lam_chung",
                                                    nguoi_lam_chung=witness))
    assert run.statuses == [1, 2, 4, 9, 10] and run.data["nguoi_lam_chung"]["ho_ten"] == "Lê Thị Hoa"
    assert run.steps == SAME_DAY_STEPS


def test_an_undertaking_without_a_witness_is_accepted_and_takes_no_witness(engine: Engine) -> None:
    run = play(engine, FULL_PATH, start=declaration(giay_to_ve_viec_sinh="giay_cam_doan"))
    assert run.completed and run.statuses[-1] == 10
    witness = {"ho_ten": "Lê Thị Hoa", "noi_cu_tru": MOTHER["noi_cu_tru"]}
    assert set(errors_of(engine, declaration(giay_to_ve_viec_sinh="giay_cam_doan", nguoi_lam_chung=witness))) \
        == {"nguoi_lam_chung"}
    assert set(errors_of(engine, declaration(giay_to_ve_viec_sinh=None))) == {"giay_to_ve_viec_sinh"}


CARER = {
    "ho_ten": "Phạm Thị Thu", "ngay_sinh": "1980-04-12", "gioi_tinh": "nu", "dan_toc": "Kinh",
    "quoc_tich": "Việt Nam", "so_dinh_danh": "036180005566", "quan_he_voi_tre": "nguoi_nuoi_duong",
    "to_chuc_nuoi_duong": "Trung tâm Công tác xã hội tỉnh Ninh Bình",
    "giay_to": {"loai": "cccd", "so": "036180005566", "ngay_cap": "2021-08-20",
                "noi_cap": "Cục Cảnh sát quản lý hành chính về trật tự xã hội"},
    "dia_chi": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Hoa Lư", "dia_chi_chi_tiet": "Số 8, đường Lê Thái Tổ"},
}
FOUNDLING = {"ho_ten": "Nguyễn Hải An", "ngay_sinh": "2026-05-01", "gioi_tinh": "nam", "dan_toc": "Kinh",
             "quoc_tich": "Việt Nam", "noi_sinh": "Xã Cổ Lễ, tỉnh Ninh Bình", "que_quan": "Xã Cổ Lễ, tỉnh Ninh Bình"}


def abandoned(last_notice: str = "2026-05-31", **changes: Any) -> dict[str, Any]:
    record = {"so_bien_ban": "05/BB-UBND", "ngay_lap": "2026-05-02", "co_quan_lap": "Ủy ban nhân dân xã Cổ Lễ",
              "noi_phat_hien": "Cổng chùa Cổ Lễ, xã Cổ Lễ, tỉnh Ninh Bình", "ngay_thong_bao_cuoi": last_notice}
    base = {"truong_hop": "tre_bi_bo_roi", "nguoi_yeu_cau": CARER, "tre_em": FOUNDLING, "bien_ban_bo_roi": record,
            "giay_to_ve_viec_sinh": None, "me": None, "cha": None, "chua_xac_dinh_cha": None,
            "doi_tuong_uu_tien": False, "doi_tuong_mien_le_phi": None}
    return declaration(**{**base, **changes})


def test_an_abandoned_child_is_registered_by_the_carer_with_the_record_in_place_of_a_birth_certificate(
        engine: Engine) -> None:
    run = play(engine, FULL_PATH, start=abandoned())  # last notice 31/05: the 7 days ended on 07/06
    assert run.statuses == [1, 2, 4, 9, 10] and run.completed
    assert run.steps == SAME_DAY_STEPS
    assert (run.data["le_phi"], run.data["ly_do_le_phi"]) == (0, ON_TIME)  # 38 days after the recorded birth date
    certificate = run.data["giay_khai_sinh"]
    assert certificate["me"] is None and certificate["cha"] is None
    assert certificate["noi_sinh"] == "Xã Cổ Lễ, tỉnh Ninh Bình"
    assert run.data["ghi_chu_so_ho_tich"] == \
        "Trẻ bị bỏ rơi, theo biên bản số 05/BB-UBND ngày 02/05/2026 của Ủy ban nhân dân xã Cổ Lễ."


@pytest.mark.parametrize(("last_notice", "accepted"), [
    ("2026-05-31", True),    # 7 full days (01/06-07/06) have passed by 08/06
    ("2026-06-01", False),   # the 7th day is today: too early
    ("2026-06-05", False),
])
def test_an_abandoned_child_is_registered_only_after_the_notice_period(
        engine: Engine, last_notice: str, accepted: bool) -> None:
    procedure = engine.load(library_package(SLUG))
    instance, advance = engine.start(procedure, abandoned(last_notice), now=MONDAY_9AM)
    if accepted:
        assert [c.code for c in advance.status_changes] == [1]
        assert [t.element_id for t in engine.ready_tasks(instance)] == ["tiep_nhan_ho_so"]
        assert "ly_do" not in instance.data
    else:
        assert [c.code for c in advance.status_changes] == [1, 3] and advance.completed
        assert engine.ready_tasks(instance) == []
        reopen = (date.fromisoformat(last_notice) + timedelta(days=8)).strftime("%d/%m/%Y")
        assert instance.data["ly_do"].endswith(f"Nộp lại hồ sơ từ ngày {reopen}.")
        assert instance.data["ly_do"].startswith("Chưa hết thời hạn 07 ngày kể từ ngày thông báo cuối cùng")


def test_an_abandoned_childs_declaration_takes_no_birth_certificate_and_only_a_carer_files(engine: Engine) -> None:
    errors = errors_of(engine, abandoned(giay_to_ve_viec_sinh="giay_chung_sinh",
                                         nguoi_yeu_cau={**CARER, "quan_he_voi_tre": "cha", "to_chuc_nuoi_duong": None}))
    assert {"giay_to_ve_viec_sinh", "nguoi_yeu_cau.quan_he_voi_tre"} <= set(errors)
    assert set(errors_of(engine, abandoned(bien_ban_bo_roi=None))) == {"bien_ban_bo_roi"}
    # The record belongs to the abandoned-child case only.
    record = abandoned()["bien_ban_bo_roi"]
    assert set(errors_of(engine, declaration(bien_ban_bo_roi=record))) == {"bien_ban_bo_roi"}
    # An organisation's name only when the requester is the carer.
    parent = {**sample("to-khai")["nguoi_yeu_cau"], "to_chuc_nuoi_duong": "Trung tâm Công tác xã hội"}
    assert set(errors_of(engine, declaration(nguoi_yeu_cau=parent))) == {"nguoi_yeu_cau.to_chuc_nuoi_duong"}


def test_a_found_mother_may_still_be_declared_for_an_abandoned_child(engine: Engine) -> None:
    run = play(engine, FULL_PATH, start=abandoned(me=MOTHER, chua_xac_dinh_cha=True))
    assert run.data["giay_khai_sinh"]["me"]["ho_ten"] == "Đỗ Thị Hạnh" and run.data["giay_khai_sinh"]["cha"] is None


SURROGACY_PAPER = {"so_van_ban": "12/2026/MTH", "ngay_van_ban": "2025-09-15",
                   "noi_cap": "Bệnh viện Phụ sản Trung ương"}


def test_a_child_born_through_surrogacy_needs_the_surrogacy_document_and_both_parents(engine: Engine) -> None:
    assert set(errors_of(engine, declaration(truong_hop="mang_thai_ho"))) == {"van_ban_mang_thai_ho"}
    errors = errors_of(engine, declaration(truong_hop="mang_thai_ho", van_ban_mang_thai_ho=SURROGACY_PAPER,
                                           chua_xac_dinh_cha=True, cha=None))
    assert set(errors) == {"chua_xac_dinh_cha"}
    assert set(errors_of(engine, declaration(van_ban_mang_thai_ho=SURROGACY_PAPER))) == {"van_ban_mang_thai_ho"}
    run = play(engine, FULL_PATH, start=declaration(truong_hop="mang_thai_ho", van_ban_mang_thai_ho=SURROGACY_PAPER))
    assert run.statuses == [1, 2, 4, 9, 10] and run.steps == SAME_DAY_STEPS
    assert run.data["giay_khai_sinh"]["cha"]["ho_ten"] == "Trần Văn Hùng"


GRANDMOTHER = {**MOTHER_FILES, "ho_ten": "Vũ Thị Mai", "ngay_sinh": "1968-02-10", "so_dinh_danh": "036168001122",
               "quan_he_voi_tre": "nguoi_duoc_uy_quyen",
               "giay_to": {"loai": "cccd", "so": "036168001122", "ngay_cap": "2021-03-01",
                           "noi_cap": "Cục Cảnh sát quản lý hành chính về trật tự xã hội"}}


def on_behalf(relation: str, notarised: bool | None = None) -> dict[str, Any]:
    authority: dict[str, Any] = {"nguoi_uy_quyen": "Trần Văn Hùng", "quan_he_nguoi_uy_quyen_voi_tre": "cha",
                                 "quan_he_voi_nguoi_uy_quyen": relation}
    if notarised is not None:
        authority["da_cong_chung_chung_thuc"] = notarised
    return declaration(nguoi_yeu_cau=GRANDMOTHER, uy_quyen=authority, doi_tuong_uu_tien=False)


def test_registration_on_behalf_needs_an_authorisation_notarised_unless_a_close_relative_files(
        engine: Engine) -> None:
    assert set(errors_of(engine, declaration(nguoi_yeu_cau=GRANDMOTHER))) == {"uy_quyen"}
    assert set(errors_of(engine, on_behalf("khac"))) == {"uy_quyen.da_cong_chung_chung_thuc"}
    assert set(errors_of(engine, on_behalf("khac", notarised=False))) == {"uy_quyen.da_cong_chung_chung_thuc"}
    # Only a requester marked as authorised files an authorisation.
    assert set(errors_of(engine, declaration(uy_quyen=on_behalf("cha_me")["uy_quyen"]))) == {"uy_quyen"}
    # The grandmother is the father's mother: no notarisation; the late registration pays the fee.
    run = play(engine, [ACCEPT, PAY, PROCESS, APPROVE, RETURN], start=on_behalf("cha_me"))
    assert run.statuses == [1, 2, 6, 4, 9, 10] and run.completed
    # Processing waits for the payment (no deadline there); each later step counts from its entry, over lunch
    # (11:30-13:30) when it must: processing entered 10:00 for 2h, the return entered 11:00 for 1h.
    assert run.steps == [("tiep_nhan_ho_so", "tiep_nhan", at(8, 11)), ("cho_nop_le_phi", "cong_dan", None),
                         ("tham_dinh_xu_ly", "chuyen_vien_ho_tich", at(8, 14)),
                         ("phe_duyet", "lanh_dao", at(8, 11, 30)), ("tra_ket_qua", "tiep_nhan", at(8, 14))]
    assert run.data["thanh_toan"]["so_tien"] == 8000
    assert run.data["ly_do_le_phi"].startswith("Nộp lệ phí: đăng ký khai sinh quá 60 ngày")
    run = play(engine, [ACCEPT, PAY, PROCESS, APPROVE, RETURN], start=on_behalf("khac", notarised=True))
    assert run.completed


def test_a_child_born_abroad_is_out_of_scope_with_a_clear_message(engine: Engine) -> None:
    errors = errors_of(engine, declaration(truong_hop="sinh_o_nuoc_ngoai"))
    assert set(errors) == {"truong_hop"}
    assert "Trường hợp đăng ký khai sinh" in errors["truong_hop"]
    metadata = engine.load(library_package(SLUG)).metadata
    assert "trẻ em sinh ra ở nước ngoài đăng ký theo" in " ".join(metadata["applicants"]["vi"].split())


def test_an_exemption_names_its_group(engine: Engine) -> None:
    assert set(errors_of(engine, declaration(doi_tuong_mien_le_phi=None))) == {"doi_tuong_mien_le_phi"}
    assert set(errors_of(engine, declaration(doi_tuong_mien_le_phi="tre_mo_coi"))) == {"doi_tuong_mien_le_phi"}


def _fee_and_reason(engine: Engine, birth: str, group: str | None) -> tuple[int, str, str]:
    data = declaration(doi_tuong_uu_tien=group is not None, doi_tuong_mien_le_phi=group)
    data["tre_em"]["ngay_sinh"] = birth
    instance, _ = engine.start(engine.load(library_package(SLUG)), data, now=MONDAY_9AM)
    return instance.data["le_phi"], instance.data["ly_do_le_phi"], instance.data["ly_do_le_phi_en"]


@pytest.mark.parametrize(("birth", "group", "fee", "reason", "reason_en"), [
    ("2026-06-08", None, 0, "đăng ký khai sinh đúng hạn", "registered on time"),         # the day of birth
    ("2026-04-09", None, 0, "đăng ký khai sinh đúng hạn", "registered on time"),         # day 60
    ("2026-04-08", None, 8000, "quá 60 ngày", "more than 60 days"),                      # day 61
    ("2020-01-15", "gia_dinh_co_cong", 0, "gia đình có công với cách mạng", "revolutionary merit"),
    ("2020-01-15", "ho_ngheo", 0, "hộ nghèo", "poor household"),
    ("2020-01-15", "nguoi_khuyet_tat", 0, "người khuyết tật", "disability"),
    ("2026-05-20", "ho_ngheo", 0, "hộ nghèo", "poor household"),                         # both: the group is named
])
def test_fee_and_the_exemption_reason_come_from_the_decision_table(
        engine: Engine, birth: str, group: str | None, fee: int, reason: str, reason_en: str) -> None:
    got_fee, got_reason, got_reason_en = _fee_and_reason(engine, birth, group)
    assert got_fee == fee
    assert reason in got_reason
    assert ("Luật Hộ tịch" in got_reason) == (fee == 0)  # an exemption cites its legal ground
    assert reason_en in got_reason_en
