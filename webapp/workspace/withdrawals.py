"""The desk decides on citizens' withdrawal requests (status 7): accept and stop processing
(status 8), or decline with a reason and carry on."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.statuses import DossierStatus
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.dossiers import service, withdrawal
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.workspace.routes import bp


@bp.get("/yeu-cau-rut-ho-so")
@officer_required
def withdrawal_requests() -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    return render_template("workspace/withdrawal_requests.html", dossiers=withdrawal.pending(officer))


@bp.route("/ho-so/<code>/rut-ho-so", methods=["GET", "POST"])
@officer_required
def withdrawal_decision(code: str) -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or not service.can_read(officer, dossier):
        abort(404)
    if not withdrawal.can_decide(officer, dossier):
        abort(403)
    errors: list[dict[str, str]] = []
    note = ""
    if request.method == "POST" and dossier.status == DossierStatus.WITHDRAWAL_REQUESTED:
        choice = request.form.get("quyet_dinh")
        note = (request.form.get("ghi_chu") or "").strip()
        if choice not in ("chap_nhan", "khong_chap_nhan"):
            errors.append({"path": "quyet_dinh", "message": "Chọn chấp nhận hoặc không chấp nhận."})
        else:
            try:
                withdrawal.decide(officer, dossier, accept=choice == "chap_nhan", note=note)
                db.session.commit()
                flash(f"Đã quyết định về yêu cầu rút hồ sơ {dossier.code}.", "info")
                if dossier.status == DossierStatus.STOPPED:  # the citizen gets form 05
                    return redirect(url_for("workspace.stop_slip", code=dossier.code))
                return redirect(url_for("workspace.withdrawal_requests"))
            except service.DossierError as err:
                db.session.rollback()
                if err.code != "invalid_note":
                    flash("Hồ sơ vừa được người khác cập nhật; đã tải lại.", "error")
                    return redirect(url_for("workspace.withdrawal_decision", code=code))
                errors.append({"path": "ghi_chu", "message": "Không chấp nhận thì ghi lý do (tối đa 500 ký tự)."})
    return render_template("workspace/withdrawal_decision.html", dossier=dossier, errors=errors, note=note,
                           reason=withdrawal.request_reason(dossier),
                           pending=dossier.status == DossierStatus.WITHDRAWAL_REQUESTED,
                           label=lambda c: DossierStatus(c).label(current_lang())), 422 if errors else 200
