"""A made-up dossier for each desk form, with every name that form's context has (see
:mod:`webapp.pdf.slips`): ``motcua pdf-templates check`` renders a province's templates with it,
so a wrong placeholder shows up before an officer presses "Tải PDF"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webapp.pdf import render, template

CODE = "H41.01.01-20260602-0000001"
_COMMON: dict[str, Any] = {
    "unit": {"name": "Ủy ban nhân dân phường Nam Định", "code": "H41.01.01"},
    "province": "Ủy ban nhân dân tỉnh Ninh Bình", "officer": "Lê Thu Hà",
    "today": {"day": "02", "month": "06", "year": "2026"},
}
_DOSSIER: dict[str, Any] = {
    "dossier": {"code": CODE, "procedure": "Đăng ký khai sinh", "procedure_code": "1.001193",
                "channel": "Trực tuyến", "status": "Đang xử lý", "processing_time": "trong ngày làm việc",
                "delivery": "trực tuyến, tại Bộ phận Một cửa"},
    "applicant": "Nguyễn Văn An", "received_at": "08:00 ngày 02/06/2026", "due_date": "17:00 ngày 02/06/2026",
    "tracking_url": f"https://dichvucong.example.vn/ho-so/{CODE}",
    "components": [{"name": "Tờ khai đăng ký khai sinh", "note": ""}, {"name": "Giấy chứng sinh", "note": ""},
                   {"name": "Văn bản ủy quyền", "note": " (nếu có)"}],
}
_CONTROL_ROW = {"number": "1", "step": "Tiếp nhận hồ sơ", "unit": "Ủy ban nhân dân phường Nam Định", "from_unit": "",
                "received_at": "08:00 ngày 02/06/2026", "due": "17:00 ngày 02/06/2026",
                "done_at": "09:00 ngày 02/06/2026", "officer": "Lê Thu Hà", "result": "Đúng hạn"}
_REGISTER_ROW = {"number": "1", "code": CODE, "procedure": "Đăng ký khai sinh", "applicant": "Nguyễn Văn An",
                 "channel": "Trực tuyến", "received_at": "08:00 ngày 02/06/2026", "due": "17:00 ngày 02/06/2026",
                 "finished_at": "", "status": "Đang xử lý", "on_time": ""}
_EXTRA: dict[str, dict[str, Any]] = {
    "01": {},
    "02": {"requested": "Bản chụp rõ nét giấy chứng sinh", "reason": "Giấy chứng sinh bị mờ, không đọc được",
           "issued_at": "10:00 ngày 02/06/2026"},
    "03": {"requested": "", "reason": "Thủ tục không thuộc thẩm quyền của phường",
           "issued_at": "10:00 ngày 02/06/2026"},
    "04": {"reason": "Chờ xác minh thông tin từ nơi sinh", "new_date": "05/06/2026",
           "issued_at": "10:00 ngày 03/06/2026"},
    "05": {"reason": "theo yêu cầu rút hồ sơ của người nộp (nộp nhầm thủ tục).", "note": "",
           "stopped_at": "10:00 ngày 03/06/2026"},
    "06": {"rows": [_CONTROL_ROW]},
}


def context(form: str) -> dict[str, Any]:
    """The names form ``form``'s template may use, with Vietnamese sample values."""
    if form == "07":
        return {**_COMMON, "rows": [_REGISTER_ROW], "total": "1",
                "period": {"start": "01/06/2026", "end": "30/06/2026"}}
    return {**_COMMON, **_DOSSIER, **_EXTRA[form]}


def check(override_dir: str | Path | None) -> list[str]:
    """Render every form with its sample; the problems found, one line each (empty: all good)."""
    return report(override_dir)[0]


def report(override_dir: str | Path | None) -> tuple[list[str], list[str]]:
    """(problems, notes): what stops a form from rendering, and what works but should change
    (placeholders in the old ``{name}`` form), one line each."""
    problems, notes = [], []
    for form in template.FORMS:
        try:
            loaded = template.load(form, override_dir, log_notes=False)  # the caller prints them
            notes.extend(loaded.notes)
            render.render(loaded, context(form))
        except template.TemplateError as err:
            problems.append(str(err))
    return problems, notes
