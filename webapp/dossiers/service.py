"""Dossier life cycle on the database: submit, claim, complete. One transaction per action.

Every action loads the dossier's instance state, lets the engine advance it, writes the
new state with the version counter it read (optimistic lock), materialises the ready
human steps as work items and appends history and audit entries. Services flush, so a
losing concurrent action raises Conflict here with nothing written; the caller (a route,
a job) commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine.connectors import ConnectorError
from engine.forms import FieldError, FormInvalid
from engine.runtime import VN_TZ, Advance, EngineError, Instance
from engine.statuses import DossierStatus
from webapp.accounts.models import Account, RoleAssignment, Unit
from webapp.accounts.service import Principal
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.codes import next_code
from webapp.dossiers.models import CHANNELS, ConnectorCallRecord, Dossier, StepRecord, SupplementPause, WorkItem
from webapp.extensions import db
from webapp.outbox import service as outbox
from webapp.procedures import service as procedures
from webapp.procedures.models import Procedure, ProcedureVersion
from webapp.timers import service as timers

FINAL_STATUSES = (DossierStatus.REFUSED, DossierStatus.STOPPED, DossierStatus.RETURNED)
UNIT_KIND_FOR_LEVEL = {"commune": "commune", "district": "district", "province": "province_department"}


class DossierError(Exception):
    """A refused action: ``status`` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: str, message: str, fields: list[FieldError] | None = None):
        self.status = status
        self.code = code
        self.fields = fields
        super().__init__(message)


class Conflict(DossierError):
    def __init__(self, message: str = "the dossier changed meanwhile"):
        super().__init__(409, "conflict", message)


@dataclass(frozen=True)
class Submission:
    procedure: str
    data: dict[str, Any]
    unit: str | None = None
    channel: int = 2
    applicant_identity: str | None = None  # an officer submitting for someone at the desk
    applicant_name: str | None = None


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def engine():  # noqa: ANN201 - the shared engine.runtime.Engine
    return procedures.engine()


# --- submit ------------------------------------------------------------------------------

def submit(principal: Principal, sub: Submission, *, idempotency_key: str | None = None,
           now: datetime | None = None, lang: str = "vi") -> tuple[Dossier, bool]:
    """Create a dossier, or return the one this submitter already created with this key."""
    now = now or now_vn()
    if idempotency_key:
        existing = _by_idempotency(principal.account_id, idempotency_key)
        if existing is not None:
            return existing, False
    version = procedures.published_version(sub.procedure)
    if version is None:
        raise DossierError(404, "unknown_procedure", f"no published procedure {sub.procedure!r}")
    if sub.channel not in CHANNELS:
        raise DossierError(422, "invalid_channel", "channel must be 1 (desk), 2 (online) or 3 (post)")
    unit = _receiving_unit(version, sub.unit)
    applicant = _applicant(principal, sub, unit)
    compiled = procedures.compiled(version)
    settings = current_app.config["MOTCUA_SETTINGS"]
    # The code first: connectors the process calls on its way to the first step need it. A
    # refused form rolls the transaction back and gives the number back.
    code = next_code(unit, now.astimezone(VN_TZ).date(), settings.dossier_code_format)
    try:
        instance, advance = engine().start(compiled, sub.data, now=now, lang=lang,
                                           context={"ma_ho_so": code, "kenh": sub.channel})
    except FormInvalid as err:
        raise DossierError(422, "invalid_data", "the form has errors", err.errors) from None
    dossier = Dossier(
        code=code,
        procedure_version_id=version.id, applicant_id=applicant.id, submitted_by_id=principal.account_id,
        idempotency_key=idempotency_key, receiving_unit_id=unit.id, handling_unit_id=unit.id,
        channel=sub.channel, submitted_at=now, form_data=sub.data, state=engine().serialize(instance),
    )
    dossier.procedure_version = version
    try:
        db.session.add(dossier)
        db.session.flush()
        db.session.add(StepRecord(dossier_id=dossier.id, at=now, kind="submitted", element_id=None,
                                  name=None, lane=None, status=None, actor_id=principal.account_id))
        _record_advance(dossier, instance, advance, actor_id=principal.account_id, now=now,
                        event=(Event.DOSSIER_SUBMITTED, {"procedure": sub.procedure, "version": version.number,
                                                     "channel": sub.channel}))
    except IntegrityError:
        db.session.rollback()
        if idempotency_key:  # a concurrent retry with the same key won
            existing = _by_idempotency(principal.account_id, idempotency_key)
            if existing is not None:
                return existing, False
        raise
    return dossier, True


def _by_idempotency(account_id: int, key: str) -> Dossier | None:
    return db.session.scalar(sa.select(Dossier).where(
        Dossier.submitted_by_id == account_id, Dossier.idempotency_key == key))


def _receiving_unit(version: ProcedureVersion, code: str | None) -> Unit:
    if code:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
        if unit is None:
            raise DossierError(422, "unknown_unit", f"no unit with code {code!r}")
        return unit
    kind = UNIT_KIND_FOR_LEVEL.get(version.meta.get("level", ""), "")
    candidates = db.session.scalars(sa.select(Unit).where(Unit.kind == kind).limit(2)).all()
    if len(candidates) != 1:
        raise DossierError(422, "unit_required", "say which unit receives the dossier (field 'unit')")
    return candidates[0]


def _applicant(principal: Principal, sub: Submission, unit: Unit) -> Account:
    if principal.is_citizen:
        account = db.session.get(Account, principal.account_id)
        assert account is not None
        return account
    # An officer files at the desk for a citizen who came in person.
    if not principal.has("tiep_nhan", unit.id):
        raise DossierError(403, "forbidden", "only the one-stop desk of the receiving unit files for citizens")
    number = sub.applicant_identity or ""
    if len(number) != 12 or not number.isdigit():
        raise DossierError(422, "applicant_required", "give the applicant's 12-digit identity number")
    account = db.session.scalar(sa.select(Account).where(Account.identity_number == number))
    if account is None:
        account = Account(username=f"cd-{number}", display_name=sub.applicant_name or number,
                          kind="citizen", identity_number=number)
        db.session.add(account)
        db.session.flush()
    return account


# --- work items --------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkRow:
    item: WorkItem
    code: str
    status: int | None
    submitted_at: datetime
    dossier_due_at: datetime | None
    procedure: str
    unit: str | None
    applicant: str


def _queues(principal: Principal, role: str | None) -> list[Any]:
    """One condition per queue the caller works from: each (role, unit) pair, and steps assigned to them."""
    pairs = [(u, r) for u, r in sorted(principal.roles) if role is None or r == role]
    queues: list[Any] = [sa.and_(WorkItem.state == "ready", WorkItem.role == r, WorkItem.unit_id == u)
                         for u, r in pairs]
    if role is None:
        queues.append(sa.and_(WorkItem.state == "ready", WorkItem.assignee_id == principal.account_id))
    return queues


def _filtered(query: sa.Select[Any], *, unit: str | None, procedure: str | None, q: str | None) -> sa.Select[Any]:
    if unit:
        query = query.where(WorkItem.unit_id == sa.select(Unit.id).where(Unit.code == unit).scalar_subquery())
    if procedure or q:
        query = query.join(Dossier, Dossier.id == WorkItem.dossier_id)
    if procedure:
        query = query.join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id).join(
            Procedure, Procedure.id == ProcedureVersion.procedure_id).where(Procedure.slug == procedure)
    if q:  # a dossier code (or part of one) or the applicant's name
        applicants = sa.select(Account.id).where(Account.display_name.icontains(q, autoescape=True))
        query = query.where(sa.or_(Dossier.code.contains(q, autoescape=True), Dossier.applicant_id.in_(applicants)))
    return query


URGENT_FIRST = (WorkItem.due_at.asc().nulls_last(), WorkItem.id)


def worklist_query(principal: Principal, *, role: str | None = None, unit: str | None = None,
                   procedure: str | None = None, q: str | None = None, limit: int = 20,
                   offset: int = 0) -> sa.Select[Any]:
    """A page of ready steps for the caller's queues, most urgent first, with what the list shows.

    Each queue is read on its own along the (state, role, unit_id, due_at) index, only as far as
    the page needs, and the pieces are merged: the cost follows the page, not the queue's length
    (a commune with a million dossiers answers as fast as one with a thousand).
    """
    wanted = offset + limit
    queues = _queues(principal, role) or [sa.false()]  # a role the caller does not hold: nothing
    branches = [
        _filtered(sa.select(WorkItem.id, WorkItem.due_at).where(queue), unit=unit, procedure=procedure, q=q)
        .order_by(*URGENT_FIRST).limit(wanted).subquery().select()
        for queue in queues
    ]
    merged = sa.union(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    page_ids = (sa.select(merged.c.id).order_by(merged.c.due_at.asc().nulls_last(), merged.c.id)
                .limit(limit).offset(offset))
    return (
        sa.select(WorkItem, Dossier.code, Dossier.status, Dossier.submitted_at, Dossier.due_at,
                  Procedure.slug, Unit.code, Account.display_name)
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .join(Account, Account.id == Dossier.applicant_id)
        .outerjoin(Unit, Unit.id == WorkItem.unit_id)
        .where(WorkItem.id.in_(page_ids))
        .order_by(*URGENT_FIRST)
    )


def list_work_items(principal: Principal, *, role: str | None = None, unit: str | None = None,
                    procedure: str | None = None, q: str | None = None, page: int = 1,
                    per_page: int = 20, count_limit: int | None = None) -> tuple[list[WorkRow], int]:
    """A page of the caller's ready steps and how many there are in all.

    With ``count_limit`` the count stops reading after that many: the answer is exact up to the
    limit, and ``count_limit + 1`` means "more than that". Counting 16,667 waiting steps of a
    million dossiers cost more than the page itself; nobody reads "16,667" on a worklist.
    """
    rows = db.session.execute(worklist_query(principal, role=role, unit=unit, procedure=procedure, q=q,
                                             limit=per_page, offset=(page - 1) * per_page)).all()
    # Counted per queue too (index-only where the database can), then the ids de-duplicated.
    ids = [_filtered(sa.select(WorkItem.id).where(queue), unit=unit, procedure=procedure, q=q)
           for queue in _queues(principal, role) or [sa.false()]]
    if count_limit is not None:
        ids = [branch.limit(count_limit + 1).subquery().select() for branch in ids]
    counted = sa.select(sa.func.count()).select_from((sa.union(*ids) if len(ids) > 1 else ids[0]).subquery())
    total = db.session.scalar(counted) or 0
    return [WorkRow(*row) for row in rows], total if count_limit is None else min(total, count_limit + 1)


def claim(principal: Principal, item_id: int) -> WorkItem:
    item = _work_item_for(principal, item_id)
    if item.claimed_by_id not in (None, principal.account_id):
        raise DossierError(409, "claimed", "another officer has claimed this step")
    # Conditional UPDATE: of two officers claiming at once, exactly one row changes.
    changed = db.session.execute(
        sa.update(WorkItem)
        .where(WorkItem.id == item.id, WorkItem.state == "ready",
               sa.or_(WorkItem.claimed_by_id.is_(None), WorkItem.claimed_by_id == principal.account_id))
        .values(claimed_by_id=principal.account_id, claimed_at=now_vn())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise DossierError(409, "claimed", "another officer has claimed this step")
    record(Event.WORK_ITEM_CLAIMED, actor_id=principal.account_id, dossier_id=item.dossier_id,
           object_type="work_item", object_id=item.id, element=item.element_id)
    db.session.flush()
    db.session.refresh(item)
    return item


def release(principal: Principal, item_id: int) -> WorkItem:
    item = _work_item_for(principal, item_id)
    if item.claimed_by_id != principal.account_id:
        raise DossierError(409, "not_claimed", "this step is not claimed by you")
    item.claimed_by_id = None
    item.claimed_at = None
    record(Event.WORK_ITEM_RELEASED, actor_id=principal.account_id, dossier_id=item.dossier_id,
           object_type="work_item", object_id=item.id)
    db.session.flush()
    return item


LEADER_ROLE = "lanh_dao"


def can_reassign(principal: Principal, item: WorkItem) -> bool:
    """A unit's leader hands its steps to a named officer of the same unit and role."""
    return item.unit_id is not None and principal.has(LEADER_ROLE, item.unit_id)


def eligible_officers(item: WorkItem) -> list[tuple[int, str]]:
    """(account id, name) of the active officers who may take ``item``: its role in its unit."""
    if item.role is None or item.unit_id is None:
        return []
    return [(i, n) for i, n in db.session.execute(
        sa.select(Account.id, Account.display_name).join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .where(RoleAssignment.unit_id == item.unit_id, RoleAssignment.role == item.role, Account.active.is_(True),
               Account.kind == "officer").order_by(Account.display_name)).all()]


def reassign(principal: Principal, item_id: int, to_account_id: int) -> WorkItem:
    """The leader gives a ready step to ``to_account_id`` (claimed in their name), whoever held it."""
    item = db.session.get(WorkItem, item_id)
    if item is None or not (can_reassign(principal, item) or can_act(principal, item)):
        raise DossierError(404, "not_found", "no such work item for you")
    if not can_reassign(principal, item):
        raise DossierError(403, "forbidden", "only the unit's leader reassigns steps")
    if item.state != "ready":
        raise DossierError(409, "work_item_closed", "this step has already been done")
    if to_account_id not in {i for i, _ in eligible_officers(item)}:
        raise DossierError(422, "not_eligible", "that officer does not hold this step's role in this unit")
    previous = item.claimed_by_id
    item.claimed_by_id = to_account_id
    item.claimed_at = now_vn()
    record(Event.WORK_ITEM_REASSIGNED, actor_id=principal.account_id, dossier_id=item.dossier_id,
           object_type="work_item", object_id=item.id, to=to_account_id, previous=previous)
    db.session.flush()
    return item


def complete(principal: Principal, item_id: int, data: dict[str, Any], *, now: datetime | None = None,
             lang: str = "vi") -> Dossier:
    now = now or now_vn()
    item = _work_item_for(principal, item_id)
    if item.claimed_by_id not in (None, principal.account_id):
        raise DossierError(409, "claimed", "another officer has claimed this step")
    dossier = item.dossier
    if dossier.status == DossierStatus.WITHDRAWAL_REQUESTED:
        raise DossierError(409, "withdrawal_pending", "the applicant asked to withdraw: the desk decides first")

    def done() -> None:
        item.state = "done"
        item.completed_by_id = principal.account_id
        item.completed_at = now
        db.session.add(StepRecord(dossier_id=dossier.id, at=now, kind="completed", element_id=item.element_id,
                                  name=item.name, lane=item.lane, status=None, actor_id=principal.account_id,
                                  data=data))

    try:
        advance_dossier(dossier, lambda instance: engine().complete(instance, item.task_id, data, now=now, lang=lang),
                        actor_id=principal.account_id, now=now, before_save=done,
                        event=(Event.WORK_ITEM_COMPLETED, {"object_type": "work_item", "object_id": item.id,
                                                       "element": item.element_id}))
    except Conflict:
        raise
    except DossierError:
        db.session.rollback()  # as before: nothing of the refused step stays in the session
        raise
    return dossier


def deliver_message(dossier: Dossier, name: str, payload: dict[str, Any], *, actor_id: int | None,
                    now: datetime | None = None) -> Dossier:
    """Deliver a BPMN message the dossier's process waits for (a fee paid, another agency's answer)."""
    now = now or now_vn()
    advance_dossier(dossier, lambda instance: engine().deliver_message(instance, name, payload, now=now),
                    actor_id=actor_id, now=now, event=(Event.DOSSIER_MESSAGE_DELIVERED, {"message": name}))
    return dossier


def fire_timers(dossier: Dossier, *, now: datetime | None = None) -> bool:
    """Fire the dossier's BPMN timers that are due and run what follows (the scheduler's job).

    False, changing nothing, when no timer of the state read is due: another copy of the job
    fired it and committed before this one read the dossier (a copy that read it earlier loses
    the optimistic lock instead)."""
    now = now or now_vn()
    loaded = _instance(dossier)
    due = engine().next_timer_at(loaded)
    if due is None or due > now:
        timers.schedule(dossier_id=dossier.id, due_at=due)
        return False
    try:
        advance_dossier(dossier, lambda instance: engine().refresh_timers(instance, now=now), actor_id=None,
                        now=now, event=(Event.DOSSIER_TIMER_FIRED, {}), instance=loaded)
    except Conflict:
        raise
    except DossierError:  # a failed instance fires nothing until an officer repairs it
        timers.schedule(dossier_id=dossier.id, due_at=None)
        raise
    return True


def finish_connector_call(dossier: Dossier, call: ConnectorCallRecord, *, now: datetime | None = None) -> bool:
    """Hand the answer stored on ``call`` to the waiting service task and run what follows (the
    connector job). False, marking the call dropped, when the task no longer waits for it (a
    boundary timer or a withdrawal moved the process on, or the instance failed)."""
    now = now or now_vn()
    error = None
    if call.error_reason is not None:
        error = ConnectorError(call.error_message or call.error_reason, retryable=bool(call.error_retryable),
                               reason=call.error_reason)

    def applied() -> None:
        call.state, call.applied_at = "applied", now

    try:
        advance_dossier(dossier, lambda instance: engine().finish_call(
            instance, call.task_id, result=call.result, error=error, attempts=call.attempts, now=now),
            actor_id=None, now=now, before_save=applied,
            event=(Event.DOSSIER_CONNECTOR_ANSWERED, {"connector": call.connector, "element": call.element_id,
                                                  "outcome": call.error_reason or "ok", "attempts": call.attempts}))
    except Conflict:
        raise
    except DossierError:
        call.state = "dropped"
        return False
    return True


# --- the one way a dossier's process moves ---------------------------------------------------

Step = Callable[[Instance], Advance]


def _instance(dossier: Dossier) -> Instance:
    return engine().deserialize(procedures.compiled(dossier.procedure_version), dossier.state)


def advance_dossier(dossier: Dossier, step: Step, *, actor_id: int | None, now: datetime,
                    event: tuple[Event, dict[str, Any]], before_save: Callable[[], None] | None = None,
                    instance: Instance | None = None) -> Advance:
    """Load the dossier's instance, run ``step`` on it (complete a task, deliver a message, fire
    timers, hand over a connector's answer), then save the new state under the optimistic lock,
    apply what happened (statuses, steps, timers, calls) and audit ``event``. The caller commits.

    An engine refusal raises DossierError (422 for a form's errors, 409 otherwise) with nothing
    written; another request that saved the dossier first raises Conflict. ``instance``: the
    dossier's instance when the caller has already loaded it from ``dossier.state``."""
    instance = instance if instance is not None else _instance(dossier)
    try:
        advance = step(instance)
    except FormInvalid as err:
        raise DossierError(422, "invalid_data", "the form has errors", err.errors) from None
    except EngineError as err:
        raise DossierError(409, err.code, err.message("en")) from None
    try:  # any flush from here on may find that another request advanced the dossier first
        if before_save is not None:
            before_save()
        dossier.state = engine().serialize(instance)
        _record_advance(dossier, instance, advance, actor_id=actor_id, now=now, event=event)
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    return advance


def _record_advance(dossier: Dossier, instance: Instance, advance: Advance, *, actor_id: int | None,
                    now: datetime, event: tuple[Event, dict[str, Any]]) -> None:
    name, params = event
    _apply(dossier, instance, advance, actor_id=actor_id, now=now)
    params = {"object_type": "dossier", "object_id": dossier.code, **params}
    record(name, actor_id=actor_id, dossier_id=dossier.id, **params, status=dossier.status)
    db.session.flush()


def _work_item_for(principal: Principal, item_id: int) -> WorkItem:
    item = db.session.get(WorkItem, item_id)
    if item is None or not can_act(principal, item):
        raise DossierError(404, "not_found", "no such work item for you")
    if item.state != "ready":
        raise DossierError(409, "work_item_closed", "this step has already been done")
    return item


def can_act(principal: Principal, item: WorkItem) -> bool:
    if item.assignee_id is not None:
        return item.assignee_id == principal.account_id
    return item.role is not None and item.unit_id is not None and principal.has(item.role, item.unit_id)


def can_read(principal: Principal, dossier: Dossier) -> bool:
    if dossier.applicant_id == principal.account_id or dossier.submitted_by_id == principal.account_id:
        return True
    if principal.is_citizen:
        return False
    return bool(principal.unit_ids & involved_units(dossier))


def involved_units(dossier: Dossier) -> set[int]:
    units = {dossier.receiving_unit_id, dossier.handling_unit_id}
    units.update(u for u in db.session.scalars(
        sa.select(WorkItem.unit_id).where(WorkItem.dossier_id == dossier.id, WorkItem.unit_id.is_not(None))))
    return units


# --- applying what the engine did ----------------------------------------------------------

TRACKING_FIELD = "ma_van_don"  # the result field of buu_chinh.tao_van_don


def _apply(dossier: Dossier, instance: Instance, advance: Advance, *, actor_id: int | None, now: datetime) -> None:
    for change in advance.status_changes:
        set_status(dossier, change.code, change.element_id, change.at, actor_id)
    if advance.failure is not None:
        dossier.failure = {"code": advance.failure.code, "element_id": advance.failure.element_id,
                           "message": advance.failure.message("vi"), "message_en": advance.failure.message("en")}
    if advance.completed and dossier.finished_at is None:
        dossier.finished_at = now
    for call in advance.connector_calls:
        # The post's tracking number goes on the dossier so the citizen can follow the parcel.
        number = call.result.get(TRACKING_FIELD)
        if isinstance(number, str) and number:
            dossier.tracking_number = number[:40]
    dossier.due_at = _legal_due(dossier)
    _sync_work_items(dossier, instance, now)
    _request_connector_calls(dossier, instance)
    # The scheduler's due time changes with the state, in the same transaction.
    waiting = not advance.completed and instance.failure is None
    timers.schedule(dossier_id=dossier.id, due_at=engine().next_timer_at(instance) if waiting else None)


def _request_connector_calls(dossier: Dossier, instance: Instance) -> None:
    """A call record and a job for each service task the process newly waits at, in the same
    transaction as the state: the call is made once the action commits, never if it rolls back."""
    pending = engine().pending_calls(instance)
    if not pending:
        return
    known = set(db.session.scalars(sa.select(ConnectorCallRecord.task_id).where(
        ConnectorCallRecord.dossier_id == dossier.id)))
    for call in pending:
        if call.task_id in known:
            continue
        db.session.add(ConnectorCallRecord(dossier_id=dossier.id, task_id=call.task_id, element_id=call.element_id,
                                           connector=call.connector, state="pending", attempts=0))
        outbox.enqueue("connector.call", dossier_id=dossier.id, task_id=call.task_id)


def set_status(dossier: Dossier, code: int, element_id: str, at: datetime, actor_id: int | None) -> None:
    """Record a national status change: history, audit, notification, portal sync, result signing."""
    previous = dossier.status
    dossier.status = code
    db.session.add(StepRecord(dossier_id=dossier.id, at=at, kind="status", element_id=element_id,
                              status=code, actor_id=actor_id))
    if code == DossierStatus.RECEIVED and dossier.received_at is None:
        dossier.received_at = at
    open_pause = next((p for p in dossier.pauses if p.ended_at is None), None)
    supplement = DossierStatus.SUPPLEMENT_REQUESTED
    if code == supplement and open_pause is None:
        dossier.pauses.append(SupplementPause(dossier_id=dossier.id, started_at=at))
    elif code != supplement and previous == supplement and open_pause is not None:
        open_pause.ended_at = at
    if code in FINAL_STATUSES:
        dossier.finished_at = dossier.finished_at or at
    # The citizen hears of it once the change commits (transactional outbox), and so does the national portal.
    outbox.enqueue("notify.status_changed", dossier_id=dossier.id, status=int(code))
    if current_app.config["MOTCUA_SETTINGS"].national_portal_sync:  # job of webapp/connectors/jobs.py
        outbox.enqueue("portal.sync", dossier_id=dossier.id)
    if code == DossierStatus.RESULT_READY:  # every procedure: the signed result document (webapp/results)
        outbox.enqueue("result.sign", dossier_id=dossier.id)


def _legal_due(dossier: Dossier) -> datetime | None:
    """The legal deadline from the procedure's processing time, paused while supplementing."""
    timing = dossier.procedure_version.meta.get("processing_time") or {}
    if "amount" not in timing:
        return None
    cutoff = time.fromisoformat(timing["cutoff"]) if timing.get("cutoff") else None
    start = dossier.received_at or dossier.submitted_at
    pauses = [(p.started_at, p.ended_at) for p in dossier.pauses if p.ended_at is not None]
    due = engine().calendar.due_at(start, int(timing["amount"]), timing.get("unit", "working_days"),
                                   cutoff=cutoff, pauses=pauses)
    return due


def _sync_work_items(dossier: Dossier, instance: Instance, now: datetime) -> None:
    ready = {task.id: task for task in engine().ready_tasks(instance)}
    open_items = db.session.scalars(sa.select(WorkItem).where(
        WorkItem.dossier_id == dossier.id, WorkItem.state == "ready")).all()
    for item in open_items:
        if item.task_id not in ready:
            item.state = "cancelled"  # withdrawn by the process (a boundary event, a message)
    known = {item.task_id for item in open_items}
    lanes = dossier.procedure_version.meta.get("lanes") or {}
    for task_id, task in ready.items():
        if task_id in known:
            continue
        routing = lanes.get(task.lane or "", {})
        role = routing.get("role", task.lane)
        unit_id, assignee_id = _route(dossier, routing.get("unit"), routing.get("unit_code"))
        db.session.add(WorkItem(
            dossier_id=dossier.id, task_id=task_id, element_id=task.element_id, name=task.name, lane=task.lane,
            role=role, unit_id=unit_id, assignee_id=assignee_id, state="ready", entered_at=now, due_at=task.due_at,
        ))


def _route(dossier: Dossier, unit: str | None, unit_code: str | None) -> tuple[int | None, int | None]:
    """(unit id, assignee account id) for a lane's routing rule in procedure.yaml."""
    if unit == "applicant":
        return None, dossier.applicant_id
    if unit == "unit_code" and unit_code:
        found = db.session.scalar(sa.select(Unit.id).where(Unit.code == unit_code))
        return found, None
    if unit == "handling":
        return dossier.handling_unit_id, None
    return dossier.receiving_unit_id, None
