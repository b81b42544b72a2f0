"""Paying a fee online.

    GET  /ho-so/<code>/thanh-toan   the citizen's payment page: what is due, a button
    POST /ho-so/<code>/thanh-toan   open (or reuse) an attempt and go to the gateway
    GET  /thanh-toan/ket-qua        the gateway sends the browser back here with its signed answer
    POST /thanh-toan/thong-bao      the gateway's server-to-server notification (signed, no CSRF token)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.payments import PaymentRejected, PaymentRequest
from webapp.accounts import service as accounts
from webapp.accounts.oidc import current_citizen
from webapp.dossiers import service as dossiers
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.i18n import text
from webapp.payments import service
from webapp.payments.gateway import gateway
from webapp.security import csrf_exempt

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _own_dossier(code: str) -> tuple[Any, Dossier | None, ResponseReturnValue | None]:
    """(citizen, their dossier, None), or a login redirect; 404 for a dossier that is not theirs."""
    citizen = current_citizen()
    if citizen is None:
        return None, None, redirect(url_for("oidc.login", next=request.path))
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or not dossiers.can_read(accounts.principal_for(citizen), dossier):
        abort(404)
    return citizen, dossier, None


@bp.route("/ho-so/<code>/thanh-toan", methods=["GET", "POST"])
def pay(code: str) -> ResponseReturnValue:
    citizen, dossier, login = _own_dossier(code)
    if login:
        return login
    assert dossier is not None
    due = service.due_for(dossier)
    online = gateway()
    if request.method == "POST" and due is not None and online is not None:
        now = _now()
        try:
            payment = service.request(accounts.principal_for(citizen), dossier, due, now=now)
        except service.PaymentError:
            db.session.rollback()
            return redirect(url_for("payments.pay", code=code), code=303)
        db.session.commit()
        description = f"{text(due.fee_name, 'vi')} - hồ sơ {dossier.code}"  # no personal data
        target = online.payment_url(PaymentRequest(
            txn_ref=payment.txn_ref, amount=payment.amount, description=description,
            return_url=url_for("payments.returned", _external=True),
            notify_url=url_for("payments.notify", _external=True)), now=now)
        return redirect(target, code=303)
    if request.method == "POST":  # nothing due any more (paid meanwhile), or payment is off: show the page
        return redirect(url_for("payments.pay", code=code), code=303)
    return render_template("payments/pay.html", dossier=dossier, due=due, payments=service.list_(dossier),
                           online=online is not None)


def _answer(params: Any) -> tuple[str, str | None, int]:
    """Verify and apply a gateway answer, then commit: (outcome, rejection code, HTTP status)."""
    online = gateway()
    if online is None:
        abort(404)
    now = _now()
    try:
        outcome = service.confirm(online.verify(params, now=now), now=now)
    except PaymentRejected as err:
        db.session.rollback()
        # A payment answer holds no personal data; the reference helps reconcile.
        log.warning("payment answer rejected: %s (txn_ref %s)", err.code, str(params.get("txn_ref", ""))[:40])
        return "rejected", err.code, 400
    except dossiers.DossierError as err:  # the dossier changed meanwhile: nothing applied, try again
        db.session.rollback()
        return "retry", err.code, 409
    db.session.commit()
    return outcome, None, 200


@bp.get("/thanh-toan/ket-qua")
def returned() -> ResponseReturnValue:
    """The browser back from the gateway. The answer is applied here too (idempotently), in case
    the notification is late or lost; only the dossier's own citizen sees which dossier it was."""
    outcome, code, status = _answer(request.args)
    payment = service.get_by_txn_ref(request.args.get("txn_ref", "")) if code is None else None
    dossier = db.session.get(Dossier, payment.dossier_id) if payment else None
    citizen = current_citizen()
    if dossier is not None and (citizen is None or not dossiers.can_read(accounts.principal_for(citizen), dossier)):
        payment = dossier = None
    return render_template("payments/result.html", outcome=outcome, code=code, payment=payment,
                           dossier=dossier), status


@bp.post("/thanh-toan/thong-bao")
@csrf_exempt
def notify() -> ResponseReturnValue:
    """The gateway's notification: 200 once handled (replays included), 400 for an answer that
    changes nothing (forged, stale, unknown, wrong amount), 409 when it should come again."""
    outcome, code, status = _answer(request.form)
    return jsonify(result=outcome, code=code), status
