"""Form schemas and every parse of package or input JSON/YAML do bounded work.

A hostile package must be refused by validation with a clear sentence (never a traceback),
and what a form does at run time (regexes, lengths, references, nesting) stays bounded.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import forms, safe_parse
from engine.cli import main as cli_main
from engine.compiler import compile_package, validate_package
from engine.forms import FormInvalid
from engine.local_systems import default_registry
from engine.overlay import apply_overlay
from engine.package import PackageSource, read_package
from engine.problems import Problem
from engine.runtime import Engine
from engine.safe_parse import InputTooDeep
from tests.conftest import DATA

MAU = DATA / "broken" / "bpmn" / "mau"
FORM = "forms/mau/to-khai.schema.json"
GOOD = {"so_dinh_danh": "0" * 12, "so_ban": 1}
EVIL = "a" * 31 + "!"  # ^(a+)+$ against this takes 2^31 steps with a backtracking engine


def _package(fields: dict[str, Any] | None = None, **root: Any) -> PackageSource:
    """The valid sample package with extra fields (and root keywords) in its declaration form."""
    source = read_package(MAU)
    schema = json.loads(source.files[FORM])
    schema["properties"].update(fields or {})
    schema.update(root)
    return PackageSource("mau", {**source.files, FORM: json.dumps(schema).encode()})


def _replaced(path: str, data: bytes) -> PackageSource:
    source = read_package(MAU)
    return PackageSource("mau", {**source.files, path: data})


def _problems(source: PackageSource) -> list[Problem]:
    return validate_package(source, default_registry())


def _only(source: PackageSource, code: str) -> list[Problem]:
    problems = _problems(source)
    found = [p for p in problems if p.code == code]
    assert found, [p.format() for p in problems]
    for problem in found:  # a real sentence in both languages, never a bare code or template
        for lang in ("vi", "en"):
            assert "{" not in problem.message(lang) and code not in problem.message(lang)
    return found


def _finishes(call: Any, seconds: float = 60) -> Any:
    """Run ``call`` in a thread and give its result; fail (instead of hanging the suite) if it never returns."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "still running: unbounded work"
    return result[0]


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


# --- 1. regular expressions run in linear time ---------------------------------------------------

def test_a_catastrophic_pattern_is_checked_in_linear_time() -> None:
    procedure = compile_package(_package({"x": {"type": "string", "pattern": "^(a+)+$"}}), default_registry())
    form = procedure.start_form
    assert form is not None and form.fast is not None  # the fast validator uses the linear regex crate
    errors = _finishes(lambda: forms.validate(form, {**GOOD, "x": EVIL}))
    assert [(e.path, e.code) for e in errors] == [("x", "field_pattern")]
    assert _finishes(lambda: form.fast.is_valid({**GOOD, "x": EVIL})) is False
    assert forms.validate(form, {**GOOD, "x": "aaa"}) == []


@pytest.mark.parametrize("keyword", ["additionalProperties", "unevaluatedProperties"])
def test_property_name_patterns_run_on_re2_too(keyword: str) -> None:
    group = {"type": "object", "patternProperties": {"^(a+)+$": {"type": "string"}}, keyword: False}
    procedure = compile_package(_package({"nhom": group}), default_registry())
    form = procedure.start_form
    assert form is not None
    errors = _finishes(lambda: forms.validate(form, {**GOOD, "nhom": {EVIL: "x", "aaa": 5}}))
    assert {e.path for e in errors} == {f"nhom.{EVIL}", "nhom.aaa"}
    assert forms.validate(form, {**GOOD, "nhom": {"aaa": "x"}}) == []


@pytest.mark.parametrize(("where", "pattern"), [
    ("pattern", r"^(a)\1$"),  # backreference
    ("pattern", r"^(?=.*[0-9]).+$"),  # lookahead
    ("patternProperties", r"^(?<!x)a$"),  # lookbehind
    ("pattern", "a" * (forms.MAX_PATTERN_CHARS + 1)),
])
def test_patterns_re2_cannot_run_are_refused_naming_form_and_field(where: str, pattern: str,
                                                                   capfd: pytest.CaptureFixture[str]) -> None:
    field = {"type": "string", "pattern": pattern} if where == "pattern" else \
        {"type": "object", "patternProperties": {pattern: {"type": "string"}}}
    problem = _only(_package({"ma_so": field}), "form_pattern_unsupported")[0]
    assert problem.file == FORM
    assert "mau/to-khai.schema.json" in problem.message("vi") and "ma_so" in problem.message("vi")
    assert problem.message("vi").startswith("Biểu mẫu") and problem.message("en").startswith("The form")
    assert capfd.readouterr().err == ""  # RE2 logs refused patterns unless told not to


def test_a_regex_typed_by_the_citizen_is_compiled_by_re2_in_python() -> None:
    procedure = compile_package(_package({"bieu_thuc": {"type": "string", "format": "regex"}}), default_registry())
    form = procedure.start_form
    assert form is not None
    # Only compiled, never run; Python's own ``re`` would accept the backreference.
    assert not form.validator.is_valid({**GOOD, "bieu_thuc": r"(a)\1"})
    assert form.validator.is_valid({**GOOD, "bieu_thuc": "^[0-9]+$"})


# --- 2. ceilings on lengths and counts --------------------------------------------------------------

@pytest.mark.parametrize(("keyword", "value"), [
    ("maxLength", 10**30), ("maxItems", 10**6), ("maxProperties", 10**6), ("maxContains", 5000),
    ("minLength", forms.MAX_STRING_CHARS + 1),
])
def test_limits_above_the_ceilings_are_refused(keyword: str, value: int) -> None:
    problem = _only(_package({"ghi_chu": {keyword: value}}), "form_limit_too_high")[0]
    assert keyword in problem.message("vi") and "ghi_chu" in problem.message("vi")


def test_limits_at_the_ceilings_are_accepted() -> None:
    fields = {"ghi_chu": {"type": "string", "maxLength": forms.MAX_STRING_CHARS},
              "danh_sach": {"type": "array", "maxItems": forms.MAX_ITEMS}}
    assert _problems(_package(fields)) == []


def test_data_is_held_to_the_ceilings_even_without_a_limit_in_the_form() -> None:
    fields = {"ghi_chu": {"type": "string"}, "danh_sach": {"type": "array"}, "nhom": {"type": "object"}}
    procedure = compile_package(_package(fields), default_registry())
    form = procedure.start_form
    assert form is not None
    huge = "x" * (20 * 1024 * 1024)
    errors = forms.validate(form, {**GOOD, "ghi_chu": huge})
    assert [(e.path, e.code) for e in errors] == [("ghi_chu", "field_too_long")]
    assert str(forms.MAX_STRING_CHARS) in errors[0].message
    assert [e.code for e in forms.validate(form, {**GOOD, "danh_sach": list(range(forms.MAX_ITEMS + 1))})] \
        == ["field_too_many"]
    deep: Any = "x"
    for _ in range(forms.MAX_DATA_DEPTH + 5):
        deep = [deep]
    assert [e.code for e in forms.validate(form, {**GOOD, "danh_sach": deep})] == ["field_too_deep"]
    assert forms.validate(form, {**GOOD, "ghi_chu": "x" * forms.MAX_STRING_CHARS}) == []
    # Through the engine: the dossier is not started.
    with pytest.raises(FormInvalid) as refused:
        Engine().start(procedure, {**GOOD, "ghi_chu": huge})
    assert [e.code for e in refused.value.errors] == ["field_too_long"]


# --- 3. references stay inside the package ------------------------------------------------------------

@pytest.mark.parametrize(("field", "code"), [
    ({"$dynamicRef": "https://evil.example/s.json#meta"}, "form_ref_outside"),
    ({"$ref": "https://evil.example/s.json"}, "form_ref_outside"),
    ({"$ref": "//evil.example/s.json"}, "form_ref_outside"),
    ({"$ref": "http://forms.motcua.local/mau/tiep-nhan.schema.json"}, "form_ref_outside"),
    ({"$recursiveRef": "https://evil.example/s.json"}, "form_ref_outside"),
    ({"$ref": "#/$defs/khong-co"}, "form_ref_unresolved"),
    ({"$id": "https://evil.example/x.json", "type": "string"}, "form_id_outside"),
    ({"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"}, "form_dialect_unsupported"),
])
def test_references_outside_the_package_are_refused(field: dict[str, Any], code: str) -> None:
    _only(_package({"x": field}), code)


def test_unknown_schema_dialect_and_rerooted_form_are_refused() -> None:
    _only(_package(**{"$schema": "https://evil.example/meta"}), "form_dialect_unsupported")
    _only(_package(**{"$id": "https://evil.example/to-khai.json"}), "form_id_outside")
    assert _problems(_package(**{"$schema": forms.DIALECT + "#"})) == []


def test_references_inside_the_package_still_work() -> None:
    fields = {"x": {"$ref": "tiep-nhan.schema.json"}, "y": {"$ref": "#/$defs/ma"}}
    assert _problems(_package(fields, **{"$defs": {"ma": {"type": "string"}}})) == []


def test_references_that_loop_in_place_are_refused() -> None:
    looping = {"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"$ref": "#/$defs/a"}}}
    problem = _only(_package({"x": {"$ref": "#/$defs/a"}}, **looping), "form_ref_cycle")[0]
    assert "$defs" in problem.message("vi")
    # Recursion through a property is fine: each step goes one level into the data.
    tree = {"$defs": {"nut": {"type": "object", "properties": {"con": {"$ref": "#/$defs/nut"}}}}}
    assert _problems(_package({"x": {"$ref": "#/$defs/nut"}}, **tree)) == []


def _unchecked_form(schema: dict[str, Any], *, fast: bool = True) -> forms.CompiledForm:
    """A form compiled without the package checks (as one stored before them would be)."""
    documents = {"mau/x.schema.json": schema}
    return forms.compile_form("mau/x.schema.json", forms.build_registry(documents),
                              fast_registry=forms.build_fast_registry(documents) if fast else None)


def test_at_run_time_a_bad_reference_is_a_clear_error_and_never_the_network(monkeypatch: pytest.MonkeyPatch
                                                                             ) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a form tried the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    remote = _unchecked_form({"type": "object", "properties": {"x": {"$ref": "https://evil.example/s.json"}}})
    errors = forms.validate(remote, {"x": 1})
    assert [e.code for e in errors] == ["form_unresolvable"] and "evil.example" in errors[0].message
    # (jsonschema_rs answers "valid" for a loop; the Python validator, which explains errors, would recurse.)
    looping = _unchecked_form({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}, fast=False)
    assert [e.code for e in forms.validate(looping, 1)] == ["form_too_complex"]


# --- 4. nesting depth, wherever input is parsed -----------------------------------------------------------

def test_a_deeply_nested_schema_is_refused() -> None:
    problem = _only(_package({"x": _nested(20)}), "form_too_deep")[0]  # 41 levels of JSON
    assert str(forms.MAX_SCHEMA_DEPTH) in problem.message("vi")
    assert _problems(_package({"x": _nested(5)})) == []


@pytest.mark.parametrize("levels", [400, 100_000])
def test_form_files_nested_thousands_deep_are_refused_not_a_traceback(levels: int) -> None:
    problems = _only(_replaced(FORM, b"[" * levels + b"]" * levels), "input_too_deep")
    assert problems[0].file == FORM
    assert _only(_replaced(FORM, b'{"a":' * levels + b"1" + b"}" * levels), "input_too_deep")


@pytest.mark.parametrize("text", [
    b"slug: mau\nx: " + b"[" * 100_000 + b"]" * 100_000,
    b"slug: mau\nx: " + b"{a: " * 100_000 + b"1" + b"}" * 100_000,
    b"slug: mau\n" + b"".join(b"  " * i + b"k:\n" for i in range(3000)),
])
def test_procedure_yaml_nested_thousands_deep_is_refused(text: bytes) -> None:
    problems = _only(_replaced("bpmn/mau/procedure.yaml", text), "input_too_deep")
    assert problems[0].file == "bpmn/mau/procedure.yaml"


def test_procedure_json_and_overlays_nested_too_deep_are_refused() -> None:
    source = read_package(MAU)
    files = {k: v for k, v in source.files.items() if not k.endswith("procedure.yaml")}
    files["bpmn/mau/procedure.json"] = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    _only(PackageSource("mau", files), "input_too_deep")
    merged, problems = apply_overlay({"slug": "mau"}, "overlays/79/mau.yaml", b"a: " + b"[" * 100_000)
    assert merged is None and [p.code for p in problems] == ["input_too_deep"]


def test_safe_parse_counts_brackets_outside_strings_only() -> None:
    text = json.dumps({"a": "[" * 10_000, "b": '\\"{{{{'})
    assert safe_parse.load_json(text) == json.loads(text)
    with pytest.raises(InputTooDeep) as deep:
        safe_parse.load_json("[" * 65 + "]" * 65)
    assert "64" in deep.value.message("vi") and "64" in deep.value.message("en")
    assert safe_parse.load_json("[" * 64 + "]" * 64) is not None
    with pytest.raises(InputTooDeep):
        safe_parse.load_yaml("- " * 70 + "x")
    with pytest.raises(yaml.YAMLError):
        safe_parse.load_yaml("a: &x [1]\nb: *x\n")  # aliases: the billion laughs
    assert isinstance(InputTooDeep(3), ValueError)  # older ``except ValueError`` still catch it


def _library_copy(tmp_path: Path) -> Path:
    shutil.copytree(MAU, tmp_path / "bpmn" / "mau")
    shutil.copytree(DATA / "broken" / "forms" / "mau", tmp_path / "forms" / "mau")
    return tmp_path / "bpmn" / "mau"


def test_cli_validate_prints_the_message_without_a_traceback(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = _library_copy(tmp_path)
    (tmp_path / "forms" / "mau" / "to-khai.schema.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "procedure.yaml").write_text("slug: mau\nx: " + "[" * 100_000)
    assert cli_main(["validate", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "forms/mau/to-khai.schema.json: Nội dung lồng nhau quá sâu" in out
    assert "bpmn/mau/procedure.yaml: Nội dung lồng nhau quá sâu" in out
    assert "Traceback" not in out + err


def test_cli_play_refuses_deep_sample_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _library_copy(tmp_path)
    sample = tmp_path / "to-khai.json"
    sample.write_text("[" * 100_000 + "]" * 100_000)
    assert cli_main(["--lang", "en", "play", str(folder), "--data", str(sample)]) == 1
    out, err = capsys.readouterr()
    assert "nested too deeply" in out and "Traceback" not in out + err
