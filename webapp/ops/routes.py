"""Operations pages: Prometheus metrics, and failed jobs for administrators (officer workspace)."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.extensions import db
from webapp.ops import metrics
from webapp.outbox import failures
from webapp.outbox.models import OutboxMessage
from webapp.outbox.service import hand_over_after_request
from webapp.pagination import page_arg, page_count

bp = Blueprint("ops", __name__)
ADMIN_ROLE = "admin"
PER_PAGE = 25


@bp.get("/metrics")
def prometheus() -> ResponseReturnValue:
    token = current_app.config["MOTCUA_SETTINGS"].metrics_token
    if token is not None:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return Response("metrics need a bearer token\n", 401, {"WWW-Authenticate": "Bearer"})
    return Response(metrics.exposition(), content_type=metrics.CONTENT_TYPE)


def _admin_id() -> int:
    officer = current_officer()
    if officer is None or not officer.has(ADMIN_ROLE):
        abort(403)
    return officer.account_id


@bp.get("/can-bo/quan-tri/cong-viec-loi")
@officer_required
def failed_jobs() -> ResponseReturnValue:
    _admin_id()
    page = page_arg()
    state = request.args.get("state", "failed")
    state = state if state in ("failed", "retried", "resolved") else "failed"
    rows, total = failures.list_(page=page, per_page=PER_PAGE, state=state)
    return render_template("workspace/failed_jobs.html", rows=rows, total=total, page=page, state=state,
                           pages=page_count(total, PER_PAGE))


@bp.post("/can-bo/quan-tri/cong-viec-loi/<int:failed_id>/thu-lai")
@officer_required
def retry(failed_id: int) -> ResponseReturnValue:
    actor_id = _admin_id()
    try:
        failed = failures.retry(failed_id=failed_id, actor_id=actor_id)
    except failures.FailedJobError as err:
        db.session.rollback()
        if err.code == "not_found":
            abort(404)
        flash("Công việc này đã được gửi lại hoặc đã xong.", "error")
    else:
        hand_over_after_request(db.session.get(OutboxMessage, failed.outbox_id))
        db.session.commit()
        flash("Đã gửi lại công việc.", "info")
    return redirect(url_for("ops.failed_jobs"))
