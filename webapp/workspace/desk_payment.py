"""Fee paid at the desk: the desk officer records the receipt number and the dossier moves on,
exactly as a confirmed online payment would move it (same history line, same message to the process)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.dossiers import service as dossiers
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.payments import service as payments
from webapp.workspace.intake import DESK_ROLE
from webapp.workspace.routes import bp

RECEIPT_NUMBER = re.compile(r"^[0-9A-Za-z./-]{1,30}$")
_REFUSALS = {
    "already_paid": ("Lệ phí này đã được nộp.", "This fee has already been paid."),
    "online_in_progress": ("Công dân vừa bắt đầu thanh toán trực tuyến; đợi 15 phút rồi thử lại.",
                           "The citizen has just started paying online; wait 15 minutes and try again."),
}


def _desk_dossier(code: str) -> Dossier:
    """The dossier, for a desk officer of the unit that received it; anyone else sees nothing."""
    officer = current_officer()
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or officer is None or not officer.has(DESK_ROLE, dossier.receiving_unit_id):
        abort(404)
    return dossier


@bp.route("/ho-so/<code>/thu-phi", methods=["GET", "POST"])
@officer_required
def desk_payment(code: str) -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    dossier = _desk_dossier(code)
    due = payments.due_for(dossier)
    english = current_lang() == "en"
    error = None
    receipt = (request.form.get("so_bien_lai") or "").strip()
    if request.method == "POST" and due is not None:
        if not RECEIPT_NUMBER.match(receipt):
            error = ("Enter the receipt number (letters, digits, . / -; up to 30)." if english
                     else "Nhập số biên lai (chữ, số, . / -; tối đa 30 ký tự).")
        else:
            try:
                payments.record_at_desk(officer, dossier, due, receipt_number=receipt, now=dossiers.now_vn())
                db.session.commit()
                flash(f"Đã ghi nhận lệ phí của hồ sơ {dossier.code} (biên lai {receipt}).", "info")
                return redirect(url_for("workspace.desk_payment", code=dossier.code))
            except payments.PaymentError as err:
                db.session.rollback()
                vi, en = _REFUSALS.get(err.code, ("Không ghi nhận được.", "Could not record it."))
                error = en if english else vi
            except dossiers.Conflict:
                db.session.rollback()
                error = "The dossier changed meanwhile; try again." if english else "Hồ sơ vừa thay đổi; hãy thử lại."
    return render_template("workspace/desk_payment.html", dossier=dossier, due=due, error=error, receipt=receipt,
                           paid=[p for p in payments.list_(dossier) if p.state == "paid"]), 422 if error else 200
