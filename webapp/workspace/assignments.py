"""A unit's leader sees every waiting step of the unit and hands each to a named officer."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.models import Account
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.dossiers import service
from webapp.dossiers.models import Dossier, WorkItem
from webapp.extensions import db
from webapp.pagination import page_arg, page_count
from webapp.workspace.routes import PER_PAGE, bp


@bp.get("/phan-cong")
@officer_required
def assignments() -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    units = sorted(unit for unit, role in officer.roles if role == service.LEADER_ROLE)
    if not units:
        abort(403)
    page = page_arg()
    query = (sa.select(WorkItem, Dossier.code, Account.display_name)
             .join(Dossier, Dossier.id == WorkItem.dossier_id)
             .outerjoin(Account, Account.id == WorkItem.claimed_by_id)
             .where(WorkItem.state == "ready", WorkItem.unit_id.in_(units))
             .order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    # One query per distinct (unit, role) on the page, not per row.
    officers = {key: service.eligible_officers(item) for key, item in
                {(r.WorkItem.unit_id, r.WorkItem.role): r.WorkItem for r in rows}.items()}
    return render_template("workspace/assignments.html", rows=rows, officers=officers, page=page,
                           pages=page_count(total, PER_PAGE), total=total)


@bp.post("/viec/<int:item_id>/giao")
@officer_required
def assign(item_id: int) -> ResponseReturnValue:
    officer = current_officer()
    try:
        target = int(request.form.get("can_bo", ""))
    except ValueError:
        flash("Chọn cán bộ nhận việc.", "error")
        return redirect(url_for("workspace.assignments"))
    try:
        service.reassign(officer, item_id, target)
        db.session.commit()
        flash("Đã giao việc.", "info")
    except service.DossierError as err:
        db.session.rollback()
        flash({"not_eligible": "Cán bộ này không giữ vai trò của bước tại đơn vị.",
               "work_item_closed": "Bước này đã xử lý xong."}.get(err.code, "Không thực hiện được."), "error")
    return redirect(url_for("workspace.assignments"))
