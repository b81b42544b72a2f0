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


class ConnectorServiceTask(ServiceTask):
    def _run_hook(self, my_task: Any) -> bool | None:
        try:
            done = super()._run_hook(my_task)
        except ConnectorBpmnError as err:
            event = BpmnEvent(ErrorEventDefinition(err.code, code=err.code), payload=error_payload(err))
            if my_task.workflow.top_workflow.event_manager.catch(event, internal=False):
                record_call(my_task, {"connector": err.name, "error_code": err.code, "attempts": err.attempts})
                # Left under way: the boundary event that caught the error cancels it.
                return None
            failure = ConnectorFailed(err.name, err.error, code=err.code)
            raise WorkflowTaskException(str(failure), task=my_task, exception=failure) from failure
        result = my_task.data.get(self.result_variable)
        record_call(my_task, {"connector": self.operation_name, "result": result if isinstance(result, dict) else {}})
        return done
