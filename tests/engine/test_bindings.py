"""procedure.yaml ``fields:`` (engine/bindings.py): defaults are the library's names, a package may
name its own paths, and the validator refuses a declared path that no form of the package has."""

from __future__ import annotations

from engine.bindings import CONCEPTS, Bindings
from engine.compiler import validate_package
from engine.local_systems import default_registry
from engine.package import PackageSource, read_package
from tests.conftest import REPO

DECLARATION = {"nguoi_yeu_cau": {"ho_ten": "Trần Văn Hùng", "so_dinh_danh": "036091001234"},
               "nhan_ket_qua": {"so_dien_thoai": "0912345678", "email": "hung@example.vn", "nhan_qua_zalo": True}}


def test_without_fields_the_library_names_are_read() -> None:
    bindings = Bindings.for_metadata({"code": "1.001193"})
    assert bindings.declared == frozenset()
    assert bindings.path("contact_phone") == "nhan_ket_qua.so_dien_thoai"
    assert bindings.get(DECLARATION, "applicant_id_number") == "036091001234"
    assert bindings.get(DECLARATION, "contact_zalo") is True
    assert bindings.text({"ly_do": "  Giấy tờ bị mờ "}, "refusal_reason") == "Giấy tờ bị mờ"
    assert bindings.text({"giay_to_can_bo_sung": ["Bản sao", "Ảnh"]}, "supplement_items") == "Bản sao; Ảnh"
    assert bindings.get({}, "delivery") is None and bindings.text({"ly_do": 3}, "stop_reason") == "3"
    approval = bindings.approval("phe_duyet")
    assert approval.sent_back({"ket_qua_phe_duyet": "tra_lai"}) and not approval.sent_back({"ket_qua_phe_duyet": "x"})
    assert set(CONCEPTS) >= {"applicant_name", "contact_email", "supplement_items", "refusal_reason", "opinion"}


def test_declared_paths_replace_the_defaults_and_steps_have_their_own() -> None:
    bindings = Bindings.for_metadata({"fields": {
        "contact_phone": "lien_lac.di_dong", "refusal_reason": "vi_sao", "opinion": "ghi_chu",
        "steps": {"ky": {"decision": "ket_luan", "send_back": ["lam_lai"]}}}})
    assert bindings.declared == {"contact_phone", "refusal_reason", "opinion"}
    assert bindings.get({"lien_lac": {"di_dong": "0987654321"}}, "contact_phone") == "0987654321"
    assert bindings.get(DECLARATION, "contact_phone") is None  # the library's name is not read any more
    assert bindings.text({"vi_sao": "Sai thẩm quyền"}, "refusal_reason") == "Sai thẩm quyền"
    assert bindings.text({"ghi_chu": "Đồng ý"}, "opinion", step="ky") == "Đồng ý"  # the generic opinion path
    assert bindings.approval("ky").sent_back({"ket_luan": "lam_lai"})
    assert not bindings.approval("khac").sent_back({"ket_luan": "lam_lai"})  # another step: the defaults


def _validate(extra: str) -> list:
    source = read_package(REPO / "bpmn" / "khai-sinh")
    path = source.metadata_path
    text = source.files[path].decode("utf-8") + extra
    return validate_package(PackageSource("khai-sinh", {**source.files, path: text.encode("utf-8")}),
                            default_registry())


def test_declared_paths_the_forms_have_are_accepted_through_common_fragments() -> None:
    # nhan_ket_qua is a $ref to forms/common/nhan-ket-qua.schema.json; ly_do sits in an allOf'd form.
    assert _validate("fields:\n  contact_phone: nhan_ket_qua.so_dien_thoai\n  applicant_name: nguoi_yeu_cau.ho_ten\n"
                     "  refusal_reason: ly_do\n  steps:\n    phe_duyet: {opinion: y_kien}\n") == []


def test_a_declared_path_no_form_has_is_refused_with_the_file_and_a_sentence() -> None:
    problems = _validate("fields:\n  contact_phone: nhan_ket_qua.dien_thoai\n  steps:\n"
                         "    phe_duyet: {opinion: ly_do}\n    khong_co: {opinion: y_kien}\n")
    assert sorted((p.code, p.file, p.element) for p in problems) == [
        ("field_path_not_in_step_form", "bpmn/khai-sinh/procedure.yaml", "phe_duyet"),
        ("field_path_unknown", "bpmn/khai-sinh/procedure.yaml", None),
        ("fields_step_unknown", "bpmn/khai-sinh/procedure.yaml", None)]
    unknown = next(p for p in problems if p.code == "field_path_unknown")
    assert unknown.message("vi") == ("fields.contact_phone: không biểu mẫu nào của thủ tục có trường "
                                     "nhan_ket_qua.dien_thoai.")
    assert unknown.message("en") == ("fields.contact_phone: no form of the procedure has the field "
                                     "nhan_ket_qua.dien_thoai.")
    step = next(p for p in problems if p.code == "field_path_not_in_step_form")
    assert "phe-duyet.schema.json" in step.message("vi") and "ly_do" in step.message("en")


def test_a_path_that_is_not_a_dotted_name_is_refused_by_the_schema() -> None:
    problems = _validate("fields:\n  contact_phone: \"nhan_ket_qua/so dien thoai\"\n  send_back: []\n")
    assert [p.code for p in problems] == ["metadata_invalid", "metadata_invalid"]
