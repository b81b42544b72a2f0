"""The desk's national slips: 02 (request to supplement), 03 (refusal) and 07 (the register)."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request, send_file
from flask.typing import ResponseReturnValue
from openpyxl import Workbook

from engine.bindings import Bindings
from engine.runtime import VN_TZ
from engine.statuses import DossierStatus
from webapp.accounts.models import Account, Unit
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.dossiers import service
from webapp.dossiers.models import Dossier, StepRecord
from webapp.extensions import db
from webapp.i18n import current_lang, local_time, text
from webapp.pagination import page_arg, page_count
from webapp.pdf import slips as pdf_slips
from webapp.procedures.models import Procedure, ProcedureVersion
from webapp.workspace.routes import bp

REGISTER_PAGE = 50
REGISTER_PDF_MAX = 500  # rows; fpdf2 lays out about 60-100 table rows a second


def dossier_for_officer(code: str) -> Dossier:
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or not service.can_read(current_officer(), dossier):
        abort(404)
    return dossier


# What each slip prints, read through the package's fields: (engine/bindings.py): (what is asked, why).
SLIP_CONCEPTS = {"02": ("supplement_items", "supplement_reason"), "03": (None, "refusal_reason")}


def _last_step_with(dossier: Dossier, bindings: Bindings, concept: str) -> StepRecord | None:
    records = db.session.scalars(sa.select(StepRecord).where(
        StepRecord.dossier_id == dossier.id, StepRecord.kind == "completed").order_by(StepRecord.id.desc()))
    return next((r for r in records if isinstance(r.data, dict) and bindings.text(r.data, concept)), None)


def _slip(code: str, number: str, wanted_status: int | None, *, as_pdf: bool = False) -> ResponseReturnValue:
    dossier = dossier_for_officer(code)
    bindings = Bindings.for_metadata(dossier.procedure_version.meta)
    asked, why = SLIP_CONCEPTS[number]
    step = _last_step_with(dossier, bindings, asked or why)
    if step is None or (wanted_status is not None and dossier.status != wanted_status):
        abort(404)
    requested = bindings.text(step.data, asked) if asked else ""
    reason = bindings.text(step.data, why)
    unit = db.session.get(Unit, dossier.receiving_unit_id)
    applicant = db.session.get(Account, dossier.applicant_id)
    officer = db.session.get(Account, step.actor_id) if step.actor_id else None
    if as_pdf:
        return _slip_pdf(number, dossier, step, unit, applicant, officer, requested, reason)
    return render_template("workspace/slip.html", number=number, dossier=dossier, step=step, requested=requested,
                           reason=reason, meta=dossier.procedure_version.meta, unit=unit, applicant=applicant,
                           officer=officer)


def _slip_pdf(number: str, dossier: Dossier, step: StepRecord, unit: Unit | None, applicant: Account | None,
              officer: Account | None, requested: str, reason: str) -> ResponseReturnValue:
    context = pdf_slips.dossier_context(dossier, unit=unit, applicant=applicant.display_name if applicant else "",
                                        officer=officer.display_name if officer else "")
    context |= {"requested": requested, "reason": reason, "issued_at": pdf_slips.moment(step.at)}
    reader = current_officer()
    assert reader is not None
    return pdf_slips.download(number, context, file_name=f"mau-{number}-{dossier.code}.pdf",
                              actor_id=reader.account_id, dossier=dossier)


@bp.get("/ho-so/<code>/phieu-yeu-cau-bo-sung")
@officer_required
def supplement_slip(code: str) -> ResponseReturnValue:
    """Form 02: what the citizen must add, all at once (a second request counts against the unit)."""
    return _slip(code, "02", None)


@bp.get("/ho-so/<code>/phieu-yeu-cau-bo-sung.pdf")
@officer_required
def supplement_slip_pdf(code: str) -> ResponseReturnValue:
    return _slip(code, "02", None, as_pdf=True)


@bp.get("/ho-so/<code>/phieu-tu-choi")
@officer_required
def refusal_slip(code: str) -> ResponseReturnValue:
    """Form 03: refusal with the reason."""
    return _slip(code, "03", DossierStatus.REFUSED)


@bp.get("/ho-so/<code>/phieu-tu-choi.pdf")
@officer_required
def refusal_slip_pdf(code: str) -> ResponseReturnValue:
    return _slip(code, "03", DossierStatus.REFUSED, as_pdf=True)


def _period() -> tuple[date, date]:
    today = datetime.now(VN_TZ).date()
    try:
        start = date.fromisoformat(request.args.get("tu", "")) if request.args.get("tu") else today.replace(day=1)
        end = date.fromisoformat(request.args.get("den", "")) if request.args.get("den") else today
    except ValueError:
        abort(400, "dates are YYYY-MM-DD")
    if end < start or (end - start).days > 366:
        abort(400, "the period is at most one year, and ends after it starts")
    return start, end


def _register_query(start: date, end: date) -> sa.Select[Any]:
    officer = current_officer()
    assert officer is not None
    begin = datetime.combine(start, time.min, VN_TZ)
    finish = datetime.combine(end + timedelta(days=1), time.min, VN_TZ)
    return (
        sa.select(Dossier, Procedure.slug, ProcedureVersion.meta, Account.display_name)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .join(Account, Account.id == Dossier.applicant_id)
        .where(Dossier.receiving_unit_id.in_(officer.unit_ids), Dossier.submitted_at >= begin,
               Dossier.submitted_at < finish)
        .order_by(Dossier.submitted_at, Dossier.id)
    )


@bp.get("/so-theo-doi")
@officer_required
def register() -> ResponseReturnValue:
    """Form 07: the register of dossiers received by my units in a period; XLSX on request."""
    start, end = _period()
    query = _register_query(start, end)
    if request.args.get("xuat") == "xlsx":
        return _xlsx(db.session.execute(query).all(), start, end)
    if request.args.get("xuat") == "pdf":
        count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        if count > REGISTER_PDF_MAX:  # a printable register, not a data dump: Excel takes any size
            abort(400, f"{count} hồ sơ: sổ theo dõi dạng PDF in tối đa {REGISTER_PDF_MAX} hồ sơ, hãy chọn khoảng "
                       f"thời gian ngắn hơn hoặc xuất Excel. / {count} dossiers: the PDF register takes at most "
                       f"{REGISTER_PDF_MAX}; choose a shorter period or export to Excel.")
        return _register_pdf(db.session.execute(query).all(), start, end)
    page = page_arg()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.limit(REGISTER_PAGE).offset((page - 1) * REGISTER_PAGE)).all()
    return render_template("workspace/register.html", rows=rows, start=start, end=end, total=total, page=page,
                           pages=page_count(total, REGISTER_PAGE), status_label=_status_label)


def _register_pdf(rows: list[Any], start: date, end: date) -> ResponseReturnValue:
    """Form 07 for the period, headed by the officer's first unit (the register covers all of them)."""
    officer = current_officer()
    assert officer is not None
    units = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(officer.unit_ids)).order_by(Unit.code)))
    account = db.session.get(Account, officer.account_id)
    context = pdf_slips.common(unit=units[0] if units else None, officer=account.display_name if account else "")
    context |= {"rows": pdf_slips.register_rows(rows), "total": str(len(rows)),
                "period": {"start": pdf_slips.day(start), "end": pdf_slips.day(end)}}
    return pdf_slips.download("07", context, file_name=f"so-theo-doi-{start}-{end}.pdf",
                              actor_id=officer.account_id, start=start.isoformat(), end=end.isoformat())


def _status_label(code: int | None) -> str:
    return DossierStatus(code).label(current_lang()) if code else ""


HEADERS = ["Mã hồ sơ", "Thủ tục", "Người nộp", "Kênh", "Ngày nhận", "Hạn trả", "Ngày hoàn thành", "Trạng thái",
           "Đúng hạn"]


def _xlsx(rows: list[Any], start: date, end: date) -> ResponseReturnValue:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("So theo doi")
    sheet.append([f"Sổ theo dõi hồ sơ từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"])
    sheet.append(HEADERS)
    for dossier, _slug, meta, applicant in rows:
        on_time = "" if dossier.finished_at is None or dossier.due_at is None else (
            "Có" if dossier.finished_at <= dossier.due_at else "Không")
        sheet.append([dossier.code, text(meta.get("name"), "vi"), applicant, dossier.channel,
                      local_time(dossier.submitted_at), local_time(dossier.due_at), local_time(dossier.finished_at),
                      _status_label(dossier.status), on_time])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"so-theo-doi-{start}-{end}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
