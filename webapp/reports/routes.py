"""The leaders' service-quality dashboard: reads the figures the background job stored."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.outbox import service as jobs
from webapp.outbox.models import OutboxMessage
from webapp.pagination import page_arg, page_count
from webapp.reports import service
from webapp.reports.indicators import INDICATORS, scores

bp = Blueprint("reports", __name__)
READER_ROLES = frozenset({"lanh_dao", "admin"})
PER_PAGE = 25
COMPUTE_JOB = "stats.compute"


def _reader_id() -> int:
    officer = current_officer()
    if officer is None or not any(role in READER_ROLES for _, role in officer.roles):
        abort(403)
    return officer.account_id


def _month(raw: str | None) -> service.Month:
    """The month asked for, or this one; a malformed one says so and shows this month."""
    this = service.Month.current()
    if not raw:
        return this
    try:
        month = service.Month.parse(raw)
    except service.PeriodError:
        flash(f"Tháng không hợp lệ: hãy chọn dạng {this.period}.", "error")
        return this
    if month.start > this.start:
        flash("Tháng này chưa bắt đầu.", "error")
        return this
    return month


def _computing(period: str) -> bool:
    """Whether a computation of ``period`` asked for from this page has not finished yet."""
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.completed_at.is_(None), OutboxMessage.failed_at.is_(None), OutboxMessage.job == COMPUTE_JOB,
        OutboxMessage.payload["period"].as_string() == period)))


@bp.get("/can-bo/chi-so-chat-luong")
@officer_required
def dashboard() -> ResponseReturnValue:
    _reader_id()
    month = _month(request.args.get("thang"))
    page = page_arg()
    province = service.province(month.period)
    rows, total = service.units(month.period, page=page, per_page=PER_PAGE)
    return render_template("workspace/quality.html", month=month, province=province,
                           province_scores=scores(province.figures) if province else [],
                           rows=[(row, scores(row.snapshot.figures)) for row in rows], total=total, page=page,
                           pages=page_count(total, PER_PAGE), months=service.months(), indicators=INDICATORS,
                           computing=_computing(month.period))


@bp.post("/can-bo/chi-so-chat-luong/tinh-lai")
@officer_required
def recompute() -> ResponseReturnValue:
    actor_id = _reader_id()
    month = _month(request.form.get("thang"))
    if not _computing(month.period):  # a second click while it runs adds nothing
        message = jobs.enqueue(COMPUTE_JOB, period=month.period)
        db.session.flush()
        record(Event.QUALITY_RECOMPUTE_REQUESTED, actor_id=actor_id, object_type="outbox", object_id=message.id,
               period=month.period)
        db.session.commit()
    flash("Đang tính lại chỉ số; tải lại trang sau ít giây để xem số mới.", "info")
    return redirect(url_for("reports.dashboard", thang=month.period))
