"""Moving a running instance from its procedure version to another one, when that is safe.

A dossier keeps the version it started on (the version is the hash of its files). Sometimes a
province wants the dossiers under way to follow a corrected version too. That is safe only if
the new version can take over exactly where the instance stands:

- every step already done and every step under way still exists (SpiffWorkflow restores a task by
  its spec name), with the same kind of element, the same lane (the same people see it) and, for an
  event that waits for a message, the same message;
- a step under way is reached the same way (a boundary event added or removed, or a step inserted
  just before it, changes the tree SpiffWorkflow would have built);
- no sub-process under way was removed;
- what the steps already done submitted still satisfies their forms in the new version (a new
  required field, a narrower list of choices... would leave the dossier with data its own forms refuse).

:func:`obstacles` says, in words, what stands in the way; :func:`migrate` rebuilds the workflow on the new
spec: the finished tasks and the ones under way keep their ids, states and data, the predicted rest of
the tree is dropped and predicted again from the new spec, so the instance continues on the new diagram.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import forms
from engine.compiler import Procedure
from engine.runtime import Engine, Instance

_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
_UNDER_WAY = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_TEXTS: dict[str, tuple[str, str]] = {
    "same_version": ("Hồ sơ đã ở phiên bản này.", "The dossier is already on this version."),
    "other_procedure": ("Phiên bản mới thuộc thủ tục khác ({slug}).",
                        "The new version belongs to another procedure ({slug})."),
    "finished": ("Hồ sơ đã kết thúc, không cần chuyển.", "The dossier has finished; there is nothing to move."),
    "failed": ("Hồ sơ đang lỗi; xử lý lỗi trước khi chuyển phiên bản.",
               "The dossier has failed; deal with the failure before moving it."),
    "done_step_removed": ("Bước đã làm “{step}” không còn trong phiên bản mới.",
                          "The step already done “{step}” is not in the new version."),
    "current_step_removed": ("Bước đang thực hiện “{step}” không còn trong phiên bản mới.",
                             "The step under way “{step}” is not in the new version."),
    "kind_changed": ("Bước đang thực hiện “{step}” đổi loại phần tử trong phiên bản mới.",
                     "The step under way “{step}” is a different kind of element in the new version."),
    "lane_changed": ("Bước đang thực hiện “{step}” chuyển từ vai trò {old} sang {new}.",
                     "The step under way “{step}” moves from the role {old} to {new}."),
    "message_changed": ("Bước “{step}” đang chờ thông điệp “{old}”, phiên bản mới chờ “{new}”.",
                        "The step “{step}” waits for the message “{old}”; the new version waits for “{new}”."),
    "reached_differently": ("Bước đang thực hiện “{step}” được nối khác trong phiên bản mới "
                            "(thêm/bỏ sự kiện biên hoặc bước ngay trước nó).",
                            "The step under way “{step}” is connected differently in the new version "
                            "(a boundary event or the step just before it was added or removed)."),
    "subprocess_removed": ("Quy trình con đang chạy “{name}” không còn trong phiên bản mới.",
                           "The sub-process under way “{name}” is not in the new version."),
    "data_no_longer_fits": ("Dữ liệu đã nộp ở bước “{step}” không còn đáp ứng biểu mẫu mới: {detail}",
                            "The data submitted at the step “{step}” no longer satisfies its new form: {detail}"),
}


@dataclass(frozen=True)
class Obstacle:
    """One reason the move is not safe, in Vietnamese or English."""

    code: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def message(self, lang: str = "vi") -> str:
        vi, en = _TEXTS[self.code]
        params = dict(self.params)
        if lang == "en" and "detail_en" in params:
            params["detail"] = params["detail_en"]
        return (en if lang == "en" else vi).format(**params)


class MigrationRefused(Exception):
    def __init__(self, obstacles: list[Obstacle]):
        self.obstacles = obstacles
        super().__init__("; ".join(o.message("en") for o in obstacles))


def obstacles(instance: Instance, new: Procedure) -> list[Obstacle]:
    """Everything that makes moving ``instance`` to ``new`` unsafe; empty when it is safe."""
    old = instance.procedure
    if new.slug != old.slug:
        return [Obstacle("other_procedure", {"slug": new.slug})]
    if new.version == old.version:
        return [Obstacle("same_version")]
    if instance.failure is not None:
        return [Obstacle("failed")]
    if instance.completed:
        return [Obstacle("finished")]
    found: list[Obstacle] = []
    workflow = instance.workflow
    for tree, spec in _trees(workflow, new):
        if spec is None:
            found.append(Obstacle("subprocess_removed", {"name": _sub_name(old, tree)}))
            continue
        for task in _kept(tree):
            found.extend(_task_obstacles(task, old, new, spec))
    found.extend(_data_obstacles(workflow, old, new))
    return list(dict.fromkeys(found))  # one sentence per distinct reason, in order


def migrate(engine: Engine, instance: Instance, new: Procedure) -> Instance:
    """``instance`` rebuilt on ``new``; raises :class:`MigrationRefused` when :func:`obstacles` finds any."""
    found = obstacles(instance, new)
    if found:
        raise MigrationRefused(found)
    doc = orjson.loads(engine.serialize(instance))
    for tree in (doc["workflow"], *doc["subprocesses"]):
        tree["tasks"] = _without_predictions(tree["tasks"])
    moved = engine.deserialize(new, orjson.dumps(doc).decode())
    workflow = moved.workflow
    for tree in (workflow, *workflow.subprocesses.values()):
        tree._predict()  # the rest of the tree as the new diagram goes on from here
    return moved


# --- what the checks look at --------------------------------------------------------------------

def _trees(workflow: BpmnWorkflow, new: Procedure) -> Iterator[tuple[Any, BpmnProcessSpec | None]]:
    """The main workflow and each sub-process under way, with the new version's spec for each (None: removed)."""
    yield workflow, new.spec
    for sub in workflow.subprocesses.values():
        yield sub, new.subprocess_specs.get(sub.spec.name)


def _sub_name(old: Procedure, sub: Any) -> str:
    element = old.element(getattr(sub.spec, "name", None))
    return element.label if element else str(sub.spec.name)


def _is_kept(task: Task) -> bool:
    """Finished tasks and those under way stay; their unfinished descendants are only predictions."""
    return bool(task.state & _FINISHED) or task.parent is None or bool(task.parent.state & _FINISHED)


def _kept(tree: Any) -> list[Task]:
    return [t for t in tree.tasks.values() if _is_kept(t)]


def _label(procedure: Procedure, task: Task) -> str:
    element = procedure.element(getattr(task.task_spec, "bpmn_id", None))
    return element.label if element else (task.task_spec.bpmn_name or task.task_spec.name)


def _task_obstacles(task: Task, old: Procedure, new: Procedure, spec: BpmnProcessSpec) -> list[Obstacle]:
    name = task.task_spec.name
    new_spec = spec.task_specs.get(name)
    step = {"step": _label(old, task)}
    if new_spec is None:
        return [Obstacle("done_step_removed" if task.state & _FINISHED else "current_step_removed", step)]
    if not task.state & _UNDER_WAY:
        return []
    found = []
    before, after = old.element(task.task_spec.bpmn_id), new.element(getattr(new_spec, "bpmn_id", None))
    if type(new_spec) is not type(task.task_spec) or (before is not None and after is not None
                                                      and before.tag != after.tag):
        found.append(Obstacle("kind_changed", step))
    if before is not None and after is not None:
        if before.lane != after.lane:
            found.append(Obstacle("lane_changed", {**step, "old": before.lane or "-", "new": after.lane or "-"}))
        if before.message != after.message:
            found.append(Obstacle("message_changed",
                                  {**step, "old": before.message or "-", "new": after.message or "-"}))
    parent = task.parent
    if parent is not None and parent.task_spec.name not in {s.name for s in new_spec.inputs} \
            and parent.task_spec.name in {s.name for s in task.task_spec.inputs}:
        found.append(Obstacle("reached_differently", step))
    return found


def _data_obstacles(workflow: BpmnWorkflow, old: Procedure, new: Procedure) -> list[Obstacle]:
    """The latest data each step with a form submitted, checked against that step's form in ``new``."""
    latest: dict[str, Task] = {}
    for tree in (workflow, *workflow.subprocesses.values()):
        for task in tree.tasks.values():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            if not task.state & TaskState.COMPLETED or bpmn_id is None:
                continue
            if bpmn_id not in latest or task.last_state_change >= latest[bpmn_id].last_state_change:
                latest[bpmn_id] = task
    found = []
    for bpmn_id, task in latest.items():
        element = new.element(bpmn_id)
        form = new.form_for(element) if element is not None else None
        if element is None or form is None:
            continue
        names = _top_level_names(form.schema)
        submitted = {k: v for k, v in task.data.items() if k in names}
        errors = [e for e in forms.validate(form, submitted, "vi") if e.code != "field_additional"]
        if errors:
            detail = "; ".join(e.message for e in errors[:5])
            detail_en = "; ".join(e.message for e in forms.validate(form, submitted, "en")
                                  if e.code != "field_additional")
            found.append(Obstacle("data_no_longer_fits", {"step": _label(old, task) if old.element(bpmn_id)
                                                          else element.label, "detail": detail,
                                                          "detail_en": detail_en}))
    return found


def _top_level_names(schema: Mapping[str, Any]) -> set[str]:
    names: set[str] = set()
    parts = [schema, *(schema.get("allOf") or []), schema.get("then") or {}, schema.get("else") or {}]
    for part in parts:
        if isinstance(part, Mapping) and isinstance(part.get("properties"), Mapping):
            names.update(part["properties"])
    return names


def _without_predictions(rows: list[list[Any]]) -> list[list[Any]]:
    """State rows (see engine.state) without the unfinished tasks under unfinished parents."""
    states = {row[0]: row[4] for row in rows}
    kept = [row for row in rows if row[4] & _FINISHED or row[1] is None or states.get(row[1], 0) & _FINISHED]
    ids = {row[0] for row in kept}
    for row in kept:
        row[2] = [child for child in row[2] if child in ids]
    return kept
