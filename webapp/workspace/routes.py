from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from engine.statuses import Channel, DossierStatus
from webapp import formui
from webapp.accounts import sessions
from webapp.accounts.models import Account
from webapp.accounts.officer_auth import SESSION_KEY, current_officer, officer_required, sign_in
from webapp.accounts.oidc import safe_next
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.deadlines import service as deadlines
from webapp.dossiers import service, withdrawal
from webapp.dossiers import view as dossier_view
from webapp.dossiers.models import Document, StepRecord, WorkItem
from webapp.dossiers.notes import NOTE_MAX, notes_of
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.models import utcnow
from webapp.pagination import page_arg, page_count
from webapp.procedures import service as procedures
from webapp.workspace import outside_systems, result_preview

bp = Blueprint("workspace", __name__, url_prefix="/can-bo")
COUNT_LIMIT = 1000  # the worklist counts up to this, then says "more than"
PER_PAGE = 25
DUE_SOON = timedelta(hours=8)


def _safe_next(target: str | None) -> str:
    """Only local paths: a login link must not be able to send an officer to another site. The same
    rule as the citizen login (control characters, backslashes, schemes, ``//``...: the worklist)."""
    return safe_next(target, default=url_for("workspace.worklist"))


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error, minutes = None, 0
    if request.method == "POST":
        now = utcnow()
        result = sign_in(request.form.get("username", ""), request.form.get("password", ""),
                         client=request.remote_addr or "", now=now)
        account = result.account
        if account is not None:
            session.clear()  # a fresh session id on login
            session[SESSION_KEY] = account.id
            sessions.start(account)
            record(Event.OFFICER_LOGGED_IN, actor_id=account.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()  # the failure counts, whatever happens next
        if result.locked_until is not None:
            error, minutes = "locked", max(1, math.ceil((result.locked_until - now).total_seconds() / 60))
        else:
            error = "wrong"
    status = {"locked": 429, "wrong": 401}.get(error or "", 200)
    return render_template("workspace/login.html", error=error, minutes=minutes), status


@bp.post("/dang-xuat")
def logout() -> ResponseReturnValue:
    officer = current_officer()
    account = db.session.get(Account, officer.account_id) if officer is not None else None
    if account is not None:  # every cookie of this account, a copy captured before included, ends here
        sessions.end_everywhere(account)
        record(Event.OFFICER_LOGGED_OUT, actor_id=account.id)
        db.session.commit()
    session.clear()
    return redirect(url_for("workspace.login"))


@bp.get("/")
@officer_required
def worklist() -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    page = page_arg()
    q = (request.args.get("q") or "").strip()[:60] or None
    rows, total = service.list_work_items(officer, q=q, procedure=request.args.get("procedure") or None,
                                          page=page, per_page=PER_PAGE, count_limit=COUNT_LIMIT)
    now = service.now_vn()
    more = total > COUNT_LIMIT  # "more than 1,000": pages go on while a page comes back full
    pages = page + 1 if more and len(rows) == PER_PAGE else (page if more else page_count(total, PER_PAGE))
    return render_template("workspace/worklist.html", rows=rows, total=total, page=page, more=more,
                           count_limit=COUNT_LIMIT, pages=pages, q=q or "", now=now, due_soon=now + DUE_SOON,
                           me=officer.account_id, withdrawals=len(withdrawal.pending(officer)),
                           alerts=deadlines.list_unread(account_id=officer.account_id),
                           overdue=deadlines.count_overdue(now=now, unit_ids=officer.unit_ids),
                           overdue_dossiers=deadlines.list_overdue(now=now, unit_ids=officer.unit_ids, limit=5),
                           leads=any(role == service.LEADER_ROLE for _, role in officer.roles),
                           administers=any(role == "admin" for _, role in officer.roles))


@bp.post("/viec/<int:item_id>/nhan")
@officer_required
def claim(item_id: int) -> ResponseReturnValue:
    _act(service.claim, item_id, "Đã nhận xử lý.")
    return redirect(request.referrer or url_for("workspace.worklist"))


@bp.post("/viec/<int:item_id>/tra")
@officer_required
def release(item_id: int) -> ResponseReturnValue:
    _act(service.release, item_id, "Đã trả lại hàng chờ.")
    return redirect(request.referrer or url_for("workspace.worklist"))


def _act(action, item_id: int, done: str) -> None:  # noqa: ANN001 - a service function
    officer = current_officer()
    try:
        action(officer, item_id)
        db.session.commit()
        flash(done, "info")
    except service.DossierError as err:
        db.session.rollback()
        flash({"claimed": "Bước này đã có cán bộ khác nhận.", "not_claimed": "Bạn chưa nhận bước này.",
               "work_item_closed": "Bước này đã xử lý xong."}.get(err.code, "Không thực hiện được."), "error")


@bp.route("/viec/<int:item_id>", methods=["GET", "POST"])
@officer_required
def work_item(item_id: int) -> ResponseReturnValue:
    """The dossier (read-only) beside the step's own generated form; completing it advances the dossier."""
    officer = current_officer()
    assert officer is not None
    item = db.session.get(WorkItem, item_id)
    if item is None or not service.can_act(officer, item):
        abort(404)
    dossier = item.dossier
    compiled = procedures.compiled(dossier.procedure_version)
    element = compiled.element(item.element_id)
    form = compiled.form_for(element) if element else None
    lang = current_lang()
    data, errors = {}, []
    if request.method == "POST" and item.state == "ready":
        # A step with instructions and no form is a confirmation: completing it sends no data.
        data = formui.parse_form(form, request.form) if form is not None else {}
        action = formui.array_action(request.form) if form is not None else None
        if action:
            data = formui.apply_array_action(data, action)
        else:
            try:
                after = service.complete(officer, item.id, data, lang=lang)
                db.session.commit()
                flash(f"Đã hoàn thành bước “{item.name}” của hồ sơ {dossier.code}.", "info")
                # The slip the citizen must receive: 02 for a supplement request, 03 for a refusal.
                if after.status == DossierStatus.SUPPLEMENT_REQUESTED:
                    return redirect(url_for("workspace.supplement_slip", code=dossier.code))
                if after.status == DossierStatus.REFUSED:
                    return redirect(url_for("workspace.refusal_slip", code=dossier.code))
                # Filed at the desk and a fee is now due: the citizen is standing there, pays there.
                if (after.status == DossierStatus.PAYMENT_REQUESTED and dossier.channel == Channel.IN_PERSON
                        and officer.has("tiep_nhan", dossier.receiving_unit_id)):
                    return redirect(url_for("workspace.desk_payment", code=dossier.code))
                return redirect(url_for("workspace.worklist"))
            except service.DossierError as err:
                db.session.rollback()
                if err.fields is None:
                    flash("Hồ sơ vừa được người khác cập nhật; đã tải lại." if err.status == 409
                          else "Không thực hiện được.", "error")
                    return redirect(url_for("workspace.work_item", item_id=item_id))
                errors = err.fields
    history = db.session.execute(
        sa.select(StepRecord, Account.display_name).outerjoin(Account, Account.id == StepRecord.actor_id)
        .where(StepRecord.dossier_id == dossier.id, StepRecord.kind == "completed").order_by(StepRecord.id)).all()
    documents = db.session.scalars(sa.select(Document).where(Document.dossier_id == dossier.id)).all()
    applicant = db.session.get(Account, dossier.applicant_id)
    return render_template(
        "workspace/work_item.html", item=item, dossier=dossier, applicant=applicant, history=history,
        outside=outside_systems.of(dossier), call_states=outside_systems.CALL_STATES,
        notes=notes_of(dossier), note_max=NOTE_MAX,
        documents=documents, rows=dossier_view.rows(compiled.start_form, dossier.form_data),
        instructions=element.instructions if element else None,
        result_preview=result_preview.of(item, officer.account_id),
        form_html=formui.render_form(form, data, errors, lang=lang) if form else None,
        summary=formui.error_summary(errors, lang=lang), has_errors=bool(errors), me=officer.account_id,
        now=service.now_vn(),
    ), 422 if errors else 200
