"""Citizen pages after submitting: my dossiers, public lookup, withdrawal request, rating."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts import service as accounts
from webapp.accounts.oidc import current_citizen
from webapp.dossiers import service as dossiers
from webapp.dossiers import withdrawal
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.feedback import service as feedback
from webapp.i18n import current_lang
from webapp.tracking import lookup, service, words

bp = Blueprint("tracking", __name__)

PER_PAGE = 20
CODE_MAX = 60


def _signed_in() -> Any:
    citizen = current_citizen()
    if citizen is None:
        return None, redirect(url_for("oidc.login", next=request.full_path.rstrip("?")))
    return citizen, None


def _own_dossier(citizen: Any, code: str) -> Dossier:
    """The dossier if this citizen may read it; someone else's answers like a missing one."""
    found = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if found is None or not dossiers.can_read(accounts.principal_for(citizen), found):
        abort(404)
    return found


def _page(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and int(raw) >= 1 else 1


def helpers() -> dict[str, Any]:
    return words.template_helpers(current_lang())


@bp.get("/ho-so-cua-toi")
def mine() -> ResponseReturnValue:
    citizen, login = _signed_in()
    if login:
        return login
    page = _page(request.args.get("trang"))
    rows, total = service.list_mine(account_id=citizen.id, page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        return redirect(url_for("tracking.mine", trang=pages))
    todo = service.expected_now(dossier_ids=[d.id for d in rows], account_id=citizen.id)
    return render_template("tracking/mine.html", rows=rows, todo=todo, page=page, pages=pages, total=total,
                           **helpers())


@bp.route("/tra-cuu", methods=["GET", "POST"])
def public_lookup() -> ResponseReturnValue:
    """Anyone with the code and the second factor sees status and dates, never personal data."""
    code = (request.form.get("code") or "").strip()
    factor = (request.form.get("factor") or "").strip()
    if request.method == "GET":
        return render_template("tracking/lookup.html", code="", errors=[], found=None, locked_until=None)
    errors = []
    if not code or len(code) > CODE_MAX:
        errors.append(("code", "Hãy nhập mã hồ sơ.", "Enter the dossier code."))
    if not (len(factor) == 4 and factor.isascii() and factor.isdigit()):
        errors.append(("factor", "Hãy nhập đúng 4 chữ số.", "Enter exactly 4 digits."))
    if errors:
        return render_template("tracking/lookup.html", code=code[:CODE_MAX], errors=errors, found=None,
                               locked_until=None), 422
    outcome = lookup.find(code, factor, client=request.remote_addr or "", now=dossiers.now_vn())
    db.session.commit()
    if outcome.dossier is not None:
        events = service.timeline(outcome.dossier, with_details=False)
        return render_template("tracking/lookup_result.html", dossier=outcome.dossier, events=events, **helpers())
    if outcome.locked_until is not None:
        return render_template("tracking/lookup.html", code=code, errors=[], found=None,
                               locked_until=outcome.locked_until), 429
    # The same words whether the code exists or not.
    errors.append(("code", "Không tìm thấy hồ sơ với mã và 4 chữ số này. Hãy kiểm tra lại.",
                   "No dossier matches this code and these 4 digits. Check them and try again."))
    return render_template("tracking/lookup.html", code=code, errors=errors, found=None, locked_until=None), 422


@bp.route("/ho-so/<code>/rut-ho-so", methods=["GET", "POST"])
def withdraw(code: str) -> ResponseReturnValue:
    citizen, login = _signed_in()
    if login:
        return login
    found = _own_dossier(citizen, code)
    if not withdrawal.can_withdraw(found):
        return render_template("tracking/withdraw.html", dossier=found, refused=True, errors=[], reason="",
                               **helpers()), 409
    reason, errors = "", []
    if request.method == "POST":
        reason = (request.form.get("reason") or "").strip()
        if not reason:
            errors.append(("reason", "Hãy cho biết lý do rút hồ sơ.", "Say why you want to withdraw."))
        elif len(reason) > withdrawal.REASON_MAX:
            errors.append(("reason", f"Lý do không được dài quá {withdrawal.REASON_MAX} ký tự.",
                           f"The reason must be {withdrawal.REASON_MAX} characters or fewer."))
        else:
            try:
                withdrawal.request(account_id=citizen.id, dossier=found, reason=reason)
                db.session.commit()
            except dossiers.DossierError:  # changed meanwhile: show the page again with the new status
                db.session.rollback()
                return redirect(url_for("tracking.withdraw", code=code))
            return redirect(url_for("portal.dossier", code=code))
    return render_template("tracking/withdraw.html", dossier=found, refused=False, errors=errors, reason=reason,
                           **helpers()), 422 if errors else 200


@bp.route("/ho-so/<code>/danh-gia", methods=["GET", "POST"])
def rate(code: str) -> ResponseReturnValue:
    citizen, login = _signed_in()
    if login:
        return login
    found = _own_dossier(citizen, code)
    existing = feedback.get(dossier_id=found.id)
    if not feedback.can_rate(found):
        return render_template("tracking/rate.html", dossier=found, refused=True, errors=[], score=None,
                               comment="", scores=feedback.SCORES, **helpers()), 409
    score = existing.score if existing else None
    comment = (existing.comment or "") if existing else ""
    errors: list[Any] = []
    if request.method == "POST":
        comment = (request.form.get("comment") or "").strip()
        score, problems = feedback.check(request.form.get("score"), comment)
        errors = [(p.field, p.vi, p.en) for p in problems]
        if not errors and score is not None:
            feedback.rate(account_id=citizen.id, dossier=found, score=score, comment=comment)
            db.session.commit()
            return redirect(url_for("portal.dossier", code=code, danh_gia="ok"))
    return render_template("tracking/rate.html", dossier=found, refused=False, errors=errors, score=score,
                           comment=comment, scores=feedback.SCORES, **helpers()), 422 if errors else 200
