"""Paying a dossier's fee: what is due, asking the gateway, and confirming its answer once.

A dossier owes a fee while its process waits at an event declaring ``paymentAmount``
(engine.payments). The citizen asks to pay: one attempt per due is open at a time (a
partial unique index), reused on a second click. The gateway's signed answer is confirmed
by a conditional UPDATE (``WHERE state = 'requested'``), so of the notification and the
browser's return, or of any replays, exactly one confirms; that one delivers the
procedure's message and the dossier goes on. Services flush; the route commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine.payments import PaymentRejected, PaymentResult
from webapp.accounts.service import Principal
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers import service as dossiers
from webapp.dossiers.models import Dossier, StepRecord
from webapp.extensions import db
from webapp.payments.models import Payment
from webapp.procedures import service as procedures


class PaymentError(Exception):
    """A refused request from the citizen; ``status`` is the HTTP status."""

    def __init__(self, status: int, code: str, message: str):
        self.status = status
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Due:
    """The fee a dossier waits for now."""

    task_id: str
    element_id: str
    message: str
    amount: int
    fee_key: str
    fee_name: dict[str, str]  # {vi, en} from procedure.yaml


def due_for(dossier: Dossier) -> Due | None:
    instance = dossiers.engine().deserialize(procedures.compiled(dossier.procedure_version), dossier.state)
    found = dossiers.engine().payment_due(instance)
    if found is None:
        return None
    fee = next((f for f in dossier.procedure_version.meta.get("fees") or [] if f.get("key") == found.fee_key), {})
    return Due(task_id=found.task_id, element_id=found.element_id, message=found.message, amount=found.amount,
               fee_key=found.fee_key, fee_name=fee.get("name") or {"vi": "Lệ phí", "en": "Fee"})


def list_(dossier: Dossier) -> list[Payment]:
    """Every attempt for the dossier, newest first."""
    return list(db.session.scalars(sa.select(Payment).where(Payment.dossier_id == dossier.id)
                                   .order_by(Payment.id.desc())))


def get_by_txn_ref(txn_ref: str) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.txn_ref == txn_ref))


def _open_for(dossier: Dossier, due: Due) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(
        Payment.dossier_id == dossier.id, Payment.due_task_id == due.task_id, Payment.state != "failed"))


def _new_txn_ref(now: datetime) -> str:
    return f"TT{now:%Y%m%d}{secrets.token_hex(8).upper()}"


def request(principal: Principal, dossier: Dossier, due: Due, *, now: datetime) -> Payment:
    """The attempt to send the citizen to the gateway with: the open one, or a new one."""
    existing = _open_for(dossier, due)
    if existing is not None:
        if existing.state == "paid":
            raise PaymentError(409, "already_paid", "this fee has been paid")
        return existing  # a second click or a second tab: the same transaction
    payment = Payment(dossier_id=dossier.id, due_task_id=due.task_id, element_id=due.element_id,
                      fee_key=due.fee_key, amount=due.amount, txn_ref=_new_txn_ref(now), state="requested",
                      requested_by_id=principal.account_id, created_at=now)
    try:
        db.session.add(payment)
        db.session.flush()
    except IntegrityError:  # a concurrent request opened one first
        db.session.rollback()
        existing = _open_for(dossier, due)
        if existing is None or existing.state == "paid":
            raise PaymentError(409, "already_paid", "this fee has been paid") from None
        return existing
    record(Event.PAYMENT_REQUESTED, actor_id=principal.account_id, dossier_id=dossier.id, object_type="payment",
           object_id=payment.txn_ref, amount=payment.amount, fee=payment.fee_key)
    db.session.flush()
    return payment


def confirm(result: PaymentResult, *, now: datetime) -> str:
    """Apply a verified gateway answer once; returns what happened.

    ``confirmed`` (the dossier moved on), ``paid_not_applied`` (paid, but the dossier no
    longer waits for it: staff reconcile), ``failed`` (declined or cancelled: the citizen may
    retry), ``already_confirmed`` / ``already_closed`` (a replay: nothing changed),
    ``duplicate`` or ``closed`` (money reported for an attempt already settled: staff refund).
    Raises PaymentRejected (unknown transaction, wrong amount) and dossiers.Conflict.
    """
    payment = get_by_txn_ref(result.txn_ref)
    if payment is None:
        raise PaymentRejected("unknown_transaction", "no payment with this reference")
    if result.amount != payment.amount:
        raise PaymentRejected("wrong_amount", "the amount differs from the one requested")
    changes: dict[str, Any] = {"gateway_txn": result.gateway_txn, "outcome": result.result}
    changes.update({"state": "paid", "paid_at": now} if result.paid else {"state": "failed", "failed_at": now})
    changed = db.session.execute(
        sa.update(Payment).where(Payment.id == payment.id, Payment.state == "requested").values(**changes)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(payment)
    audit = {"actor_id": None, "dossier_id": payment.dossier_id, "object_type": "payment",
             "object_id": payment.txn_ref, "gateway_txn": result.gateway_txn, "amount": result.amount}
    if changed != 1:
        if payment.state == "paid" and payment.gateway_txn == result.gateway_txn:
            return "already_confirmed"
        if not result.paid:
            return "already_closed"
        record(Event.PAYMENT_NEEDS_REFUND, **audit)  # money for an attempt that was already settled
        db.session.flush()
        return "duplicate" if payment.state == "paid" else "closed"
    if not result.paid:
        record(Event.PAYMENT_FAILED, outcome=result.result, **audit)
        db.session.flush()
        return "failed"
    record(Event.PAYMENT_CONFIRMED, **audit)
    return _apply(payment, now)


STALE_ONLINE_ATTEMPT = timedelta(minutes=15)  # the gateway's own answer window (MOTCUA_PAYMENT_MAX_AGE)


def record_at_desk(principal: Principal, dossier: Dossier, due: Due, *, receipt_number: str, now: datetime) -> Payment:
    """The citizen paid the fee in cash or by card at the desk: record it with the receipt number and move on.

    Refused while an online attempt is still open (the citizen may be at the gateway right now);
    an attempt older than the gateway's answer window is closed as expired first.
    """
    existing = _open_for(dossier, due)
    if existing is not None and existing.state == "paid":
        raise PaymentError(409, "already_paid", "this fee has been paid")
    if existing is not None:
        if now - existing.created_at < STALE_ONLINE_ATTEMPT:
            raise PaymentError(409, "online_in_progress", "an online payment was started a moment ago")
        existing.state, existing.outcome, existing.failed_at = "failed", "expired", now
        record(Event.PAYMENT_FAILED, actor_id=principal.account_id, dossier_id=dossier.id, object_type="payment",
               object_id=existing.txn_ref, outcome="expired")
        db.session.flush()
    payment = Payment(dossier_id=dossier.id, due_task_id=due.task_id, element_id=due.element_id,
                      fee_key=due.fee_key, amount=due.amount, txn_ref=_new_txn_ref(now).replace("TT", "TQ", 1),
                      gateway_txn=f"QUAY-{dossier.code}-{receipt_number}", state="paid", outcome="desk",
                      requested_by_id=principal.account_id, created_at=now, paid_at=now)
    try:
        db.session.add(payment)
        db.session.flush()
    except IntegrityError:  # an online payment or another desk officer got there first
        db.session.rollback()
        raise PaymentError(409, "already_paid", "this fee has been paid") from None
    record(Event.PAYMENT_RECORDED_AT_DESK, actor_id=principal.account_id, dossier_id=dossier.id, object_type="payment",
           object_id=payment.txn_ref, amount=payment.amount, fee=payment.fee_key, receipt=receipt_number)
    _apply(payment, now)
    return payment


def _apply(payment: Payment, now: datetime) -> str:
    """Deliver the paid fee's message to the dossier, with a line in its history."""
    dossier = db.session.get(Dossier, payment.dossier_id)
    assert dossier is not None
    due = due_for(dossier)
    if due is None or due.task_id != payment.due_task_id:
        record(Event.PAYMENT_NOT_APPLIED, actor_id=None, dossier_id=dossier.id, object_type="payment",
               object_id=payment.txn_ref, status=dossier.status)
        db.session.flush()
        return "paid_not_applied"
    element = procedures.compiled(dossier.procedure_version).element(due.element_id)
    db.session.add(StepRecord(
        dossier_id=dossier.id, at=now, kind="completed", element_id=due.element_id,
        name=element.label if element else due.element_id, lane=element.lane if element else None, status=None,
        actor_id=payment.requested_by_id,
        data={"so_tien": payment.amount, "ma_giao_dich": payment.txn_ref, "ma_giao_dich_cong": payment.gateway_txn}))
    dossiers.deliver_message(dossier, due.message, {"so_tien": payment.amount, "ma_giao_dich": payment.txn_ref},
                             actor_id=payment.requested_by_id, now=now)
    return "confirmed"
