"""The inter-agency bundle death registration + residence removal + funeral allowance:
one declaration, three agencies, one dossier."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.forms import FormInvalid
from engine.runtime import Engine
from tests.conftest import library_package
from tests.engine import procedure_runner as runner
from tests.engine.procedure_runner import MONDAY_9AM, Run

SLUG = "lien-thong-khai-tu"


def sample(name: str) -> dict[str, Any]:
    return runner.sample(SLUG, name)


def play(engine: Engine, answers: list[tuple[str, dict[str, Any]]], **options: Any) -> Run:
    return runner.play(engine, SLUG, answers, **options)


ACCEPT = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
REGISTER_DEATH = ("tham_dinh_xu_ly", sample("tham-dinh"))
SIGN = ("phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
RESIDENCE = ("xoa_dang_ky_thuong_tru", sample("xoa-thuong-tru"))
ALLOWANCE = ("giai_quyet_mai_tang_phi", sample("mai-tang-phi"))
RETURN = ("tra_ket_qua", sample("tra-ket-qua"))


def test_three_agencies_one_dossier_three_results(engine: Engine) -> None:
    run = play(engine, [ACCEPT, REGISTER_DEATH, SIGN, RESIDENCE, ALLOWANCE, RETURN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert [lane for _, lane, _ in run.steps] == [
        "tiep_nhan", "chuyen_vien_ho_tich", "lanh_dao", "cong_an", "bhxh", "tiep_nhan"]
    assert run.ready[3] == ["giai_quyet_mai_tang_phi", "xoa_dang_ky_thuong_tru"]
    assert (run.data["so_dang_ky"], run.data["ngay_xoa"], run.data["so_tien"]) == ("45/2026", "2026-06-09", 23_400_000)


def test_allowance_first_then_residence(engine: Engine) -> None:
    run = play(engine, [ACCEPT, REGISTER_DEATH, SIGN, ALLOWANCE, RESIDENCE, RETURN])
    assert run.ready[4] == ["xoa_dang_ky_thuong_tru"]
    assert run.completed


def test_not_entitled_needs_a_reason(engine: Engine) -> None:
    with pytest.raises(FormInvalid) as caught:
        play(engine, [ACCEPT, REGISTER_DEATH, SIGN, ("giai_quyet_mai_tang_phi", {"ket_qua": "khong_thuoc_doi_tuong"})])
    assert [e.path for e in caught.value.errors] == ["ly_do"]
    refusal = {"ket_qua": "khong_thuoc_doi_tuong", "ly_do": "Người chết không tham gia bảo hiểm xã hội"}
    run = play(engine, [ACCEPT, REGISTER_DEATH, SIGN, RESIDENCE, ("giai_quyet_mai_tang_phi", refusal), RETURN])
    assert run.completed and run.statuses[-1] == 10


def test_within_three_working_days_when_every_step_takes_its_full_time(engine: Engine) -> None:
    run = play(engine, [ACCEPT, REGISTER_DEATH, SIGN, RESIDENCE, ALLOWANCE, RETURN], minutes_per_step=None)
    assert run.finished_at is not None
    assert run.finished_at <= engine.calendar.due_at(MONDAY_9AM, 3, "working_days")


def test_supplement_and_refusal(engine: Engine) -> None:
    supplement = ("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Thiếu giấy báo tử",
                                      "giay_to_can_bo_sung": "Giấy báo tử"})
    resubmit = ("bo_sung_ho_so", {"noi_dung_bo_sung": "Đã nộp bản chụp giấy báo tử"})
    run = play(engine, [supplement, resubmit, ACCEPT, REGISTER_DEATH, SIGN, RESIDENCE, ALLOWANCE, RETURN])
    assert run.statuses == [1, 5, 2, 4, 9, 10]
    refused = play(engine, [("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tu_choi", "ly_do": "Không thuộc thẩm quyền"})])
    assert refused.statuses == [1, 3]


def test_asking_for_the_allowance_needs_the_recipient(engine: Engine) -> None:
    data = copy.deepcopy(sample("to-khai"))
    del data["mai_tang"]["nguoi_nhan"]
    with pytest.raises(FormInvalid) as caught:
        engine.start(engine.load(library_package(SLUG)), data, now=MONDAY_9AM)
    assert [e.path for e in caught.value.errors] == ["mai_tang.nguoi_nhan"]
    data["mai_tang"] = {"de_nghi": False}
    instance, _ = engine.start(engine.load(library_package(SLUG)), data, now=MONDAY_9AM)
    assert instance.status == 1
