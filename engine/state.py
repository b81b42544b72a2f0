"""Instance state as compact JSON, without the process spec.

Why not SpiffWorkflow's own serializer: it embeds the whole spec in every workflow it
saves and walks every value of every task's data in Python on the way out and back, so
saving a dossier after each step cost more than running the step. A dossier's spec is
its procedure version's, stored once; this codec leaves it out, stores each task's data
as a delta against its parent's (as SpiffWorkflow does) and lets the C JSON encoder do
the walking. Only the rare values JSON cannot hold (dates, decimals, SpiffWorkflow's
event payloads in ``internal_data``) take a slower path.

Layout (``format`` ``motcua-state-2``)::

    {"format": ..., "workflow": W, "subprocesses": [S, ...], "bpmn_events": [...]}
    W = {"data", "correlations", "last_task", "success", "completed", "root", "tasks": [T, ...]}
    S = W + {"spec": name, "parent_task_id": uuid}           (parents before children)
    T = [id, parent, children, spec name, state, last_state_change, triggered,
         internal_data, data, deleted keys or null]
    data is the task's whole data when deleted is null (the root, and unfinished tasks
    whose data can still change), otherwise only the keys that differ from the parent's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, SafeUUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.values import ORJSON_OPTIONS
from engine.values import TAG as _TAG
from engine.values import decode_tree as _decode_tree
from engine.values import encode_default as _encode

STATE_FORMAT = "motcua-state-2"
_ORJSON_OPTIONS = ORJSON_OPTIONS  # dates through _encode, non-string keys as strings (engine/values.py)
# Only finished tasks are stored as a delta: nothing changes their data again, so after
# loading they may share unchanged values with their parent.
_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
_ROW_CACHE = "_motcua_state_row"


class StateError(ValueError):
    """The stored state cannot be read (unknown format, or a spec that does not match)."""


def _uuid(text: str) -> UUID:
    """UUID(text) without its argument checks: ids come from our own saved state."""
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int(text.replace("-", ""), 16))
    object.__setattr__(value, "is_safe", SafeUUID.unknown)
    return value


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Drop callables (helpers a script defined) as SpiffWorkflow does before saving."""
    return {k: v for k, v in data.items() if not callable(v)}


class StateSerializer:
    def __init__(self) -> None:
        # SpiffWorkflow's registry still handles what only it knows: event payloads and
        # definitions kept in internal_data and pending BPMN events.
        self._registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)

    # --- saving --------------------------------------------------------------------
    def dumps(self, workflow: BpmnWorkflow) -> str:
        doc = {
            "format": STATE_FORMAT,
            "workflow": self._workflow_dict(workflow),
            "subprocesses": [
                {**self._workflow_dict(sub), "spec": sub.spec.name, "parent_task_id": str(sub.parent_task_id)}
                for sub in workflow.subprocesses.values()
            ],
            "bpmn_events": self._registry.convert(workflow.bpmn_events) if workflow.bpmn_events else [],
        }
        return orjson.dumps(doc, default=_encode, option=_ORJSON_OPTIONS).decode()

    def _workflow_dict(self, workflow: BpmnWorkflow | BpmnSubWorkflow) -> dict[str, Any]:
        return {
            "data": _clean(workflow.data),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "root": str(workflow.task_tree.id),
            "tasks": self._task_rows(workflow),
        }

    def _task_rows(self, workflow: BpmnWorkflow | BpmnSubWorkflow) -> list[list[Any]]:
        tasks = _tree_order(workflow)
        ids = {task.id: str(task.id) for task in tasks}
        rows = []
        for task in tasks:
            # A finished task's row only changes if it gains children (a loop goes round);
            # reuse the row it was loaded with or last saved as.
            cached = task.__dict__.get(_ROW_CACHE)
            key = (task._state, task.last_state_change, len(task._children))
            if cached is not None and cached[0] == key:
                rows.append(cached[1])
                continue
            row = self._task_row(task, ids)
            if task._state & _FINISHED:
                task.__dict__[_ROW_CACHE] = (key, row)
            rows.append(row)
        return rows

    def _task_row(self, task: Task, ids: dict[UUID, str]) -> list[Any]:
        parent = task.parent
        data = _clean(task.data)
        if parent is None or not task.state & _FINISHED:
            # Data that can still change is stored whole, so loading gives it objects of its own.
            updates, deleted = data, None
        else:
            before = parent.data
            updates = {k: v for k, v in data.items() if k not in before or before[k] != v}
            deleted = [k for k in before if k not in data and not callable(before[k])]
        internal = self._registry.convert(task.internal_data) if task.internal_data else {}
        parent_id = ids.get(task._parent) or (str(task._parent) if task._parent else None)
        return [
            ids[task.id], parent_id, [ids.get(c) or str(c) for c in task._children],
            task.task_spec.name, task.state, task.last_state_change, task.triggered, internal, updates, deleted,
        ]

    # --- loading -------------------------------------------------------------------
    def loads(
        self, text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        doc = orjson.loads(text)
        if f'"{_TAG}"' in text:  # only states holding dates, decimals... need the slower walk
            doc = _decode_tree(doc)
        if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else None
            raise StateError(f"unknown instance state format {found!r}")
        workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
        self._restore_into(workflow, doc["workflow"], workflow)
        pending = {sub["parent_task_id"]: sub for sub in doc["subprocesses"]}
        self._restore_subprocesses(workflow, workflow, pending)
        if pending:
            raise StateError("instance state has subprocesses that do not belong to any task")
        workflow.bpmn_events = self._registry.restore(doc["bpmn_events"]) if doc["bpmn_events"] else []
        return workflow

    def _restore_into(
        self, workflow: BpmnWorkflow | BpmnSubWorkflow, dct: dict[str, Any], top: BpmnWorkflow
    ) -> None:
        specs = workflow.spec.task_specs
        ids = {row[0]: _uuid(row[0]) for row in dct["tasks"]}  # each id parsed once
        for row in dct["tasks"]:
            (task_id, parent_id, children, spec_name, state, changed, triggered,
             internal, updates, deleted) = row
            task_spec = specs.get(spec_name)
            if task_spec is None:
                raise StateError(f"the procedure version has no step {spec_name!r}")
            parent_uuid = (ids.get(parent_id) or _uuid(parent_id)) if parent_id else None
            parent = workflow.tasks.get(parent_uuid) if parent_uuid else None
            if deleted is None or parent is None:  # stored whole
                data = updates
            else:
                # Finished tasks share unchanged values with their parent: nothing changes them.
                data = {**parent.data, **updates}
                for key in deleted:
                    data.pop(key, None)
            # Task.__init__ also stamps the time and notifies the parent; restoring must
            # do neither, and skipping it halves the cost of a load.
            task = Task.__new__(Task)
            task.__dict__.update(
                id=ids[task_id], workflow=workflow, _parent=parent_uuid,
                _children=[ids.get(c) or _uuid(c) for c in children], _state=state, triggered=triggered,
                task_spec=task_spec, thread_id=0, data=data,
                internal_data=self._registry.restore(internal) if internal else {},
                last_state_change=changed,
            )
            if state & _FINISHED:
                task.__dict__[_ROW_CACHE] = ((state, changed, len(children)), row)
            workflow.tasks[task.id] = task
            if isinstance(task_spec, CatchingEvent) and state & TaskState.WAITING:
                top.event_manager.add_task(task)
        workflow.task_tree = workflow.tasks[ids[dct["root"]]]
        workflow.success = dct["success"]
        workflow.completed = dct["completed"]
        workflow.correlations = dct["correlations"]
        workflow.last_task = workflow.tasks.get(ids[dct["last_task"]]) if dct["last_task"] else None
        workflow.data = dct["data"]

    def _restore_subprocesses(
        self, workflow: BpmnWorkflow | BpmnSubWorkflow, top: BpmnWorkflow, pending: dict[str, dict[str, Any]]
    ) -> None:
        """Parents before children: a subprocess needs the task that started it."""
        for task in list(workflow.tasks.values()):
            dct = pending.pop(str(task.id), None)
            if dct is None or not isinstance(task.task_spec, SubWorkflowTask):
                continue
            spec = top.subprocess_specs.get(dct["spec"])
            if spec is None:
                raise StateError(f"the procedure version has no subprocess {dct['spec']!r}")
            sub = BpmnSubWorkflow(spec, task.id, top, deserializing=True)
            self._restore_into(sub, dct, top)
            top.subprocesses[task.id] = sub
            sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            self._restore_subprocesses(sub, top, pending)


def _tree_order(workflow: BpmnWorkflow | BpmnSubWorkflow) -> list[Task]:
    """Every task, each parent before its children (restoring needs the parent's data)."""
    ordered: list[Task] = []
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        ordered.append(task)
        stack.extend(reversed(task.children))
    return ordered
