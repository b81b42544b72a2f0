"""Path exploration: drive a procedure down every way it can go before it is published.

``motcua validate --paths`` (and the web app when a version is published) runs each package
through the real engine, with made-up but valid data, and reports:

* **flows never taken** (warnings): a sequence flow no combination of answers, messages, timers
  and connector outcomes ever follows, e.g. a gateway condition that can never be true;
* **ends never reached** (errors): an end event no dossier can finish at;
* **steps nobody can act on** (errors): a user or manual task whose lane is missing, not routed
  in ``procedure.yaml``, or routed to a role nobody can hold; and places where a dossier stalls
  (the process has not finished, nothing is ready, nothing is awaited).

How it drives: a breadth-first search over instance states. From each state it tries every
choice there is: each ready human step with each answer :mod:`engine.answers` makes for its form
(one per alternative of each field the diagram's expressions read); each message the process
waits for (a payment message carries the amount due); each timer it waits for, fired at once;
each connector call, answered with success (its declared result fields, set to the values the
diagram compares them with) and with each BPMN error code a boundary event on the task catches.
Outside systems are never called. A state already seen (same steps under way, same values of
what the conditions read) is not explored again, and the search stops after ``max_actions``
engine actions, saying so. If choices one at a time leave flows untaken, the search runs again
with pairs of choices (a value only allowed with another one).

Timers are fired by marking the waiting timer task as fired before the engine's own
``refresh_timers``: the one place this module touches SpiffWorkflow's task objects.
"""

from __future__ import annotations

import ast
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine import bindings
from engine.answers import AnswerMaker
from engine.compiler import Procedure
from engine.connectors import ConnectorError, ConnectorRegistry, error_codes_of, result_fields
from engine.forms import FormInvalid
from engine.local_systems import default_registry
from engine.model import BPMN_NS, BpmnModel, Element, read_model
from engine.package import PackageSource
from engine.problems import Problem
from engine.roles import KNOWN_ROLES
from engine.runtime import VN_TZ, Advance, Engine, EngineError, Instance
from engine.xmlsafe import parse_xml

MAX_ACTIONS = 3000
_REACHED = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR
_UNDER_WAY = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_CONTEXT = {"ma_ho_so": "THU-NGHIEM-000001", "kenh": "truc_tuyen"}


@dataclass
class PathReport:
    """What exploring one package found. ``errors`` would leave a dossier stuck or an end
    unreachable; ``warnings`` are flows never taken and limits of the exploration itself."""

    slug: str
    flows: list[str]
    taken: set[str] = field(default_factory=set)
    ends: list[str] = field(default_factory=list)
    ends_reached: set[str] = field(default_factory=set)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    actions: int = 0
    bound_hit: bool = False

    @property
    def coverage(self) -> tuple[int, int]:
        return len(self.taken & set(self.flows)), len(self.flows)

    def coverage_line(self, lang: str = "vi") -> str:
        from engine.messages import render

        taken, total = self.coverage
        percent = 100 if total == 0 else int(100 * taken / total)
        return render("path_coverage", lang, taken=taken, total=total, percent=percent)


@dataclass
class _Expressions:
    """What the package's expressions read: names and subscripts (``nhan_ket_qua["hinh_thuc"]``)
    as paths, and the constants each path is compared with."""

    names: set[str] = field(default_factory=set)  # every name or key read anywhere
    condition_paths: set[tuple[str, ...]] = field(default_factory=set)  # read by gateway conditions
    constants: dict[str, list[Any]] = field(default_factory=dict)  # last step of a path -> constants
    path_constants: dict[tuple[str, ...], list[Any]] = field(default_factory=dict)

    def read(self, text: str, mode: str, *, condition: bool = False) -> None:
        try:
            tree = ast.parse(text.strip(), mode=mode)
        except (SyntaxError, ValueError):
            return
        for node in ast.walk(tree):
            path = _path_of(node)
            if path:
                self.names.update(path)
                if condition:
                    self.condition_paths.add(path)
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                values = [v for o in operands for v in _literals(o)]
                for operand in operands:
                    found = _path_of(operand)
                    if found:
                        for value in values:
                            self._constant(found, value)

    def _constant(self, path: tuple[str, ...], value: Any) -> None:
        for known in (self.constants.setdefault(path[-1], []), self.path_constants.setdefault(path, [])):
            if value not in known:
                known.append(value)


def _path_of(node: ast.AST) -> tuple[str, ...] | None:
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        base = _path_of(node.value)
        return (*base, node.slice.value) if base else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        base = _path_of(node.func.value)
        return (*base, node.args[0].value) if base else None
    return None


def _literals(node: ast.AST) -> list[Any]:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if isinstance(v, (str, int, float, bool))]
    return [value] if isinstance(value, (str, int, float, bool)) else []


def _read_expressions(procedure: Procedure, model: BpmnModel, source: PackageSource) -> _Expressions:
    found = _Expressions()
    for flow in model.flows:
        if flow.condition:
            found.read(flow.condition, "eval", condition=True)
    for element in procedure.elements.values():
        for _, script in element.scripts:
            found.read(script, "exec")
        for expression in element.operator_params.values():
            found.read(expression, "eval")
    for path in source.in_bpmn(".dmn"):
        try:
            tree = parse_xml(source.files[path])
        except Exception:  # noqa: BLE001 - the validator has accepted it; nothing to learn otherwise
            continue
        for node in tree.getroot().iter():
            if not isinstance(node.tag, str) or etree.QName(node).localname != "inputExpression":
                continue
            text = "".join(node.itertext()).strip()
            if text:
                found.read(text, "eval")
    return found


def _model(source: PackageSource) -> BpmnModel:
    """The package's BPMN as the validator reads it (flows, elements), from its files."""
    model = BpmnModel()
    for path in source.in_bpmn(".bpmn"):
        read_model(model, path, parse_xml(source.files[path]))
    return model


def _flow_names(source: PackageSource) -> dict[str, str]:
    names: dict[str, str] = {}
    for path in source.in_bpmn(".bpmn"):
        try:
            tree = parse_xml(source.files[path])
        except Exception:  # noqa: BLE001
            continue
        for node in tree.getroot().iter(f"{{{BPMN_NS}}}sequenceFlow"):
            if node.get("name"):
                names[node.get("id", "")] = node.get("name", "").strip()
    return names


class Explorer:
    """Explores one compiled procedure (see the module's description)."""

    def __init__(self, source: PackageSource, *, connectors: ConnectorRegistry | None = None,
                 max_actions: int = MAX_ACTIONS, now: datetime | None = None):
        self.registry = connectors or default_registry()
        self.engine = Engine(connectors=self.registry, defer_connectors=True)
        self.source = source
        self.procedure = self.engine.load(source)  # raises PackageInvalid: validate first
        self.max_actions = max_actions
        self.now = now or datetime.now(VN_TZ)
        model = _model(source)
        self.expressions = _read_expressions(self.procedure, model, source)
        flows = model.flows
        self.flow_by_edge: dict[tuple[str, str], list[Any]] = {}
        for flow in flows:  # two flows may join the same two elements (two conditions, one target)
            self.flow_by_edge.setdefault((flow.source, flow.target), []).append(flow)
        self.flow_names = _flow_names(source)
        ends = [e for e in self.procedure.elements.values() if e.tag == "endEvent"]
        self.report = PathReport(source.slug, [f.id for f in flows], ends=[e.id for e in ends])
        self._flows = {f.id: f for f in flows}
        self._answers: dict[str, list[dict[str, Any]]] = {}
        self._no_answer: set[str] = set()
        self._nobody: set[str] = set()
        self._stalls: set[str] = set()
        self._failures: set[tuple[str | None, str]] = set()
        self._pairs = False

    # --- answers ---------------------------------------------------------------------------
    def answers(self, element: Element | None) -> list[dict[str, Any]]:
        form = self.procedure.form_for(element) if element is not None else self.procedure.start_form
        if form is None:
            return [{}]
        key = f"{form.path}|{self._pairs}"
        if key not in self._answers:
            maker = AnswerMaker(form, self.now.date(), self.expressions.constants)
            self._answers[key] = maker.variants(self.expressions.names, pairs=self._pairs)
            if not self._answers[key] and form.path not in self._no_answer:
                self._no_answer.add(form.path)
                self.report.warnings.append(Problem("forms/" + form.path, element.id if element else None,
                                                    "path_no_answer", {"form": form.path}))
        return self._answers[key]

    # --- running ---------------------------------------------------------------------------
    def run(self) -> PathReport:
        self._search()
        if self._untaken() and not self.report.bound_hit:
            self._pairs = True
            self._search()
        self._conclude()
        return self.report

    def _search(self) -> None:
        seen: set[str] = set()
        queue: deque[str] = deque()
        start = self.procedure.element(next((e.id for e in self.procedure.elements.values()
                                             if e.tag == "startEvent" and e.form and e.container_id == e.process_id),
                                            None))
        for answer in self.answers(start):
            if self._spent():
                return
            try:
                instance, advance = self.engine.start(self.procedure, answer, now=self.now, context=dict(_CONTEXT))
            except FormInvalid:
                continue
            self.report.actions += 1
            self._keep(instance, advance, seen, queue)
        while queue:
            state = queue.popleft()
            instance = self.engine.deserialize(self.procedure, state)
            choices = self._choices(instance)
            if not choices:
                self._stalled(instance)
                continue
            for act in choices:
                if self._spent():
                    return
                fresh = self.engine.deserialize(self.procedure, state)
                try:
                    advance = act(fresh)
                except (FormInvalid, EngineError):
                    continue
                self.report.actions += 1
                self._keep(fresh, advance, seen, queue)

    def _spent(self) -> bool:
        if self.report.actions >= self.max_actions:
            self.report.bound_hit = True
            return True
        return False

    def _keep(self, instance: Instance, advance: Advance, seen: set[str], queue: deque[str]) -> None:
        new = self._observe(instance, advance)
        if advance.failure is not None or instance.failure is not None or instance.completed:
            return
        signature = self._signature(instance)
        if new or signature not in seen:
            seen.add(signature)
            queue.append(self.engine.serialize(instance))

    # --- what happened -----------------------------------------------------------------------
    def _trees(self, instance: Instance) -> list[Any]:
        workflow = instance.workflow
        return [workflow, *workflow.subprocesses.values()]

    def _observe(self, instance: Instance, advance: Advance) -> bool:
        """Record flows taken, ends reached, failures and steps nobody can do; True if anything new."""
        before = (len(self.report.taken), len(self.report.ends_reached))
        for tree in self._trees(instance):
            for task in tree.tasks.values():
                bpmn_id = getattr(task.task_spec, "bpmn_id", None)
                if bpmn_id is None or not task.state & _REACHED:
                    continue
                if bpmn_id in self.procedure.elements and self.procedure.elements[bpmn_id].tag == "endEvent" \
                        and task.state == TaskState.COMPLETED:
                    self.report.ends_reached.add(bpmn_id)
                parent = task.parent
                while parent is not None and getattr(parent.task_spec, "bpmn_id", None) is None:
                    parent = parent.parent
                if parent is not None:
                    flow = self._flow_between(instance, parent, bpmn_id)
                    if flow is not None:
                        self.report.taken.add(flow.id)
        failure = advance.failure or instance.failure
        if failure is not None:
            self._failed(failure)
        for task in self.engine.ready_tasks(instance):
            self._check_lane(task.element_id)
        return (len(self.report.taken), len(self.report.ends_reached)) != before

    def _flow_between(self, instance: Instance, parent: Any, target: str) -> Any:
        flows = self.flow_by_edge.get((parent.task_spec.bpmn_id, target), [])
        if len(flows) <= 1:
            return flows[0] if flows else None
        # Several flows between the same two elements: the first whose condition holds on the
        # data the gateway saw, as the gateway itself chose; else the one without a condition.
        for flow in flows:
            if flow.condition:
                try:
                    if instance.workflow.script_engine.evaluate(parent, flow.condition):
                        return flow
                except Exception:  # noqa: BLE001 - a condition that fails here did not choose this flow
                    continue
        return next((f for f in flows if not f.condition), None)

    def _failed(self, failure: Any) -> None:
        element = self.procedure.element(failure.element_id)
        if failure.code == "stalled":
            self._stalled(None)
            return
        key = (failure.element_id, failure.message("en"))
        if key in self._failures:
            return
        self._failures.add(key)
        step = element.label if element else (failure.element_id or "?")
        self.report.warnings.append(Problem(
            element.file if element else self.source.process_path, failure.element_id, "path_failed",
            {"step": step, "detail": failure.message("vi"), "detail_en": failure.message("en")}))

    def _check_lane(self, element_id: str) -> None:
        if element_id in self._nobody:
            return
        element = self.procedure.elements[element_id]
        lanes = self.procedure.metadata.get("lanes") or {}
        routing = lanes.get(element.lane or "")
        params: dict[str, Any] = {"name": element.label, "lane": element.lane or "-"}
        reason: tuple[str, dict[str, Any]]
        if not element.lane:
            reason = ("path_lane_missing", {})
        elif not isinstance(routing, dict):
            reason = ("path_lane_not_routed", {})
        elif routing.get("unit") != "applicant" and routing.get("role") not in KNOWN_ROLES:
            reason = ("path_lane_unknown_role", {"role": routing.get("role")})
        else:
            return
        from engine.messages import render

        self._nobody.add(element_id)
        params.update(reason=render(reason[0], "vi", **reason[1]), reason_en=render(reason[0], "en", **reason[1]))
        self.report.errors.append(Problem(element.file, element.id, "path_nobody_can_act", params))

    def _stalled(self, instance: Instance | None) -> None:
        names = []
        ids = []
        if instance is not None:
            for tree in self._trees(instance):
                for task in tree.tasks.values():
                    bpmn_id = getattr(task.task_spec, "bpmn_id", None)
                    element = self.procedure.element(bpmn_id)
                    if element is not None and task.state & _UNDER_WAY and element.tag not in ("subProcess",
                                                                                               "callActivity"):
                        ids.append(element.id)
                        names.append(f"'{element.label}'")
        key = ",".join(sorted(ids)) or "-"
        if key in self._stalls:
            return
        self._stalls.add(key)
        where = ", ".join(sorted(set(names))) or "?"
        first = self.procedure.element(ids[0]) if ids else None
        self.report.errors.append(Problem(first.file if first else self.source.process_path,
                                          first.id if first else None, "path_stalled", {"where": where}))

    def _signature(self, instance: Instance) -> str:
        active = sorted(f"{getattr(t.task_spec, 'bpmn_id', None) or t.task_spec.name}:{int(t.state)}"
                        for tree in self._trees(instance) for t in tree.tasks.values() if t.state & _UNDER_WAY)
        data = instance.data
        values = {".".join(p): bindings.read(data, p) for p in sorted(self.expressions.condition_paths)}
        return json.dumps([active, values], sort_keys=True, ensure_ascii=False, default=str)

    # --- choices -------------------------------------------------------------------------------
    def _choices(self, instance: Instance) -> list[Callable[[Instance], Advance]]:
        choices: list[Callable[[Instance], Advance]] = []
        done: set[str] = set()
        for task in self.engine.ready_tasks(instance):
            if task.element_id in done:
                continue  # parallel instances of one step: answering one is enough
            done.add(task.element_id)
            element = self.procedure.elements[task.element_id]
            for answer in self.answers(element):
                choices.append(_complete(self, task.id, answer))
        due = self.engine.payment_due(instance)
        for tree in self._trees(instance):
            for task in list(tree.tasks.values()):
                if task.state != TaskState.WAITING:
                    continue
                waiting = self.procedure.element(getattr(task.task_spec, "bpmn_id", None))
                definition = getattr(task.task_spec, "event_definition", None)
                if waiting is not None and waiting.message:
                    payload = {"so_tien": due.amount} if due is not None and due.element_id == waiting.id else {}
                    choices.append(_deliver(self, waiting.message, payload))
                elif isinstance(definition, TimerEventDefinition):
                    choices.append(_fire(self, str(task.id)))
        for call in self.engine.pending_calls(instance):
            choices.extend(self._call_outcomes(call.task_id, call.element_id, call.connector))
        return choices

    def _call_outcomes(self, task_id: str, element_id: str, name: str) -> list[Callable[[Instance], Advance]]:
        connector = self.registry.get(name)
        element = self.procedure.elements[element_id]
        outcomes = []
        for result in self._results(element, connector):
            outcomes.append(_finish(self, task_id, result=result))
        codes = error_codes_of(connector) if connector is not None else {}
        caught = {b.error_code for b in self.procedure.elements.values()
                  if b.attached_to == element_id and b.error_code is not None}
        for reason, code in dict(codes).items():
            if code in caught or "" in caught:
                outcomes.append(_finish(self, task_id, error=ConnectorError(
                    "thử nghiệm / exploration", retryable=False, reason="khac" if reason == "*" else reason)))
        return outcomes

    def _results(self, element: Element, connector: Any) -> list[dict[str, Any]]:
        """The declared result fields, each set to the first value the diagram compares it with;
        then one result per other compared value."""
        fields = sorted(result_fields(connector) or []) if connector is not None else []
        variable = self._result_variable(element)
        options = {f: self.expressions.path_constants.get((variable, f), []) for f in fields}
        base = {f: (options[f][0] if options[f] else None) for f in fields}
        results = [base]
        for name, values in options.items():
            for value in values[1:]:
                results.append({**base, name: value})
        return results

    def _result_variable(self, element: Element) -> str:
        for tree in (self.procedure.spec, *self.procedure.subprocess_specs.values()):
            spec = tree.task_specs.get(element.id)
            if spec is not None:
                return getattr(spec, "result_variable", "") or ""
        return ""

    # --- conclusions ---------------------------------------------------------------------------
    def _untaken(self) -> list[str]:
        return [f for f in self.report.flows if f not in self.report.taken]

    def _conclude(self) -> None:
        report = self.report
        # Unexplored beyond a failure, a bound or a form without answers: an end not reached is not proven
        # unreachable then, so it is a warning (next to the failure or limit that explains it).
        partial = report.bound_hit or bool(self._no_answer) or bool(self._failures)
        if report.bound_hit:
            report.warnings.append(Problem(self.source.process_path, None, "path_bound_reached",
                                           {"limit": self.max_actions}))
        for flow_id in self._untaken():
            flow = self._flows[flow_id]
            source = self.procedure.element(flow.source)
            target = self.procedure.element(flow.target)
            report.warnings.append(Problem(flow.file, flow.id, "path_flow_never_taken", {
                "name": self.flow_names.get(flow.id) or flow.id,
                "source": source.label if source else flow.source,
                "target": target.label if target else flow.target}))
        for end_id in report.ends:
            if end_id not in report.ends_reached:
                end = self.procedure.elements[end_id]
                problem = Problem(end.file, end.id, "path_end_never_reached", {"name": end.label})
                (report.warnings if partial else report.errors).append(problem)




def _complete(explorer: Explorer, task_id: str, answer: dict[str, Any]) -> Callable[[Instance], Advance]:
    return lambda instance: explorer.engine.complete(instance, task_id, answer, now=explorer.now)


def _deliver(explorer: Explorer, message: str, payload: dict[str, Any]) -> Callable[[Instance], Advance]:
    return lambda instance: explorer.engine.deliver_message(instance, message, payload, now=explorer.now)


def _finish(explorer: Explorer, task_id: str, *, result: dict[str, Any] | None = None,
            error: ConnectorError | None = None) -> Callable[[Instance], Advance]:
    return lambda instance: explorer.engine.finish_call(instance, task_id, result=result, error=error,
                                                        now=explorer.now)


def _fire(explorer: Explorer, task_id: str) -> Callable[[Instance], Advance]:
    def fire(instance: Instance) -> Advance:
        for tree in explorer._trees(instance):
            task = tree.tasks.get(_uuid(task_id))
            if task is None:
                continue
            definition = task.task_spec.event_definition
            if isinstance(definition, CycleTimerEventDefinition):
                value = task._get_internal_data("event_value")
                if isinstance(value, dict):
                    value["next"] = "2000-01-01T00:00:00+00:00"
            else:
                task._set_internal_data(event_fired=True)
        return explorer.engine.refresh_timers(instance, now=explorer.now)
    return fire


def _uuid(task_id: str) -> Any:
    from uuid import UUID

    return UUID(task_id)


def explore(source: PackageSource, *, connectors: ConnectorRegistry | None = None,
            max_actions: int = MAX_ACTIONS, now: datetime | None = None) -> PathReport:
    """Explore a package that validates (raises PackageInvalid otherwise)."""
    return Explorer(source, connectors=connectors, max_actions=max_actions, now=now).run()


__all__ = ["MAX_ACTIONS", "Explorer", "PathReport", "explore"]
