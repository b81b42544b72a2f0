"""The service task our parser builds: a connector's final failure becomes a BPMN error.

SpiffWorkflow's own service task can only fail the whole instance when its call raises.
Ours throws the error code the connector declares (:class:`ConnectorBpmnError`); a boundary
error event with that code on the task catches it, the task is cancelled and the diagram's
error path runs. With nothing to catch it, the instance fails as before, naming the code.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition

from engine.connectors import ConnectorBpmnError
from engine.scripting import ConnectorFailed


def error_payload(err: ConnectorBpmnError) -> dict[str, Any]:
    """What a boundary event's ``variableName`` receives: no parameters, so no personal data."""
    return {"ma_loi": err.code, "ket_noi": err.name, "so_lan_thu": err.attempts, "ly_do": err.error.reason}


CALLS = "motcua_calls"  # workflow data (never task data, so scripts never see it): calls since the last action


def record_call(my_task: Any, entry: dict[str, Any]) -> None:
    """Note a finished call for the engine to hand to the persistence layer (Advance.connector_calls)."""
    my_task.workflow.top_workflow.data.setdefault(CALLS, []).append({"element_id": my_task.task_spec.bpmn_id,
                                                                     **entry})


def deferring(my_task: Any) -> bool:
    """Whether the engine leaves connector calls to a background job (see Engine.pending_calls)."""
    return bool(getattr(my_task.workflow.script_engine, "defer_connectors", False))


def throw_connector_error(my_task: Any, err: ConnectorBpmnError) -> bool:
    """Throw ``err`` as a BPMN error; True when a boundary event on the task caught it (the
    event cancels the task and the diagram's error path runs)."""
    event = BpmnEvent(ErrorEventDefinition(err.code, code=err.code), payload=error_payload(err))
    if my_task.workflow.top_workflow.event_manager.catch(event, internal=False):
        record_call(my_task, {"connector": err.name, "error_code": err.code, "attempts": err.attempts})
        return True
    return False


class ConnectorServiceTask(ServiceTask):
    def _run_hook(self, my_task: Any) -> bool | None:
        if deferring(my_task):
            # Left under way (STARTED) and saved so: a job calls the connector after the commit
            # and hands the answer back (Engine.finish_call). No one waits on the outside system.
            # The parameters are evaluated now only so a broken expression fails this action.
            self.evaluate_params(my_task)
            return None
        try:
            done: bool | None = super()._run_hook(my_task)
        except ConnectorBpmnError as err:
            if throw_connector_error(my_task, err):
                return None  # left under way: the boundary event that caught the error cancelled it
            failure = ConnectorFailed(err.name, err.error, code=err.code)
            raise WorkflowTaskException(str(failure), task=my_task, exception=failure) from failure
        result = my_task.data.get(self.result_variable)
        record_call(my_task, {"connector": self.operation_name, "result": result if isinstance(result, dict) else {}})
        return done
