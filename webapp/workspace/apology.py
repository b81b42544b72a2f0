"""Form 04: when a dossier is overdue, the unit at fault apologises to the citizen and gives a
new appointment date. Recorded in the dossier's history (the citizen sees it on the tracking
page), audited, and printable. The legal due date stays: the dossier still counts as late."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.runtime import VN_TZ
from webapp.accounts.models import Account, Unit
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers import service
from webapp.dossiers.models import Dossier, StepRecord
from webapp.dossiers.withdrawal import REASON_KEY
from webapp.extensions import db
from webapp.pdf import slips as pdf_slips
from webapp.workspace.routes import bp
from webapp.workspace.slips import dossier_for_officer

KIND = "apology"
REASON_MAX = 1000


def is_overdue(dossier: Dossier, now: datetime) -> bool:
    return dossier.finished_at is None and dossier.due_at is not None and dossier.due_at < now


@bp.route("/ho-so/<code>/xin-loi", methods=["GET", "POST"])
@officer_required
def apology(code: str) -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    dossier = dossier_for_officer(code)
    now = service.now_vn()
    if not is_overdue(dossier, now):
        abort(409, "the dossier is not overdue")
    errors: list[dict[str, str]] = []
    form = {"ngay_hen_moi": request.form.get("ngay_hen_moi", ""), REASON_KEY: request.form.get(REASON_KEY, "").strip()}
    if request.method == "POST":
        try:
            new_date = date.fromisoformat(form["ngay_hen_moi"])
            if new_date <= now.astimezone(VN_TZ).date():
                raise ValueError
        except ValueError:
            errors.append({"path": "ngay_hen_moi", "message": "Nhập ngày hẹn mới, sau hôm nay."})
        if not form[REASON_KEY] or len(form[REASON_KEY]) > REASON_MAX:
            errors.append({"path": REASON_KEY, "message": f"Ghi lý do chậm trễ (tối đa {REASON_MAX} ký tự)."})
        if not errors:
            db.session.add(StepRecord(dossier_id=dossier.id, at=now, kind=KIND, element_id=None,
                                      name="Thư xin lỗi và hẹn lại ngày trả kết quả", lane=None, status=None,
                                      actor_id=officer.account_id, data=form))
            record(Event.DOSSIER_APOLOGY_ISSUED, actor_id=officer.account_id, dossier_id=dossier.id,
                   object_type="dossier", object_id=dossier.code, new_date=form["ngay_hen_moi"])
            db.session.commit()
            flash("Đã ghi thư xin lỗi; in hoặc gửi cho người nộp.", "info")
            return redirect(url_for("workspace.apology_slip", code=code))
    return render_template("workspace/apology.html", dossier=dossier, errors=errors, form=form), 422 if errors else 200


def _latest_apology(code: str) -> tuple[Dossier, StepRecord]:
    dossier = dossier_for_officer(code)
    step = db.session.scalar(sa.select(StepRecord).where(StepRecord.dossier_id == dossier.id, StepRecord.kind == KIND)
                             .order_by(StepRecord.id.desc()).limit(1))
    if step is None:
        abort(404)
    return dossier, step


@bp.get("/ho-so/<code>/phieu-xin-loi")
@officer_required
def apology_slip(code: str) -> ResponseReturnValue:
    """Form 04, the latest apology of the dossier."""
    dossier, step = _latest_apology(code)
    return render_template("workspace/apology_slip.html", dossier=dossier, step=step,
                           meta=dossier.procedure_version.meta, unit=db.session.get(Unit, dossier.receiving_unit_id),
                           applicant=db.session.get(Account, dossier.applicant_id),
                           officer=db.session.get(Account, step.actor_id) if step.actor_id else None)


@bp.get("/ho-so/<code>/phieu-xin-loi.pdf")
@officer_required
def apology_slip_pdf(code: str) -> ResponseReturnValue:
    dossier, step = _latest_apology(code)
    applicant = db.session.get(Account, dossier.applicant_id)
    writer = db.session.get(Account, step.actor_id) if step.actor_id else None
    context = pdf_slips.dossier_context(dossier, unit=db.session.get(Unit, dossier.receiving_unit_id),
                                        applicant=applicant.display_name if applicant else "",
                                        officer=writer.display_name if writer else "")
    data = step.data if isinstance(step.data, dict) else {}
    try:
        new_date = pdf_slips.day(date.fromisoformat(str(data.get("ngay_hen_moi"))))
    except ValueError:
        new_date = str(data.get("ngay_hen_moi") or "")
    context |= {"reason": str(data.get(REASON_KEY) or ""), "new_date": new_date, "issued_at": pdf_slips.moment(step.at)}
    officer = current_officer()
    assert officer is not None
    return pdf_slips.download("04", context, file_name=f"mau-04-{dossier.code}.pdf", actor_id=officer.account_id,
                              dossier=dossier)
