"""The validator rejects broken packages, naming the file, the element and the reason."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from engine.compiler import compile_package, validate_package
from engine.local_systems import default_registry
from engine.package import PackageSource, read_library, read_package
from engine.problems import PackageInvalid
from engine.xmlsafe import MalformedXml, UnsafeXml, parse_xml
from tests.conftest import DATA, REPO

BROKEN = DATA / "broken"
EXPECTED = json.loads((BROKEN / "expected.json").read_text("utf-8"))


def _problems(slug: str):
    return validate_package(read_package(BROKEN / "bpmn" / slug), default_registry())


def test_there_are_at_least_ten_broken_packages() -> None:
    assert len(EXPECTED) >= 10
    assert {p.name for p in (BROKEN / "bpmn").iterdir()} == set(EXPECTED) | {"mau"}


def test_the_base_of_the_broken_cases_is_valid() -> None:
    assert _problems("mau") == []


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_broken_package_is_rejected_with_the_expected_problem(slug: str) -> None:
    expected = EXPECTED[slug]
    problems = _problems(slug)
    matching = [p for p in problems if p.code == expected["code"]]
    assert matching, f"{slug}: expected {expected['code']}, got {[p.code for p in problems]}"
    problem = matching[0]
    assert problem.file.endswith(expected["file"])
    assert problem.element == expected["element"]
    # A plain sentence in both languages, never an empty template or a raw code.
    for lang in ("vi", "en"):
        sentence = problem.message(lang)
        assert len(sentence) > 20 and "{" not in sentence and expected["code"] not in sentence


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_broken_package_does_not_compile(slug: str) -> None:
    with pytest.raises(PackageInvalid) as info:
        compile_package(read_package(BROKEN / "bpmn" / slug), default_registry())
    assert info.value.problems


def test_every_problem_is_reported_at_once() -> None:
    base = read_package(BROKEN / "bpmn" / "mau")
    files = dict(base.files)
    bpmn = files["bpmn/mau/process.bpmn"].decode()
    bpmn = bpmn.replace('name="tiep_nhan">', 'name="phu_thuy">')
    bpmn = bpmn.replace('id="dan_cu.tra_cuu"', 'id="khong_co"')
    bpmn = bpmn.replace("le_phi = 8000 if so_ban &gt; 1 else 0", "import os")
    files["bpmn/mau/process.bpmn"] = bpmn.encode()
    del files["forms/mau/tiep-nhan.schema.json"]
    files["bpmn/mau/procedure.yaml"] = files["bpmn/mau/procedure.yaml"].replace(b"level: commune", b"level: x")
    codes = {p.code for p in validate_package(PackageSource("mau", files), default_registry())}
    assert {"lane_unknown_role", "connector_unknown", "script_forbidden", "form_missing", "metadata_invalid"} <= codes


def test_slug_must_match_the_folder() -> None:
    source = read_package(BROKEN / "bpmn" / "mau")
    files = {k.replace("/mau/", "/khac/"): v for k, v in source.files.items()}
    problems = validate_package(PackageSource("khac", files), default_registry())
    assert [p.code for p in problems] == ["slug_mismatch"]


def test_the_library_is_valid() -> None:
    for source in read_library(REPO / "bpmn"):
        assert validate_package(source, default_registry()) == [], source.slug


def test_english_messages_are_available() -> None:
    problem = next(p for p in _problems("connector-la") if p.code == "connector_unknown")
    assert "ngan_hang.chuyen_tien" in problem.message("en")
    assert "connector" in problem.message("en").lower()
    assert problem.message("vi") != problem.message("en")


# --- hostile XML -------------------------------------------------------------------------

def test_entity_bomb_is_refused_before_parsing_with_bounded_memory() -> None:
    bomb = (BROKEN / "bpmn" / "bom-xml" / "process.bpmn").read_bytes()
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeXml) as info:
            parse_xml(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "xml_doctype"
    assert peak < 1_000_000  # the expansion would be about 3 GB


def test_external_entity_is_refused_and_never_read() -> None:
    data = (BROKEN / "bpmn" / "thuc-the-ngoai" / "process.bpmn").read_bytes()
    with pytest.raises(UnsafeXml):
        parse_xml(data)


def test_doctype_hidden_in_utf16_is_refused() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY a "b">]><d>&a;</d>'
    for codec in ("utf-16-le", "utf-16-be", "utf-16"):
        with pytest.raises(UnsafeXml):
            parse_xml(text.encode(codec))


def test_oversized_xml_is_refused_without_parsing() -> None:
    with pytest.raises(UnsafeXml) as info:
        parse_xml(b"<a>" + b" " * (6 * 1024 * 1024) + b"</a>")
    assert info.value.code == "file_too_large"


def test_malformed_xml_reports_the_line() -> None:
    with pytest.raises(MalformedXml) as info:
        parse_xml(b"<a>\n<b>\n</a>")
    assert info.value.line == 3


def test_a_component_condition_must_name_a_field_of_the_declaration() -> None:
    source = read_package(REPO / "bpmn" / "khai-sinh")
    path = source.metadata_path
    text = source.files[path].decode("utf-8")
    assert "required_when: {giay_to_ve_viec_sinh:" in text
    files = {**source.files, path: text.replace("required_when: {giay_to_ve_viec_sinh:",
                                                "required_when: {giay_to_viec_sinh:").encode("utf-8")}
    problems = validate_package(PackageSource("khai-sinh", files), default_registry())
    assert [(p.code, p.params) for p in problems] == [
        ("component_condition_field", {"component": "giay_chung_sinh", "field": "giay_to_viec_sinh"})]
    assert "giay_to_viec_sinh" in problems[0].format("vi")
