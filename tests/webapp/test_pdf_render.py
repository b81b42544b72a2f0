"""Desk-form templates are data: every built-in one renders, and a broken one says what is wrong."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from webapp.pdf import render, sample, template
from webapp.pdf.template import FORMS, TemplateError


def sample_context(form: str = "02") -> dict[str, Any]:
    return sample.context(form)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.parametrize("form", FORMS)
def test_every_built_in_form_renders_with_vietnamese_intact(form: str) -> None:
    data = render.render(template.load(form), sample_context(form))
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert f"Mẫu số {form}" in text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG NAM ĐỊNH" in text  # the unit, upper-cased with its diacritics
    assert "H41.01.01-20260602-0000001" in text


def test_the_receipt_lists_components_and_dates_and_carries_a_qr_code() -> None:
    data = render.render(template.load("01"), sample_context("01"))
    text = pdf_text(data)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "1. Tờ khai đăng ký khai sinh" in text and "2. Giấy chứng sinh" in text
    assert "17:00 ngày 02/06/2026" in text and "Nguyễn Văn An" in text
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert list(page.images), "the QR code image is on the first page"


def test_a_block_with_an_empty_when_is_left_out() -> None:
    context = sample_context()
    assert "Giấy chứng sinh bị mờ" in pdf_text(render.render(template.load("02"), context))
    context["reason"] = ""
    assert "Giấy chứng sinh bị mờ" not in pdf_text(render.render(template.load("02"), context))


def _built_in(form: str) -> dict[str, Any]:
    return yaml.safe_load((template.BUILTIN_DIR / f"mau_{form}.yaml").read_text("utf-8"))


def test_a_missing_key_names_the_file_and_the_key() -> None:
    data = _built_in("01")
    del data["title"]
    with pytest.raises(TemplateError, match=r"^mau_01\.yaml: \(top level\): 'title' is a required property"):
        template.parse(data, source="mau_01.yaml")
    data = _built_in("01")
    del data["blocks"][-1]["qr"]["url"]
    with pytest.raises(TemplateError, match=r"^mau_01\.yaml: blocks\[\d+\]\.qr: 'url' is a required property"):
        template.parse(data, source="mau_01.yaml")


def test_an_unknown_block_or_a_form_mismatch_is_named() -> None:
    data = _built_in("03")
    data["blocks"].append({"picture": "logo.png"})
    with pytest.raises(TemplateError, match=r"mau_03\.yaml: blocks\[\d+\]: one of heading, .* found picture"):
        template.parse(data, source="mau_03.yaml")
    with pytest.raises(TemplateError, match=r"mau_02\.yaml: form: says '03'"):
        template.parse(_built_in("03"), source="mau_02.yaml", form="02")


def test_an_unknown_placeholder_is_named_before_anything_is_drawn() -> None:
    data = _built_in("01")
    data["blocks"][0] = {"paragraph": "Mã: {{ dossier.cod }}"}
    broken = template.parse(data, source="mau_01.yaml")
    with pytest.raises(TemplateError, match=r"^mau_01\.yaml: blocks\[0\]\.paragraph: unknown placeholder "
                                            r"\{\{ dossier\.cod \}\}$"):
        render.render(broken, sample_context())
    data["blocks"][0] = {"paragraph": "Lỗi {{ cú pháp"}
    with pytest.raises(TemplateError, match=r"^mau_01\.yaml: blocks\[0\]\.paragraph: expected token"):
        template.parse(data, source="mau_01.yaml")  # a syntax error is found when the file is loaded
    data["blocks"][0] = {"paragraph": "x", "when": "khong_co"}
    with pytest.raises(TemplateError, match=r"blocks\[0\]\.when: unknown name 'khong_co'"):
        render.render(template.parse(data, source="mau_01.yaml"), sample_context())
    data["blocks"][0] = {"list": {"items": "components", "text": "{{ item.ten }}"}}
    with pytest.raises(TemplateError, match=r"blocks\[0\]\.list\.text: unknown placeholder \{\{ item\.ten \}\}$"):
        render.render(template.parse(data, source="mau_01.yaml"), sample_context())


def test_placeholders_read_only_plain_values_never_object_attributes() -> None:
    class Secret:
        code = "SECRET"

    assert template.fill("{{ '{' }}literal} {{ a.b }} {{ a.b|upper }}{{ a.none }}", {"a": {"b": "ok", "none": None}},
                         where="t") == "{literal} ok OK"
    with pytest.raises(TemplateError, match="refused by the template sandbox: access to attribute 'code' of 'Secret'"):
        template.fill("{{ dossier.code }}", {"dossier": Secret()}, where="t")
    with pytest.raises(TemplateError, match=r"unknown placeholder \{\{ dossier\.__class__ \}\}"):
        template.fill("{{ dossier.__class__ }}", {"dossier": {"code": "x"}}, where="t")
    with pytest.raises(TemplateError, match=r"unknown placeholder \{\{ dossier\.items \}\}"):  # not dict.items
        template.fill("{{ dossier.items() }}", {"dossier": {"code": "x"}}, where="t")
    with pytest.raises(TemplateError, match=r"\{\{ dossier \}\} is a group of values"):
        template.fill("{{ dossier }}", {"dossier": {"code": "x"}}, where="t")


@pytest.mark.parametrize("text", [
    "{{ ''.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ applicant.__class__ }}",
    "{{ applicant.format.__globals__ }}", "{{ dossier.code.__len__() }}", "{{ (applicant * 100000)|length }}",
    "{{ 9 ** 9 ** 9 }}", "{{ components.index(1) }}", "{{ components.__class__ }}",
])
def test_the_sandbox_refuses_reaching_past_the_context(text: str) -> None:
    data = _built_in("01")
    data["blocks"][0] = {"paragraph": text}
    with pytest.raises(TemplateError, match=r"^mau_01\.yaml: blocks\[0\]\.paragraph: refused by the template "
                                            r"sandbox: (access to attribute '_*\w+_*' of '\w+' object is unsafe|"
                                            r"'\*\*?' )"):
        render.render(template.parse(data, source="mau_01.yaml"), sample_context("01"))


def test_what_jinja_adds_works_inside_the_sandbox() -> None:
    data = _built_in("02")
    data["blocks"][0] = {"paragraph": "{{ applicant|upper }}{% if reason %} vì {{ reason|lower }}{% endif %}. "
                                      "{{ components|length }} giấy tờ: {% for c in components %}{{ c.name }}"
                                      "{% if not loop.last %}, {% endif %}{% endfor %}."}
    filled = render.resolve(template.parse(data, source="mau_02.yaml"), sample_context("02"))
    assert filled["blocks"][0][1]["text"] == (
        "NGUYỄN VĂN AN vì giấy chứng sinh bị mờ, không đọc được. 3 giấy tờ: Tờ khai đăng ký khai sinh, "
        "Giấy chứng sinh, Văn bản ủy quyền.")


def _to_legacy(text: str) -> str:
    """A built-in template file as it was written before Jinja: {{ name }} -> {name}."""
    return re.sub(r"\{\{ ([a-z_][a-z0-9_.]*) \}\}", r"{\1}", text)


@pytest.mark.parametrize("form", FORMS)
def test_a_province_file_in_the_old_syntax_renders_the_same_with_a_deprecation_note(form: str,
                                                                                     tmp_path: Path) -> None:
    legacy = _to_legacy((template.BUILTIN_DIR / f"mau_{form}.yaml").read_text("utf-8"))
    texts = "".join(line for line in legacy.splitlines() if not line.startswith("#"))
    assert "{{" not in texts and "{unit.name}" in texts
    (tmp_path / f"mau_{form}.yaml").write_text(legacy, "utf-8")
    old, new = template.load(form, tmp_path), template.load(form)
    assert old.notes and "deprecated" in old.notes[0] and not new.notes
    assert render.resolve(old, sample_context(form)) == render.resolve(new, sample_context(form))


def test_old_literal_braces_and_mixed_syntax() -> None:
    assert template.from_legacy("{{literal}} {a.b}", where="t") == "{{ '{' }}literal{{ '}' }} {{ a.b }}"
    data = _built_in("01")
    data["blocks"][0] = {"paragraph": "{{{{tên}}}} {dossier.code}"}
    data = yaml.safe_load(_to_legacy(yaml.safe_dump(data, allow_unicode=True)))
    old = template.parse(data, source="mau_01.yaml")
    assert render.resolve(old, sample_context("01"))["blocks"][0][1]["text"] == "{{tên}} H41.01.01-20260602-0000001"
    data["blocks"][0] = {"paragraph": "Lỗi {cú pháp} {dossier.code}"}
    with pytest.raises(TemplateError, match=r"blocks\[0\]\.paragraph: '\{cú pháp\}' is not a placeholder"):
        template.parse(data, source="mau_01.yaml")
    mixed = _built_in("01")
    mixed["blocks"][0] = {"paragraph": "Mã: {dossier.code}"}
    with pytest.raises(TemplateError, match=r"^mau_01\.yaml: blocks\[0\]\.paragraph: an old \{name\} placeholder "
                                            r"in a file that uses Jinja"):
        template.parse(mixed, source="mau_01.yaml")


def test_a_province_folder_overrides_one_form_and_keeps_the_others(tmp_path: Path) -> None:
    own = _built_in("01")
    own["title"] = "Giấy biên nhận hồ sơ của tỉnh"
    (tmp_path / "mau_01.yaml").write_text(yaml.safe_dump(own, allow_unicode=True), "utf-8")
    assert template.template_path("01", tmp_path) == tmp_path / "mau_01.yaml"
    assert template.template_path("02", tmp_path) == template.BUILTIN_DIR / "mau_02.yaml"
    assert "GIẤY BIÊN NHẬN HỒ SƠ CỦA TỈNH" in pdf_text(render.render(template.load("01", tmp_path),
                                                                    sample_context("01")))
    (tmp_path / "mau_02.yaml").write_text("form: '02'\ntitle: [unclosed", "utf-8")
    with pytest.raises(TemplateError, match=r"^mau_02\.yaml: cannot read the template"):
        template.load("02", tmp_path)
    with pytest.raises(TemplateError, match="no desk form '08'"):
        template.load("08")


def test_the_check_command_finds_what_a_province_got_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from webapp.cli import main

    assert sample.check(None) == []
    own = _built_in("05")
    own["blocks"].append({"paragraph": "Hẹn ngày {{ new_date }}"})  # a name form 04 has, form 05 does not
    (tmp_path / "mau_05.yaml").write_text(yaml.safe_dump(own, allow_unicode=True), "utf-8")
    assert sample.check(tmp_path) == [f"mau_05.yaml: blocks[{len(own['blocks']) - 1}].paragraph: "
                                      "unknown placeholder {{ new_date }}"]
    assert main(["pdf-templates", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "error: mau_05.yaml" in out and "unknown placeholder {{ new_date }}" in out
    own["blocks"][-1] = {"paragraph": "{{ ''.__class__.__mro__ }}"}
    (tmp_path / "mau_05.yaml").write_text(yaml.safe_dump(own, allow_unicode=True), "utf-8")
    assert main(["pdf-templates", "check", str(tmp_path)]) == 1
    assert "refused by the template sandbox: access to attribute '__class__'" in capsys.readouterr().out
    (tmp_path / "mau_05.yaml").write_text(_to_legacy((template.BUILTIN_DIR / "mau_05.yaml").read_text("utf-8")))
    assert main(["pdf-templates", "check", str(tmp_path)]) == 0  # the old syntax works, with a warning
    out = capsys.readouterr().out
    assert "warning: mau_05.yaml: placeholders in the old {name} form are deprecated" in out
    assert "7 desk forms render" in out
    (tmp_path / "mau_05.yaml").unlink()
    assert main(["pdf-templates", "check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "7 desk forms render" in out and "warning" not in out
