"""Path exploration (engine/explore.py) and the answers it makes from forms (engine/answers.py)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from engine.answers import AnswerMaker, string_matching
from engine.explore import Explorer, explore
from engine.package import PackageSource, read_package
from engine.runtime import Engine
from tests.conftest import DATA, REPO, library_package
from tests.hostile import package_files

LIBRARY = sorted(p.name for p in (REPO / "bpmn").iterdir() if p.is_dir())
PATHS = DATA / "paths" / "bpmn"
TODAY = date(2026, 6, 8)


@pytest.mark.parametrize("slug", LIBRARY)
def test_every_library_procedure_takes_every_flow(slug: str) -> None:
    report = explore(library_package(slug))
    taken, total = report.coverage
    assert total > 0 and taken == total, [w.format("en") for w in report.warnings]
    assert report.errors == [] and report.warnings == []
    assert set(report.ends) == report.ends_reached
    assert not report.bound_hit


def test_timers_fire_and_connector_errors_take_their_boundary_events() -> None:
    chung_thuc = explore(library_package("chung-thuc-ban-sao"))
    assert "Flow_het_han_lich_hen" in chung_thuc.taken  # the 30-day timer on the desk step fired
    assert "huy_lich_hen" in chung_thuc.ends_reached
    ly_lich = explore(library_package("cap-phieu-ly-lich-tu-phap"))
    # each connector answered with success and with the error code its boundary event catches
    assert {"Flow_xac_minh_gop", "Flow_loi_xac_minh_thu_cong", "Flow_da_gui", "Flow_loi_buu_chinh"} <= ly_lich.taken


def test_a_condition_that_can_never_be_true_is_reported_with_the_flow_name() -> None:
    report = explore(read_package(PATHS / "dieu-kien-sai"))
    assert report.coverage == (4, 5)
    (never,) = [w for w in report.warnings if w.code == "path_flow_never_taken"]
    assert never.element == "f_c" and never.file == "bpmn/dieu-kien-sai/process.bpmn"
    assert "'Loại không có trong tờ khai'" in never.message("vi")
    assert "The flow 'Loại không có trong tờ khai' (from 'Loại hồ sơ?' to 'Từ chối') is never taken" \
        in never.message("en")
    (end,) = report.errors
    assert end.code == "path_end_never_reached" and end.element == "tu_choi"
    assert end.message("en") == "No dossier can ever finish at 'Từ chối'."
    # the two flows from the gateway to the same step are told apart
    assert {"f_a", "f_b"} <= report.taken


def test_a_lane_routed_to_a_role_nobody_holds_is_a_step_nobody_can_act_on() -> None:
    report = explore(read_package(PATHS / "lan-khong-ai"))
    (problem,) = report.errors
    assert problem.code == "path_nobody_can_act" and problem.element == "phe_duyet"
    assert "'lanh_dao'" in problem.message("en") and "giam_doc_so" in problem.message("en")
    assert "không ai xử lý được" in problem.message("vi")


def test_a_lane_not_routed_in_the_metadata_is_a_step_nobody_can_act_on() -> None:
    # The validator refuses such a package already (lane_not_routed); the explorer checks the routing
    # the dossier would really get, e.g. after a province overlay, so test it on the metadata directly.
    explorer = Explorer(read_package(PATHS / "lan-khong-ai"))
    metadata = dict(explorer.procedure.metadata)
    metadata["lanes"] = {k: v for k, v in metadata["lanes"].items() if k != "lanh_dao"}
    explorer.procedure = dataclasses.replace(explorer.procedure, metadata=metadata)
    report = explorer.run()
    (problem,) = report.errors
    assert problem.element == "phe_duyet"
    assert "is not routed to any unit in procedure.yaml" in problem.message("en")


def test_a_script_that_fails_on_valid_data_is_a_warning_with_the_end_it_hides() -> None:
    report = explore(PackageSource("thu-doc", package_files("le_phi = so_ban_khong_co + 1")))
    failed = [w for w in report.warnings if w.code == "path_failed"]
    assert len(failed) == 1 and failed[0].element == "tinh_phi"
    assert "so_ban_khong_co" in failed[0].message("en") and "'Tính phí'" in failed[0].message("vi")
    # nothing beyond the failure was explored, so the end is not proven unreachable: a warning too
    assert report.errors == []
    assert [w.element for w in report.warnings if w.code == "path_end_never_reached"] == ["xong"]


def test_the_bound_is_said_and_unreached_ends_are_then_only_warnings() -> None:
    report = explore(library_package("khai-sinh"), max_actions=3)
    assert report.bound_hit and report.actions == 3
    assert report.errors == []
    codes = {w.code for w in report.warnings}
    assert {"path_bound_reached", "path_flow_never_taken", "path_end_never_reached"} <= codes
    bound = next(w for w in report.warnings if w.code == "path_bound_reached")
    assert "3" in bound.message("en")


# --- answers from JSON Schema --------------------------------------------------------------------

def _form(schema: dict, slug: str = "moi", name: str = "to-khai") -> tuple[Engine, object]:
    """A compiled form of a one-step package using ``schema`` (with the library's shared fragments)."""
    files = package_files("le_phi = 0", slug=slug)
    files[f"forms/{slug}/{name}.schema.json"] = json.dumps(schema).encode()
    for fragment in (REPO / "forms" / "common").iterdir():
        files[f"forms/common/{fragment.name}"] = fragment.read_bytes()
    engine = Engine()
    procedure = engine.load(PackageSource(slug, files))
    return engine, procedure.forms[f"{slug}/{name}.schema.json"]


NEW_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "so_dinh_danh": {"type": "string", "pattern": "^[0-9]{12}$"},
        "nguoi": {"$ref": "../common/nguoi.schema.json"},
        "giay_to": {"$ref": "../common/giay-to-tuy-than.schema.json"},
        "nhan_ket_qua": {"$ref": "../common/nhan-ket-qua.schema.json"},
        "ngay_hen": {"type": "string", "format": "date"},
        "email": {"type": "string", "format": "email"},
        "ma_so_thue": {"type": "string", "pattern": "^[0-9]{10}(-[0-9]{3})?$", "minLength": 10},
        "so_ban": {"type": "integer", "minimum": 1, "maximum": 20},
        "loai": {"type": "string", "oneOf": [{"const": "ca_nhan"}, {"const": "to_chuc"}]},
        "to_chuc": {"type": "object", "properties": {"ten": {"type": "string", "minLength": 2}}, "required": ["ten"]},
        "hang_muc": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/muc"}},
    },
    "required": ["so_dinh_danh", "nguoi", "giay_to", "nhan_ket_qua", "ngay_hen", "email", "ma_so_thue", "so_ban",
                 "loai", "hang_muc"],
    "$defs": {"muc": {"type": "object", "properties": {"ten": {"type": "string"}, "so_trang": {"type": "integer",
                                                                                               "minimum": 1}},
                      "required": ["ten", "so_trang"]}},
    "allOf": [
        {"if": {"properties": {"loai": {"const": "to_chuc"}}, "required": ["loai"]},
         "then": {"required": ["to_chuc"]}, "else": {"properties": {"to_chuc": {"not": {}}}}},
    ],
}


def test_answers_follow_refs_conditions_patterns_and_formats() -> None:
    _, form = _form(NEW_FORM)
    maker = AnswerMaker(form, TODAY, {"so_ban": [5]})
    answer = maker.make()
    assert answer is not None and maker.accepts(answer)
    assert len(answer["so_dinh_danh"]) == 12 and answer["so_dinh_danh"].isdigit()
    assert answer["ngay_hen"] == "2026-06-08" and "@" in answer["email"]
    assert len(answer["hang_muc"]) == 2 and "to_chuc" not in answer
    answers = maker.variants({"loai", "nhan_ket_qua", "so_ban", "ngay_hen"})
    assert all(maker.accepts(a) for a in answers)
    assert {a["loai"] for a in answers} == {"ca_nhan", "to_chuc"}
    assert all("to_chuc" in a for a in answers if a["loai"] == "to_chuc")  # the then-branch made it required
    assert {a["nhan_ket_qua"]["hinh_thuc"] for a in answers} == {"truc_tuyen", "tai_quay", "buu_chinh"}
    # buu_chinh makes the delivery address required (if/then in forms/common/nhan-ket-qua.schema.json)
    assert all("dia_chi_nhan" in a["nhan_ket_qua"] for a in answers if a["nhan_ket_qua"]["hinh_thuc"] == "buu_chinh")
    assert {4, 5, 6} <= {a["so_ban"] for a in answers}  # around the constant a condition compares it with
    assert {"2026-06-08", "2016-06-07"} <= {a["ngay_hen"] for a in answers}


def test_a_choice_only_allowed_with_another_is_reached_with_pairs() -> None:
    schema = {
        "type": "object",
        "properties": {
            "loai": {"type": "string", "enum": ["a", "b"]},
            "chi_tiet": {"type": "object", "properties": {"muc": {"type": "string", "enum": ["x", "y"]}},
                         "required": ["muc"]},
        },
        "required": ["loai"],
        "if": {"properties": {"loai": {"const": "b"}}},
        "then": {"required": ["chi_tiet"]},
        "else": {"properties": {"chi_tiet": {"not": {}}}},
    }
    _, form = _form(schema)
    maker = AnswerMaker(form, TODAY)
    singles = maker.variants({"chi_tiet", "loai"})
    paired = maker.variants({"chi_tiet", "loai"}, pairs=True)
    assert {a.get("chi_tiet", {}).get("muc") for a in singles} == {None, "x"}
    assert {a.get("chi_tiet", {}).get("muc") for a in paired} == {None, "x", "y"}


@pytest.mark.parametrize("pattern", [r"^[0-9]{12}$", r"^0[0-9]{9}$", r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                     r"^(Hộ kinh doanh|HỘ KINH DOANH) \S.*$", r"^[A-Z]{2}[0-9]{6,8}$", r"[a-z]+-\d+"])
def test_strings_are_written_to_match_simple_patterns(pattern: str) -> None:
    import re

    text = string_matching(pattern, 3)
    assert text is not None and re.search(pattern, text)


def test_patterns_the_writer_cannot_handle_give_none() -> None:
    assert string_matching(r"^(a)\1$") is None  # a back-reference (RE2 refuses it too)


def test_every_library_form_gets_a_valid_answer() -> None:
    engine = Engine()
    for slug in LIBRARY:
        procedure = engine.load(library_package(slug))
        for path, form in procedure.forms.items():
            if path.startswith(f"{slug}/"):
                answer = AnswerMaker(form, TODAY).make()
                assert answer is not None, path

