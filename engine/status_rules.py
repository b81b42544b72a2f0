"""The national dossier status must change where the law says it does: a static check of the diagram.

The web app acts on three kinds of status (``webapp/dossiers/service.py``): *received* (2) starts
the legal clock, *result ready* (9) signs the result document, and a final status (3 refused,
8 stopped, 10 returned) closes the dossier. A diagram that forgets one of them runs, but the
dossier is never closed, never signed, or counts its deadline from the wrong day. So every
path through the main process is followed, remembering what it has set so far:

- an end event of the main process must be reached with a final status (3, 8 or 10) as the
  last one set (on the end event itself or on a step before it), unless a parallel branch is
  still open there (the other branch finishes the dossier);
- a step that sets *result ready* (9) or *returned* (10) must have been preceded, on every path
  to it, by *received* (2);
- a step that sets *returned* (10) must have been preceded by *result ready* (9) (it may be the
  same step: ``statusOnEnter`` 9, ``statusOnComplete`` 10).

``statusOnEnter`` counts before ``statusOnComplete``; a boundary event leaves its task after the
task's ``statusOnEnter`` only. Sub-processes are followed inside; call activities and event
sub-processes count only their own properties (their inner statuses are not followed).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, replace
from typing import Any

from engine.model import CONTAINER_TAGS, BpmnModel, Element
from engine.statuses import DossierStatus

RECEIVED, RESULT_READY, RETURNED = 2, 9, 10
FINAL = frozenset({3, 8, 10})
MAX_OPEN_BRANCHES = 3
_SPLITTING = frozenset({"parallelGateway", "inclusiveGateway"})
_EXIT = "\x00exit"  # suffix of the node a sub-process is left by once one of its end events is reached


@dataclass(frozen=True)
class _State:
    last: int | None = None
    received: bool = False
    ready: bool = False
    open_branches: int = 0


@dataclass(frozen=True)
class StatusProblem:
    element: Element
    code: str
    params: dict[str, Any]


def _status(element: Element, key: str) -> int | None:
    value = (element.properties.get(key) or "").strip()
    return int(value) if value.isdigit() and 1 <= int(value) <= 10 else None


def _label(code: int | None, lang: str) -> str:
    if code is None:
        return "chưa đặt trạng thái nào" if lang == "vi" else "no status set yet"
    return DossierStatus(code).label(lang)


class _Walk:
    def __init__(self, model: BpmnModel, main_processes: set[str]):
        self.model = model
        self.main = main_processes
        self.outgoing: dict[str, list[str]] = defaultdict(list)
        self.incoming: dict[str, int] = defaultdict(int)
        for flow in model.flows:
            self.outgoing[flow.source].append(flow.target)
            self.incoming[flow.target] += 1
        self.attached: dict[str, list[Element]] = defaultdict(list)
        self.inner_starts: dict[str, list[str]] = defaultdict(list)
        for element in model.elements.values():
            if element.attached_to:
                self.attached[element.attached_to].append(element)
            if element.tag == "startEvent" and element.container_id != element.process_id:
                self.inner_starts[element.container_id].append(element.id)
        self.parents: dict[tuple[str, _State], tuple[str, _State] | None] = {}
        self.queue: deque[tuple[str, _State]] = deque()
        self.found: dict[tuple[str, str], StatusProblem] = {}

    def run(self) -> list[StatusProblem]:
        for element in self.model.elements.values():
            if (element.tag == "startEvent" and element.process_id in self.main
                    and element.container_id == element.process_id):
                self._push(element.id, _State(), None)
        while self.queue:
            node, state = self.queue.popleft()
            self._visit(node, state)
        return list(self.found.values())

    def _push(self, node: str, state: _State, parent: tuple[str, _State] | None) -> None:
        key = (node, state)
        if key not in self.parents:
            self.parents[key] = parent
            self.queue.append(key)

    def _path(self, key: tuple[str, _State]) -> str:
        names: list[str] = []
        current: tuple[str, _State] | None = key
        while current is not None:
            node = current[0]
            if not node.endswith(_EXIT):
                name = self.model.elements[node].label
                if not names or names[-1] != name:
                    names.append(name)
            current = self.parents[current]
        names.reverse()
        if len(names) > 10:
            names = [*names[:4], "…", *names[-5:]]
        return " → ".join(names)

    def _report(self, element: Element, code: str, key: tuple[str, _State], **params: Any) -> None:
        if (element.id, code) not in self.found:
            self.found[(element.id, code)] = StatusProblem(element, code, {**params, "path": self._path(key)})

    def _apply(self, element: Element, status: int | None, state: _State, key: tuple[str, _State]) -> _State:
        if status is None:
            return state
        if status in (RESULT_READY, RETURNED) and not state.received:
            self._report(element, "status_received_missing", key, name=element.label, status=status)
            state = replace(state, received=True)  # reported once, not again at every later step
        if status == RETURNED and not state.ready:
            self._report(element, "status_result_ready_missing", key, name=element.label)
            state = replace(state, ready=True)
        return replace(state, last=status, received=state.received or status == RECEIVED,
                       ready=state.ready or status == RESULT_READY)

    def _leave(self, element: Element, state: _State, key: tuple[str, _State]) -> None:
        after = self._apply(element, _status(element, "statusOnComplete"), state, key)
        targets = self.outgoing[element.id]
        if element.tag in _SPLITTING and len(targets) > 1:
            after = replace(after, open_branches=min(MAX_OPEN_BRANCHES, after.open_branches + 1))
        for target in targets:
            self._push(target, after, key)
        if element.tag == "endEvent":
            self._end(element, after, key)

    def _end(self, element: Element, state: _State, key: tuple[str, _State]) -> None:
        container = self.model.elements.get(element.container_id)
        if container is not None and container.tag in CONTAINER_TAGS and not container.triggered_by_event:
            self._push(container.id + _EXIT, state, key)  # the sub-process is done; it continues outside
        elif (element.container_id == element.process_id and element.process_id in self.main
              and state.open_branches == 0 and state.last not in FINAL):
            self._report(element, "status_end_not_final", key, name=element.label,
                         status=state.last if state.last is not None else "-",
                         detail=_label(state.last, "vi"), detail_en=_label(state.last, "en"))

    def _visit(self, node: str, state: _State) -> None:
        key = (node, state)
        if node.endswith(_EXIT):
            self._leave(self.model.elements[node.removesuffix(_EXIT)], state, key)
            return
        element = self.model.elements.get(node)
        if element is None:
            return
        if element.tag in _SPLITTING and self.incoming[element.id] > 1:  # a join closes a branch
            state = replace(state, open_branches=max(0, state.open_branches - 1))
        entered = self._apply(element, _status(element, "statusOnEnter"), state, key)
        for boundary in self.attached[element.id]:
            branch = entered
            if not boundary.cancel_activity:
                branch = replace(entered, open_branches=min(MAX_OPEN_BRANCHES, entered.open_branches + 1))
            self._push(boundary.id, branch, key)
        inner = self.inner_starts.get(element.id) if element.tag in CONTAINER_TAGS else None
        if inner and not element.triggered_by_event:
            for start in inner:
                self._push(start, entered, key)
            return
        self._leave(element, entered, key)


def check_statuses(model: BpmnModel, main_processes: set[str]) -> list[StatusProblem]:
    """Every place where a path through ``main_processes`` misses a national status change."""
    return _Walk(model, main_processes).run()
