"""Deadline alerts in the officer's workspace: shown on the worklist, dismissed one by one."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.deadlines import service as deadlines
from webapp.dossiers import service
from webapp.extensions import db
from webapp.workspace.routes import bp


@bp.post("/canh-bao-han/<int:alert_id>/da-xem")
@officer_required
def alert_read(alert_id: int) -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    if deadlines.mark_read(account_id=officer.account_id, alert_id=alert_id, now=service.now_vn()):
        db.session.commit()
        flash("Đã đánh dấu cảnh báo là đã xem.", "info")
    else:
        db.session.rollback()
        flash("Cảnh báo này không còn hoặc đã được xem.", "error")
    return redirect(url_for("workspace.worklist"))
