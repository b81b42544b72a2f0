"""Desk-form templates are data: every built-in one renders, and a broken one says what is wrong."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from webapp.pdf import render, template
from webapp.pdf.template import FORMS, TemplateError

ROW_06 = {"number": "1", "step": "Tiếp nhận hồ sơ", "unit": "Ủy ban nhân dân phường Nam Định", "from_unit": "",
          "received_at": "08:00 ngày 02/06/2026", "due": "", "done_at": "09:00 ngày 02/06/2026",
          "officer": "Lê Thu Hà", "result": "Đúng hạn"}
ROW_07 = {"number": "1", "code": "H41.01.01-20260602-0000001", "procedure": "Đăng ký khai sinh",
          "applicant": "Nguyễn Văn An", "channel": "Trực tuyến", "received_at": "08:00 ngày 02/06/2026",
          "due": "17:00 ngày 02/06/2026", "finished_at": "", "status": "Đang xử lý", "on_time": ""}


def sample_context() -> dict[str, Any]:
    """Every name any built-in template uses, with Vietnamese values."""
    return {
        "dossier": {"code": "H41.01.01-20260602-0000001", "procedure": "Đăng ký khai sinh",
                    "procedure_code": "1.001193", "channel": "Trực tuyến", "status": "Đang xử lý",
                    "processing_time": "trong ngày làm việc", "delivery": "trực tuyến"},
        "applicant": "Nguyễn Văn An", "officer": "Lê Thu Hà", "province": "Ủy ban nhân dân tỉnh Ninh Bình",
        "unit": {"name": "Ủy ban nhân dân phường Nam Định", "code": "H41.01.01"},
        "today": {"day": "02", "month": "06", "year": "2026"},
        "received_at": "08:00 ngày 02/06/2026", "due_date": "17:00 ngày 02/06/2026",
        "tracking_url": "https://dichvucong.example.vn/ho-so/H41.01.01-20260602-0000001",
        "components": [{"name": "Tờ khai đăng ký khai sinh", "note": ""}, {"name": "Giấy chứng sinh", "note": ""}],
        "requested": "Bản chụp rõ nét giấy chứng sinh", "reason": "Giấy chứng sinh bị mờ, không đọc được",
        "issued_at": "10:00 ngày 03/06/2026", "new_date": "05/06/2026", "note": "",
        "stopped_at": "10:00 ngày 03/06/2026",
        "rows": [ROW_06 | ROW_07], "total": "1", "period": {"start": "01/06/2026", "end": "30/06/2026"},
    }


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.parametrize("form", FORMS)
def test_every_built_in_form_renders_with_vietnamese_intact(form: str) -> None:
    data = render.render(template.load(form), sample_context())
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert f"Mẫu số {form}" in text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG NAM ĐỊNH" in text  # the unit, upper-cased with its diacritics
    assert "H41.01.01-20260602-0000001" in text


def test_the_receipt_lists_components_and_dates_and_carries_a_qr_code() -> None:
    data = render.render(template.load("01"), sample_context())
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
                                                                    sample_context()))
    (tmp_path / "mau_02.yaml").write_text("form: '02'\ntitle: [unclosed", "utf-8")
    with pytest.raises(TemplateError, match=r"^mau_02\.yaml: cannot read the template"):
        template.load("02", tmp_path)
    with pytest.raises(TemplateError, match="no desk form '08'"):
        template.load("08")
