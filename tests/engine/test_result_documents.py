"""Result documents declared in procedure.yaml: the template is part of the package, and validation
refuses a missing template, an undeclared placeholder, an unknown path or filter, in both languages."""

from __future__ import annotations

import yaml

from engine import result_documents
from engine.local_systems import default_registry
from engine.package import PackageSource
from engine.validation import check_package
from tests.conftest import library_package

META = "bpmn/khai-sinh/procedure.yaml"
TEMPLATE = "bpmn/khai-sinh/giay-khai-sinh.yaml"


def _changed(source: PackageSource, **files: bytes) -> PackageSource:
    changed = {name.replace("__", "/"): data for name, data in files.items()}
    return PackageSource(slug=source.slug, files={**source.files, **changed})


def _with_meta(source: PackageSource, change) -> PackageSource:  # noqa: ANN001 - a function on the metadata
    meta = yaml.safe_load(source.files[META])
    change(meta["result"]["documents"][0])
    dumped = yaml.safe_dump(meta, allow_unicode=True).encode()
    return PackageSource(slug=source.slug, files={**source.files, META: dumped})


def _codes(source: PackageSource) -> list:
    return [p for p in check_package(source, default_registry()).problems if p.code.startswith("result_")]


def test_every_library_procedure_declares_documents_that_validate() -> None:
    for slug in ("khai-sinh", "chung-thuc-ban-sao", "dang-ky-ho-kinh-doanh", "cap-phieu-ly-lich-tu-phap",
                 "lien-thong-khai-sinh", "lien-thong-khai-tu"):
        source = library_package(slug)
        checked = check_package(source, default_registry())
        assert result_documents.declared(checked.metadata), slug
        assert checked.problems == [], (slug, [p.format("en") for p in checked.problems])


def test_the_template_is_in_the_package_and_in_its_hash() -> None:
    source = library_package("khai-sinh")
    assert TEMPLATE in source.files
    edited = _changed(source, **{TEMPLATE.replace("/", "__"): source.files[TEMPLATE] + b"\n# edited\n"})
    assert edited.content_hash != source.content_hash


def test_a_missing_template_is_refused() -> None:
    source = library_package("khai-sinh")
    files = dict(source.files)
    del files[TEMPLATE]
    (problem,) = _codes(PackageSource(slug="khai-sinh", files=files))
    assert problem.code == "result_template_missing" and problem.file == META
    assert "giay-khai-sinh.yaml" in problem.message("vi") and "không có tệp mẫu" in problem.message("vi")
    assert "there is no template file giay-khai-sinh.yaml" in problem.message("en")


def test_a_template_that_does_not_parse_is_refused() -> None:
    source = library_package("khai-sinh")
    for broken in (b"title: [unclosed", b"title: x\nheader: {left: [a], right: [b]}\nblocks: [{nothing: 1}]",
                   b"title: '{{ ho_ten '\nheader: {left: [a], right: [b]}\nblocks: []"):
        (problem,) = _codes(_changed(source, **{TEMPLATE.replace("/", "__"): broken}))
        assert problem.code == "result_template_invalid" and problem.file == TEMPLATE
        assert problem.message("vi").startswith("Mẫu văn bản kết quả không đọc được")
        assert problem.message("en").startswith("The result document's template cannot be read")


def test_an_undeclared_placeholder_and_an_unknown_filter_are_refused() -> None:
    source = library_package("khai-sinh")
    template = source.files[TEMPLATE] + b'  - paragraph: "{{ ten_khong_khai_bao }} {{ ngay_sinh|ngay_sai }}"\n'
    problems = _codes(_changed(source, **{TEMPLATE.replace("/", "__"): template}))
    assert {p.code for p in problems} == {"result_placeholder_undeclared", "result_filter_unknown"}
    undeclared = next(p for p in problems if p.code == "result_placeholder_undeclared")
    assert "{{ ten_khong_khai_bao }}" in undeclared.message("vi") and "khai báo" in undeclared.message("vi")
    assert "fields does not declare it" in undeclared.message("en")
    unknown = next(p for p in problems if p.code == "result_filter_unknown")
    assert "|ngay_sai" in unknown.message("en") and "ngay_chu" in unknown.message("en")


def test_a_path_no_form_has_is_refused_and_a_script_variable_is_accepted() -> None:
    source = library_package("khai-sinh")

    def wrong(document: dict) -> None:
        document["fields"]["ho_ten"] = "tre_em.ho_va_ten"

    (problem,) = _codes(_with_meta(source, wrong))
    assert problem.code == "result_field_unknown" and problem.file == META
    assert "tre_em.ho_va_ten" in problem.message("vi") and "không biểu mẫu nào" in problem.message("vi")
    assert "no form of the procedure has that field" in problem.message("en")

    def from_script(document: dict) -> None:  # lap_giay_khai_sinh builds giay_khai_sinh
        document["fields"]["ho_ten"] = "giay_khai_sinh.ho_ten"

    assert _codes(_with_meta(source, from_script)) == []


def test_a_reserved_name_is_refused() -> None:
    def shadow(document: dict) -> None:
        document["fields"]["signer"] = "tre_em.ho_ten"

    (problem,) = _codes(_with_meta(library_package("khai-sinh"), shadow))
    assert problem.code == "result_field_reserved" and "signer" in problem.message("en")


def test_dates_in_figures_and_in_words() -> None:
    assert result_documents.day_month_year("2025-06-02") == "02/06/2025"
    assert result_documents.date_in_words("2025-06-02") == "ngày hai tháng sáu năm hai nghìn không trăm hai mươi lăm"
    assert result_documents.date_in_words("2005-04-21") == (
        "ngày hai mươi mốt tháng tư năm hai nghìn không trăm linh năm")
    assert result_documents.date_in_words("1998-12-15") == (
        "ngày mười lăm tháng mười hai năm một nghìn chín trăm chín mươi tám")
    assert result_documents.amount(23400000) == "23.400.000"
    assert result_documents.address({"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                     "dia_chi_chi_tiet": "Số 12"}) == "Số 12, Phường Nam Định, Ninh Bình"
