"""Desk-form templates are data: every built-in one renders, and a broken one says what is wrong."""

from __future__ import annotations

import io
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
    data["blocks"][0] = {"paragraph": "Mã: {dossier.cod}"}
    broken = template.parse(data, source="mau_01.yaml")
    with pytest.raises(TemplateError, match=r"^mau_01\.yaml: blocks\[0\]\.paragraph: unknown placeholder "
                                            r"\{dossier\.cod\}$"):
        render.render(broken, sample_context())
    data["blocks"][0] = {"paragraph": "Lỗi {cú pháp"}
    with pytest.raises(TemplateError, match=r"blocks\[0\]\.paragraph: '\{' is not a placeholder"):
        render.render(template.parse(data, source="mau_01.yaml"), sample_context())
    data["blocks"][0] = {"paragraph": "x", "when": "khong_co"}
    with pytest.raises(TemplateError, match=r"blocks\[0\]\.when: unknown name 'khong_co'"):
        render.render(template.parse(data, source="mau_01.yaml"), sample_context())


def test_placeholders_read_only_plain_values_never_object_attributes() -> None:
    class Secret:
        code = "SECRET"

    assert template.fill("{{literal}} {a.b}", {"a": {"b": "ok"}}, where="t") == "{literal} ok"
    with pytest.raises(TemplateError, match="unknown placeholder"):
        template.fill("{dossier.code}", {"dossier": Secret()}, where="t")
    with pytest.raises(TemplateError, match="unknown placeholder"):
        template.fill("{dossier.__class__}", {"dossier": {"code": "x"}}, where="t")
    with pytest.raises(TemplateError, match="is a group of values"):
        template.fill("{dossier}", {"dossier": {"code": "x"}}, where="t")


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
    own["blocks"].append({"paragraph": "Hẹn ngày {new_date}"})  # a name form 04 has, form 05 does not
    (tmp_path / "mau_05.yaml").write_text(yaml.safe_dump(own, allow_unicode=True), "utf-8")
    assert sample.check(tmp_path) == [f"mau_05.yaml: blocks[{len(own['blocks']) - 1}].paragraph: "
                                      "unknown placeholder {new_date}"]
    assert main(["pdf-templates", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "unknown placeholder {new_date}" in out and "mau_05.yaml" in out
    (tmp_path / "mau_05.yaml").unlink()
    assert main(["pdf-templates", "check", str(tmp_path)]) == 0
    assert "7 desk forms render" in capsys.readouterr().out
