"""Desk forms 01-07 as PDF: what each form's template may print (its context, plain strings
built from the dossier) and the download itself, audited.

The context is the whole vocabulary of a template: ``{{ dossier.code }}``, ``{{ applicant }}``,
``{{ received_at }}``, ``{{ due_date }}``, ``{{ unit.name }}``, ``{{ province }}``, ``{{ officer }}``,
``{{ today.day }}``, ``{{ tracking_url }}``, the ``components`` list, and per form the reasons,
dates and rows listed in docs/operator/desk-forms.md.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask import current_app, render_template, send_file, url_for
from flask.typing import ResponseReturnValue

from engine.runtime import VN_TZ
from engine.statuses import DossierStatus
from webapp.accounts.models import Account, Unit
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.i18n import text
from webapp.pdf import render as renderer
from webapp.pdf import template as templates

log = logging.getLogger(__name__)

CHANNELS = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính công ích"}
DELIVERY = {"online": "trực tuyến", "desk": "tại Bộ phận Một cửa", "post": "qua bưu chính công ích"}
TIME_UNITS = {"working_days": "ngày làm việc", "working_hours": "giờ làm việc"}


def moment(value: datetime | None) -> str:
    return value.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y") if value else ""


def day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ)
    return value.strftime("%d/%m/%Y") if value else ""


def _processing_time(meta: Mapping[str, Any]) -> str:
    timing = meta.get("processing_time") or {}
    if not timing:
        return ""
    amount, unit = int(timing.get("amount", 0)), timing.get("unit", "working_days")
    if amount == 0 and unit == "working_days":
        return "trong ngày làm việc"
    return f"{amount} {TIME_UNITS.get(unit, unit)}"


def province_name(unit: Unit | None) -> str:
    """MOTCUA_PROVINCE_NAME, else the name of the unit above the receiving unit."""
    settings = current_app.config["MOTCUA_SETTINGS"]
    if settings.province_name:
        return str(settings.province_name)
    parent = db.session.get(Unit, unit.parent_id) if unit is not None and unit.parent_id else None
    return parent.name if parent is not None else ""


def tracking_url(code: str) -> str:
    """The dossier's page on the portal at MOTCUA_PUBLIC_URL (the same link notifications send)."""
    base = str(current_app.config.get("MOTCUA_PUBLIC_URL") or "").rstrip("/")
    return base + url_for("portal.dossier", code=code)


def common(*, unit: Unit | None, officer: str) -> dict[str, Any]:
    today = datetime.now(VN_TZ)
    return {"unit": {"name": unit.name if unit else "", "code": unit.code if unit else ""},
            "province": province_name(unit), "officer": officer,
            "today": {"day": f"{today.day:02d}", "month": f"{today.month:02d}", "year": str(today.year)}}


def dossier_context(dossier: Dossier, *, unit: Unit | None, applicant: str, officer: str) -> dict[str, Any]:
    """What every per-dossier form (01-06) may print."""
    meta = dossier.procedure_version.meta or {}
    return {
        **common(unit=unit, officer=officer),
        "dossier": {"code": dossier.code, "procedure": text(meta.get("name"), "vi"),
                    "procedure_code": str(meta.get("code") or ""), "channel": CHANNELS.get(dossier.channel, ""),
                    "status": DossierStatus(dossier.status).label("vi") if dossier.status else "",
                    "processing_time": _processing_time(meta) or "theo quy định của thủ tục",
                    "delivery": ", ".join(DELIVERY.get(d, d) for d in meta.get("delivery") or []) or "theo đăng ký"},
        "applicant": applicant,
        "received_at": moment(dossier.submitted_at),
        "due_date": moment(dossier.due_at),
        "tracking_url": tracking_url(dossier.code),
        "components": [{"name": text(c.get("name"), "vi"), "note": "" if c.get("required") else " (nếu có)"}
                       for c in meta.get("components") or []],
    }


def receipt_context(dossier: Dossier) -> dict[str, Any]:
    """Form 01, for the desk and for the citizen who owns the dossier."""
    names = _names(dossier.applicant_id, dossier.submitted_by_id)
    officer = names.get(dossier.submitted_by_id, "") if dossier.submitted_by_id != dossier.applicant_id else ""
    return dossier_context(dossier, unit=db.session.get(Unit, dossier.receiving_unit_id),
                           applicant=names.get(dossier.applicant_id, ""), officer=officer)


def _names(*ids: int | None) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return {a.id: a.display_name for a in (db.session.get(Account, i) for i in wanted) if a is not None}


def control_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Form 06's rows, from the control-slip page's rows (a work item and who/where)."""
    out = []
    for number, row in enumerate(rows, start=1):
        item, on_time = row["item"], row["on_time"]
        done = moment(item.completed_at) if item.completed_at else (
            "đã hủy" if item.state == "cancelled" else "đang xử lý")
        out.append({"number": str(number), "step": item.name or "", "unit": row["unit"] or "",
                    "from_unit": f" (nhận bàn giao từ {row['from_unit']})" if row["from_unit"] else "",
                    "received_at": moment(item.entered_at), "due": moment(item.due_at), "done_at": done,
                    "officer": row["by"] or "", "result": "" if on_time is None else (
                        "Đúng hạn" if on_time else "Quá hạn")})
    return out


def register_rows(rows: Iterable[Any]) -> list[dict[str, str]]:
    """Form 07's rows, from the register query's (dossier, slug, meta, applicant name) rows."""
    out = []
    for number, (dossier, _slug, meta, applicant) in enumerate(rows, start=1):
        on_time = "" if dossier.finished_at is None or dossier.due_at is None else (
            "Đúng hạn" if dossier.finished_at <= dossier.due_at else "Quá hạn")
        out.append({"number": str(number), "code": dossier.code, "procedure": text((meta or {}).get("name"), "vi"),
                    "applicant": applicant or "", "channel": CHANNELS.get(dossier.channel, ""),
                    "received_at": moment(dossier.submitted_at), "due": moment(dossier.due_at),
                    "finished_at": moment(dossier.finished_at),
                    "status": DossierStatus(dossier.status).label("vi") if dossier.status else "",
                    "on_time": on_time})
    return out


def build(form: str, context: Mapping[str, Any]) -> bytes:
    """The form's PDF; MOTCUA_PDF_TEMPLATES may hold the province's own template for it."""
    settings = current_app.config["MOTCUA_SETTINGS"]
    return renderer.render(templates.load(form, settings.pdf_templates), context)


def download(form: str, context: Mapping[str, Any], *, file_name: str, actor_id: int | None,
             dossier: Dossier | None = None, **detail: Any) -> ResponseReturnValue:
    """Send the PDF and audit who took it; a broken template gets a page that says what to fix."""
    try:
        data = build(form, context)
    except templates.TemplateError as err:
        log.error("desk form %s cannot be rendered: %s", form, err)  # names a file and a key, no personal data
        return render_template("pdf_error.html", form=form, message=str(err)), 500
    record(Event.SLIP_PDF_DOWNLOADED, actor_id=actor_id, dossier_id=dossier.id if dossier else None,
           object_type="dossier" if dossier else "register", object_id=dossier.code if dossier else None,
           form=form, **detail)
    db.session.commit()
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False, download_name=file_name)
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never in a shared cache
    return response

