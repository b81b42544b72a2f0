"""The inter-agency bundle birth registration + permanent residence + health insurance card
(children under 6): one declaration, three agencies, one dossier, at most 3 working days."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.forms import FormInvalid
from engine.runtime import Engine
from tests.conftest import library_package
from tests.engine import procedure_runner as runner
from tests.engine.procedure_runner import MONDAY_9AM, Run

SLUG = "lien-thong-khai-sinh"
at = runner.june


def sample(name: str) -> dict[str, Any]:
    return runner.sample(SLUG, name)


def play(engine: Engine, answers: list[tuple[str, dict[str, Any]]], **options: Any) -> Run:
    return runner.play(engine, SLUG, answers, **options)


ACCEPT = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
REGISTER_BIRTH = ("tham_dinh_xu_ly", sample("tham-dinh"))
SIGN = ("phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
RESIDENCE = ("dang_ky_thuong_tru", sample("dang-ky-thuong-tru"))
INSURANCE = ("cap_the_bhyt", sample("cap-the-bhyt"))
RETURN = ("tra_ket_qua", sample("tra-ket-qua"))


def test_three_agencies_one_dossier_three_results(engine: Engine) -> None:
    run = play(engine, [ACCEPT, REGISTER_BIRTH, SIGN, RESIDENCE, INSURANCE, RETURN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert [(element, lane) for element, lane, _ in run.steps] == [
        ("tiep_nhan_ho_so", "tiep_nhan"), ("tham_dinh_xu_ly", "chuyen_vien_ho_tich"), ("phe_duyet", "lanh_dao"),
        ("dang_ky_thuong_tru", "cong_an"), ("cap_the_bhyt", "bhxh"), ("tra_ket_qua", "tiep_nhan")]
    # The police and social insurance get the dossier together once the birth is registered.
    assert run.ready[3] == ["cap_the_bhyt", "dang_ky_thuong_tru"]
    assert run.ready[4] == ["cap_the_bhyt"]
    # One dossier carries the three results.
    assert run.data["so_dinh_danh_ca_nhan"] == sample("tham-dinh")["so_dinh_danh_ca_nhan"]
    assert run.data["noi_thuong_tru"].startswith("Số 12")
    assert run.data["ma_the"] == "TE1350123456789"


def test_the_two_agencies_work_in_either_order(engine: Engine) -> None:
    run = play(engine, [ACCEPT, REGISTER_BIRTH, SIGN, INSURANCE, RESIDENCE, RETURN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.ready[4] == ["dang_ky_thuong_tru"]  # the result waits for the police
    assert run.completed


def test_the_result_is_not_returned_before_both_agencies_finish(engine: Engine) -> None:
    with pytest.raises(AssertionError, match="tra_ket_qua is not ready"):
        play(engine, [ACCEPT, REGISTER_BIRTH, SIGN, RESIDENCE, RETURN])


def test_every_step_is_due_within_three_working_days(engine: Engine) -> None:
    """Each step completed at the last minute still ends within the bundle's 3 working days."""
    run = play(engine, [ACCEPT, REGISTER_BIRTH, SIGN, RESIDENCE, INSURANCE, RETURN], minutes_per_step=None)
    limit = engine.calendar.due_at(MONDAY_9AM, 3, "working_days")
    assert run.completed
    assert run.finished_at is not None and run.finished_at <= limit
    assert max(due for _, _, due in run.steps if due) <= limit


def test_supplement_refusal_and_send_back(engine: Engine) -> None:
    supplement = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Thiếu giấy chứng sinh",
                                      "giay_to_can_bo_sung": "Giấy chứng sinh"})
    resubmit = ("bo_sung_ho_so", {"noi_dung_bo_sung": "Đã nộp bản chụp giấy chứng sinh"})
    send_back = ("phe_duyet", {"ket_qua_phe_duyet": "tra_lai", "y_kien": "Kiểm tra lại quê quán"})
    run = play(engine, [supplement, resubmit, ACCEPT, REGISTER_BIRTH, send_back, REGISTER_BIRTH, SIGN,
                        RESIDENCE, INSURANCE, RETURN])
    assert run.statuses == [1, 5, 2, 4, 4, 9, 10]
    assert run.completed
    refused = play(engine, [("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tu_choi", "ly_do": "Trẻ đã đủ 6 tuổi"})])
    assert refused.statuses == [1, 3]
    assert refused.completed


@pytest.mark.parametrize(("birth", "fee"), [("2026-05-01", 0), ("2026-01-05", 8000)])
def test_birth_registration_fee_from_the_decision_table(engine: Engine, birth: str, fee: int) -> None:
    data = sample("to-khai")
    data["tre_em"]["ngay_sinh"] = birth
    instance, _ = engine.start(engine.load(library_package(SLUG)), data, now=MONDAY_9AM)
    assert instance.data["le_phi"] == fee


def test_the_declaration_needs_the_residence_and_insurance_parts(engine: Engine) -> None:
    data = copy.deepcopy(sample("to-khai"))
    del data["thuong_tru"]
    data["bao_hiem_y_te"] = {"noi_kham_chua_benh": ""}
    with pytest.raises(FormInvalid) as caught:
        engine.start(engine.load(library_package(SLUG)), data, now=MONDAY_9AM)
    assert {e.path for e in caught.value.errors} == {"thuong_tru", "bao_hiem_y_te.noi_kham_chua_benh"}


def test_an_invalid_insurance_card_number_is_refused(engine: Engine) -> None:
    bad = dict(sample("cap-the-bhyt"), ma_the="123")
    with pytest.raises(FormInvalid) as caught:
        play(engine, [ACCEPT, REGISTER_BIRTH, SIGN, ("cap_the_bhyt", bad)])
    assert [e.path for e in caught.value.errors] == ["ma_the"]
