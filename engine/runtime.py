"""The runtime API: start, list, complete, advance, persist. Nothing else touches SpiffWorkflow.

An :class:`Instance` is one dossier's workflow. Every action returns an :class:`Advance`
describing what happened (status changes, newly ready steps, completion, failure) so the
persistence layer can record history without the instance state growing with it.

Bookkeeping the engine needs across requests lives in the workflow's own data under
``motcua`` (never visible to scripts, which see task data only): the current national
status code, the failure if any, and the due time of each ready human step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import forms
from engine.calendar import WorkingCalendar
from engine.compiler import Procedure, ProcedureCache
from engine.connectors import (
    Connector,
    ConnectorBpmnError,
    ConnectorError,
    ConnectorRegistry,
    error_code,
)
from engine.forms import CompiledForm, FieldError, FormInvalid
from engine.isolation import ScriptPool
from engine.local_systems import default_registry
from engine.messages import render
from engine.model import HUMAN_TASK_TAGS, Element
from engine.overlay import fee_amounts
from engine.package import PackageSource
from engine.payments import PaymentDue
from engine.sandbox import DEFAULT_TIME_LIMIT, SandboxViolation
from engine.scripting import ConnectorFailed, SandboxScriptEngine
from engine.service_task import CALLS, ConnectorServiceTask, record_call, throw_connector_error
from engine.state import StateSerializer

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BOOKKEEPING = "motcua"
# SpiffWorkflow 3.2 stops looking for tasks 1000 levels deep in its task tree, so a
# loop that runs ~250 times silently stalls. Fail the instance well before that.
MAX_TASK_DEPTH = 900
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_UNFINISHED = TaskState.DEFINITE_MASK | TaskState.ERROR
_TIMER_EVENTS = frozenset({"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"})


class EngineError(Exception):
    """An action on an instance was refused; ``code`` renders the reason in vi/en."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(render(code, "en", **params))

    def message(self, lang: str = "vi") -> str:
        return render(self.code, lang, **self.params)


@dataclass(frozen=True)
class HumanTask:
    id: str
    element_id: str
    name: str
    lane: str | None
    form: CompiledForm | None
    instructions: str | None
    due_at: datetime | None

    @property
    def schema(self) -> dict[str, Any]:
        return self.form.schema if self.form else {}

    @property
    def ui_schema(self) -> dict[str, Any]:
        return self.form.ui_schema if self.form else {}


@dataclass(frozen=True)
class StatusChange:
    code: int
    element_id: str
    at: datetime


@dataclass(frozen=True)
class Failure:
    code: str
    element_id: str | None
    params: dict[str, Any]

    def message(self, lang: str = "vi") -> str:
        params = {**self.params}
        if lang == "en" and "detail_en" in params:
            params["detail"] = params["detail_en"]
        return render(self.code, lang, **params)


@dataclass(frozen=True)
class ConnectorCall:
    """A service task's call that finished during the action: its declared result, or the BPMN
    error code a boundary event caught."""

    element_id: str
    connector: str
    result: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    attempts: int = 1


@dataclass(frozen=True)
class PendingCall:
    """A service task waiting for its connector's answer (an engine with ``defer_connectors``)."""

    task_id: str
    element_id: str
    connector: str


@dataclass
class Advance:
    """What one action did to an instance."""

    status_changes: list[StatusChange] = field(default_factory=list)
    ready: list[HumanTask] = field(default_factory=list)  # steps that became ready during the action
    completed: bool = False
    failure: Failure | None = None
    connector_calls: list[ConnectorCall] = field(default_factory=list)

    @property
    def status(self) -> int | None:
        return self.status_changes[-1].code if self.status_changes else None


class Instance:
    """One running dossier workflow on one procedure version."""

    def __init__(self, procedure: Procedure, workflow: BpmnWorkflow):
        self.procedure = procedure
        self.workflow = workflow

    @property
    def _book(self) -> dict[str, Any]:
        book: dict[str, Any] = self.workflow.data.setdefault(BOOKKEEPING, {"status": None, "failure": None,
                                                                           "steps": {}})
        return book

    @property
    def status(self) -> int | None:
        status: int | None = self._book["status"]
        return status

    @property
    def failure(self) -> Failure | None:
        raw = self._book["failure"]
        return Failure(raw["code"], raw["element_id"], raw["params"]) if raw else None

    @property
    def completed(self) -> bool:
        return self.failure is None and _scan(self.workflow).unfinished == 0

    @property
    def data(self) -> dict[str, Any]:
        """The dossier's data as the most recently completed step left it."""
        last = self.workflow.last_task
        return dict(last.data) if last is not None else {}


@dataclass
class _Scan:
    unfinished: int = 0
    active: int = 0
    deepest_active: int = 0


def _tasks_in_state(workflow: BpmnWorkflow, state: TaskState) -> list[Task]:
    """Tasks of the workflow and its subprocesses in ``state``, in creation order.

    A plain pass over the task dictionaries: SpiffWorkflow's get_tasks walks the tree
    with an iterator and costs more than the steps themselves on small processes.
    """
    found = [t for t in workflow.tasks.values() if t._state == state]
    for sub in workflow.subprocesses.values():
        found.extend(t for t in sub.tasks.values() if t._state == state)
    return found


def _scan(workflow: BpmnWorkflow) -> _Scan:
    """Walk every task tree without SpiffWorkflow's depth limit."""
    result = _Scan()
    trees = [workflow, *workflow.subprocesses.values()]
    for tree in trees:
        stack: list[tuple[Task, int]] = [(tree.task_tree, 0)]
        while stack:
            task, depth = stack.pop()
            if task.state & _UNFINISHED:
                result.unfinished += 1
            if task.state & _ACTIVE:
                result.active += 1
                result.deepest_active = max(result.deepest_active, depth)
            stack.extend((child, depth + 1) for child in task.children)
    return result


class Engine:
    """Runs procedure instances. One per process; safe to share between threads for reading specs."""

    def __init__(
        self,
        *,
        connectors: ConnectorRegistry | None = None,
        calendar: WorkingCalendar | None = None,
        script_time_limit: float = DEFAULT_TIME_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
        defer_connectors: bool = False,
        script_pool: ScriptPool | None = None,
    ):
        """``script_pool``: the processes scripts run in (default: one pool per process, see
        :mod:`engine.isolation`).

        ``defer_connectors``: service tasks do not call their connector during the action but
        wait, under way, for :meth:`finish_call` (the web app's background job makes the call)."""
        self.connectors = connectors or default_registry()
        self.calendar = calendar or WorkingCalendar()
        self.procedures = ProcedureCache(self.connectors)
        self.script_engine = SandboxScriptEngine(self.connectors, script_time_limit, sleep, defer_connectors,
                                                 script_pool)
        self.serializer = StateSerializer()

    # --- procedures ------------------------------------------------------------------
    def load(self, source: PackageSource) -> Procedure:
        """Compile (or fetch from cache) a package version; raises PackageInvalid."""
        return self.procedures.get(source)

    # --- instances -------------------------------------------------------------------
    def start(
        self, procedure: Procedure, data: dict[str, Any], *, now: datetime | None = None, lang: str = "vi",
        context: dict[str, Any] | None = None,
    ) -> tuple[Instance, Advance]:
        """Validate the start form's data and run the process up to its first waiting point.

        ``context`` adds what the citizen does not type but connectors need, such as the dossier
        code (``ma_ho_so``) and the channel (``kenh``).

        Decision tables read the fee amounts from the metadata as ``muc_phi`` and
        ``muc_phi_truc_tuyen`` (online), so a province overlay that changes a fee changes what
        is charged."""
        now = now or datetime.now(VN_TZ)
        if procedure.start_form is not None:
            _raise_if_invalid(procedure.start_form, data, lang)
        workflow = BpmnWorkflow(procedure.spec, procedure.subprocess_specs, script_engine=self.script_engine)
        instance = Instance(procedure, workflow)
        first = workflow.get_next_task(state=TaskState.READY)
        first.data.update(data)
        first.data.update(context or {})
        first.data["submitted_on"] = now.date().isoformat()
        first.data["muc_phi"] = fee_amounts(procedure.metadata, online=False)
        first.data["muc_phi_truc_tuyen"] = fee_amounts(procedure.metadata, online=True)
        return instance, self._advance(instance, now)

    def ready_tasks(self, instance: Instance, lane: str | None = None) -> list[HumanTask]:
        """Human steps waiting for someone, optionally only those of one lane (role)."""
        found = [self._human(instance, t) for t in self._ready_human(instance)]
        return [t for t in found if lane is None or t.lane == lane]

    def complete(
        self, instance: Instance, task_id: str, data: dict[str, Any], *,
        now: datetime | None = None, lang: str = "vi",
    ) -> Advance:
        """Complete a ready human step with validated form data, then run what follows."""
        now = now or datetime.now(VN_TZ)
        self._refuse_if_failed(instance)
        task = next((t for t in self._ready_human(instance) if str(t.id) == task_id), None)
        if task is None:
            raise EngineError("task_not_ready")
        element = instance.procedure.element(task.task_spec.bpmn_id)
        form = instance.procedure.form_for(element) if element else None
        if form is not None:
            _raise_if_invalid(form, data, lang)
        elif data:  # a step with instructions and no form is a confirmation: nothing may ride along into the dossier
            raise FormInvalid([FieldError(str(name), render("field_additional", lang, name=name), "field_additional")
                               for name in (data if isinstance(data, dict) else ["?"])])
        advance = Advance()
        task.data.update(data)
        try:
            task.run()
        except WorkflowException as err:
            self._fail(instance, advance, err, task)
            return advance
        instance._book["steps"].pop(task_id, None)
        if element is not None:
            self._record_status(instance, advance, element, "statusOnComplete", now)
        return self._advance(instance, now, advance)

    def run_automatic(self, instance: Instance, *, now: datetime | None = None) -> Advance:
        """Run every automatic step that is ready (after a restart, a timer, a message)."""
        self._refuse_if_failed(instance)
        return self._advance(instance, now or datetime.now(VN_TZ))

    def refresh_timers(self, instance: Instance, *, now: datetime | None = None) -> Advance:
        """Fire timers whose time has come and run what follows."""
        self._refuse_if_failed(instance)
        instance.workflow.refresh_timers()
        return self._advance(instance, now or datetime.now(VN_TZ))

    def next_timer_at(self, instance: Instance) -> datetime | None:
        """When the earliest pending timer of this instance fires (for the scheduler)."""
        times = []
        for pending in instance.workflow.waiting_events():
            if pending.event_type in _TIMER_EVENTS and isinstance(pending.value, str):
                try:
                    times.append(TimerEventDefinition.get_datetime(pending.value))
                except ValueError:
                    continue
        return min(times) if times else None

    def deliver_message(
        self, instance: Instance, name: str, payload: dict[str, Any] | None = None, *,
        now: datetime | None = None,
    ) -> Advance:
        """Deliver a BPMN message (e.g. another agency's hand-over) to a waiting instance."""
        self._refuse_if_failed(instance)
        event = BpmnEvent(MessageEventDefinition(name), payload or {})
        try:
            instance.workflow.send_event(event)
        except WorkflowException:
            raise EngineError("not_waiting_for_message", name=name) from None
        return self._advance(instance, now or datetime.now(VN_TZ))

    # --- deferred connector calls ------------------------------------------------------
    def pending_calls(self, instance: Instance) -> list[PendingCall]:
        """Service tasks waiting for their connector's answer."""
        return [PendingCall(str(t.id), t.task_spec.bpmn_id, t.task_spec.operation_name)
                for t in _tasks_in_state(instance.workflow, TaskState.STARTED)
                if isinstance(t.task_spec, ConnectorServiceTask)]

    def call_request(self, instance: Instance, task_id: str) -> tuple[Connector, dict[str, Any]]:
        """The connector a waiting service task calls and the parameters it declares, evaluated
        on the task's data now (unchanged since the task started: it has not moved)."""
        task = self._pending_call(instance, task_id)
        spec = task.task_spec
        try:
            return self.script_engine.connector_call(task, spec.operation_name, spec.evaluate_params(task))
        except WorkflowException:
            raise EngineError("call_not_pending") from None  # checked when the task started

    def finish_call(
        self, instance: Instance, task_id: str, *, result: dict[str, Any] | None = None,
        error: ConnectorError | None = None, attempts: int = 1, now: datetime | None = None,
    ) -> Advance:
        """Hand a waiting service task its connector's answer and run what follows.

        ``result`` (the declared fields only) goes to the task's result variable. A final
        ``error`` is thrown as the BPMN error its connector maps it to, for a boundary event to
        catch; uncaught, or with no code, it fails the instance as an inline call would."""
        now = now or datetime.now(VN_TZ)
        self._refuse_if_failed(instance)
        task = self._pending_call(instance, task_id)
        spec = task.task_spec
        advance = Advance()
        waited = instance._book.setdefault("waiting", [])
        if task_id in waited:
            waited.remove(task_id)
        if error is None:
            task.data[spec.result_variable] = result or {}
            record_call(task, {"connector": spec.operation_name, "result": result or {}, "attempts": attempts})
            task.complete()
            element = instance.procedure.element(spec.bpmn_id)
            if element is not None:
                self._record_status(instance, advance, element, "statusOnComplete", now)
            return self._advance(instance, now, advance)
        connector = self.connectors.get(spec.operation_name)
        code = error_code(connector, error) if connector is not None else None
        if code is not None and throw_connector_error(task, ConnectorBpmnError(spec.operation_name, code, error,
                                                                                attempts)):
            return self._advance(instance, now, advance)
        failure = ConnectorFailed(spec.operation_name, error, code=code)
        self._fail(instance, advance, WorkflowTaskException(str(failure), task=task, exception=failure), task)
        return advance

    def _pending_call(self, instance: Instance, task_id: str) -> Task:
        found = next((t for t in _tasks_in_state(instance.workflow, TaskState.STARTED)
                      if str(t.id) == task_id and isinstance(t.task_spec, ConnectorServiceTask)), None)
        if found is None:
            raise EngineError("call_not_pending")
        return found

    def payment_due(self, instance: Instance) -> PaymentDue | None:
        """The fee the instance waits for, if it waits at an event declaring ``paymentAmount``.

        None as well when the variable holds no positive whole amount: nothing can be paid then.
        """
        for task in _tasks_in_state(instance.workflow, TaskState.WAITING):
            element = instance.procedure.element(task.task_spec.bpmn_id)
            if element is None or not element.payment_amount or element.message is None:
                continue
            amount = task.data.get(element.payment_amount)
            if isinstance(amount, int) and not isinstance(amount, bool) and amount > 0:
                return PaymentDue(task_id=str(task.id), element_id=element.id, message=element.message,
                                  amount=amount, fee_key=element.payment_fee or "")
        return None

    def serialize(self, instance: Instance) -> str:
        """Instance state as JSON, without the spec (stored once per procedure version)."""
        return self.serializer.dumps(instance.workflow)

    def deserialize(self, procedure: Procedure, state: str) -> Instance:
        workflow = self.serializer.loads(state, procedure.spec, procedure.subprocess_specs)
        workflow.script_engine = self.script_engine
        return Instance(procedure, workflow)

    # --- internals -------------------------------------------------------------------
    def _ready_human(self, instance: Instance) -> list[Task]:
        ready = [
            t for t in _tasks_in_state(instance.workflow, TaskState.READY)
            if t.task_spec.manual
            and (el := instance.procedure.element(t.task_spec.bpmn_id)) is not None and el.tag in HUMAN_TASK_TAGS
        ]
        # The same order before and after a save/load round trip.
        return sorted(ready, key=lambda t: (t.last_state_change, t.task_spec.bpmn_id))

    def _human(self, instance: Instance, task: Task) -> HumanTask:
        element = instance.procedure.element(task.task_spec.bpmn_id)
        assert element is not None
        step = instance._book["steps"].get(str(task.id), {})
        due = step.get("due_at")
        return HumanTask(
            id=str(task.id),
            element_id=element.id,
            name=element.label,
            lane=element.lane,
            form=instance.procedure.form_for(element),
            instructions=element.instructions,
            due_at=datetime.fromisoformat(due) if due else None,
        )

    def _advance(self, instance: Instance, now: datetime, advance: Advance | None = None) -> Advance:
        advance = advance or Advance()
        procedure = instance.procedure

        def entering(task: Task) -> None:
            if str(task.id) in waited:  # its statusOnEnter was recorded when it started waiting
                waited.remove(str(task.id))
                return
            element = procedure.element(task.task_spec.bpmn_id)
            if element is not None:
                self._record_status(instance, advance, element, "statusOnEnter", now)

        def completed(task: Task) -> None:
            element = procedure.element(task.task_spec.bpmn_id)
            if element is not None:
                self._record_status(instance, advance, element, "statusOnComplete", now)

        waited: list[str] = instance._book.setdefault("waiting", [])
        try:
            instance.workflow.do_engine_steps(will_complete_task=entering, did_complete_task=completed)
        except WorkflowException as err:
            self._fail(instance, advance, err, getattr(err, "task", None))
            return advance
        finally:
            advance.connector_calls.extend(ConnectorCall(**call) for call in instance.workflow.data.pop(CALLS, []))
        self._enter_waiting_events(instance, advance, now)
        self._enter_new_human_steps(instance, advance, now)
        scan = _scan(instance.workflow)
        if scan.deepest_active >= MAX_TASK_DEPTH:
            self._set_failure(instance, advance, Failure(
                "loop_limit", None, {"depth": scan.deepest_active, "limit": MAX_TASK_DEPTH}))
        elif scan.unfinished and not scan.active:
            self._set_failure(instance, advance, Failure("stalled", None, {}))
        advance.completed = scan.unfinished == 0 and instance.failure is None
        return advance

    def _enter_waiting_events(self, instance: Instance, advance: Advance, now: datetime) -> None:
        """Record statusOnEnter for elements that are under way without a person: an event
        waiting for a message or a timer, a subprocess whose inner steps are running."""
        waited = instance._book["waiting"]
        under_way = _tasks_in_state(instance.workflow, TaskState.WAITING)
        under_way += _tasks_in_state(instance.workflow, TaskState.STARTED)
        for task in under_way:
            element = instance.procedure.element(task.task_spec.bpmn_id)
            if element is None or element.tag in HUMAN_TASK_TAGS or str(task.id) in waited:
                continue
            waited.append(str(task.id))
            self._record_status(instance, advance, element, "statusOnEnter", now)

    def _enter_new_human_steps(self, instance: Instance, advance: Advance, now: datetime) -> None:
        steps = instance._book["steps"]
        ready = self._ready_human(instance)
        ready_ids = {str(t.id) for t in ready}
        for stale in set(steps) - ready_ids:  # cancelled by a boundary event or message
            del steps[stale]
        for task in ready:
            key = str(task.id)
            if key in steps:
                continue
            element = instance.procedure.element(task.task_spec.bpmn_id)
            assert element is not None
            deadline = element.deadline
            due = self.calendar.due_at(now, deadline.amount, deadline.unit) if deadline else None
            steps[key] = {"entered_at": now.isoformat(), "due_at": due.isoformat() if due else None}
            self._record_status(instance, advance, element, "statusOnEnter", now)
            advance.ready.append(self._human(instance, task))

    def _record_status(self, instance: Instance, advance: Advance, element: Element, key: str, now: datetime) -> None:
        value = element.properties.get(key)
        if value is None:
            return
        code = int(value)
        instance._book["status"] = code
        advance.status_changes.append(StatusChange(code, element.id, now))

    def _fail(self, instance: Instance, advance: Advance, err: WorkflowException, task: Task | None) -> None:
        cause = _root_cause(err)
        element_id = task.task_spec.bpmn_id if task is not None else None
        step = instance.procedure.element(element_id)
        params: dict[str, Any] = {"step": step.label if step else (element_id or "?")}
        if isinstance(cause, SandboxViolation):
            params.update(detail=cause.message("vi"), detail_en=cause.message("en"))
        elif isinstance(cause, ConnectorFailed):
            # A BPMN error code nothing in the diagram caught is named, so the designer knows what to catch.
            detail = f"{cause.code}: {cause.error}" if cause.code else str(cause.error)
            params.update(detail=render("connector_failed", "vi", name=cause.name, detail=detail),
                          detail_en=render("connector_failed", "en", name=cause.name, detail=detail),
                          retryable=cause.error.retryable)
            if cause.code:
                params["error_code"] = cause.code
        else:
            params["detail"] = str(cause or err)
        self._set_failure(instance, advance, Failure("instance_failed", element_id, params))

    def _set_failure(self, instance: Instance, advance: Advance, failure: Failure) -> None:
        instance._book["failure"] = {"code": failure.code, "element_id": failure.element_id, "params": failure.params}
        advance.failure = failure

    def _refuse_if_failed(self, instance: Instance) -> None:
        if instance.failure is not None:
            raise EngineError("instance_is_failed")


def _root_cause(err: BaseException) -> BaseException | None:
    """The innermost error: SpiffWorkflow may wrap our own exception more than once."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (SandboxViolation, ConnectorFailed)):
            return current
        inner = getattr(current, "exception", None)
        current = inner if isinstance(inner, BaseException) else current.__cause__
    return getattr(err, "exception", None) or err.__cause__


def _raise_if_invalid(form: CompiledForm, data: Any, lang: str) -> None:
    errors: list[FieldError] = forms.validate(form, data, lang)
    if errors:
        raise FormInvalid(errors)


__all__ = ["Advance", "ConnectorCall", "Engine", "EngineError", "Failure", "FormInvalid", "HumanTask", "Instance",
           "PaymentDue", "PendingCall", "StatusChange"]
