"""The SpiffWorkflow script engine that runs every script, condition and connector call.

It routes every evaluation SpiffWorkflow makes, including those it sends straight to the
engine's ``environment`` (correlation keys, completion conditions), through
:mod:`engine.isolation`: the allow-list of :mod:`engine.sandbox`, and a separate limited
process for anything that could loop or allocate. Service tasks go through the connector
registry, passing each connector only the parameters it declares and calling it with its time
limit and retries (:func:`engine.connectors.call_with_policy`).
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import WorkflowException

from engine import isolation, sandbox
from engine.connectors import Connector, ConnectorBpmnError, ConnectorError, ConnectorRegistry, call_with_policy
from engine.sandbox import SandboxViolation


class ConnectorFailed(Exception):
    def __init__(self, name: str, error: ConnectorError, code: str | None = None):
        self.name = name
        self.error = error
        self.code = code  # the BPMN error code nothing in the diagram caught, if any
        super().__init__(f"{name}: {code + ': ' if code else ''}{error}")


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """What SpiffWorkflow evaluates without a task (message correlation, a process's completion
    condition) goes through the same isolation as everything else, never Python's own eval."""

    def __init__(self, time_limit: float, pool: isolation.ScriptPool | None):
        super().__init__({})
        self.time_limit = time_limit
        self.pool = pool

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        try:
            return isolation.evaluate(expression, context, external_context, time_limit=self.time_limit,
                                      pool=self.pool)
        except (SandboxViolation, SyntaxError, isolation.ScriptError) as err:
            raise WorkflowException(f"Error evaluating expression '{expression}': {err}") from err

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        isolation.execute(script, context, external_context, time_limit=self.time_limit, pool=self.pool)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise WorkflowException("service calls go through SandboxScriptEngine.call_service")


class SandboxScriptEngine(PythonScriptEngine):
    def __init__(self, connectors: ConnectorRegistry, time_limit: float = sandbox.DEFAULT_TIME_LIMIT,
                 sleep: Callable[[float], None] = time.sleep, defer_connectors: bool = False,
                 pool: isolation.ScriptPool | None = None):
        super().__init__(environment=SandboxEnvironment(time_limit, pool))
        self.connectors = connectors
        self.time_limit = time_limit
        self.pool = pool  # None: the process's default pool (engine.isolation.default_pool)
        self.sleep = sleep  # between a connector's retries; tests record instead of waiting
        # True in the web app: service tasks wait for a background job to call their connector.
        self.defer_connectors = defer_connectors

    def validate(self, expression: str) -> None:
        # DMN relies on a SyntaxError here to decide whether a cell needs "==" in front.
        if expression.strip():
            sandbox.compile_checked(expression, "exec")

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        # Modelers pretty-print (an expression on its own indented line): the validator checks the stripped text.
        expression = expression.strip() if isinstance(expression, str) else expression
        try:
            return isolation.evaluate(expression, task.data, external_context, time_limit=self.time_limit,
                                      pool=self.pool)
        except Exception as err:
            message = f"Error evaluating expression '{expression}'"
            raise WorkflowTaskException(message, task=task, exception=err) from err

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> bool:
        try:
            isolation.execute(script, task.data, external_context, time_limit=self.time_limit, pool=self.pool)
        except Exception as err:
            line = getattr(err, "line", 0) or _script_line(err)
            raise WorkflowTaskException(
                f"{type(err).__name__}: {err}", task=task, exception=err, line_number=line
            ) from err
        return True

    def connector_call(self, task: Any, name: str, evaluated: dict[str, Any]) -> tuple[Connector, dict[str, Any]]:
        """The connector ``name`` and, of the evaluated parameters, only those it declares."""
        connector = self.connectors.get(name)
        if connector is None:  # validation refuses this; kept for state migrated from elsewhere
            raise WorkflowTaskException(f"Unknown connector {name}", task=task)
        declared = connector.required_params | connector.optional_params
        return connector, {k: v["value"] for k, v in evaluated.items() if k in declared}

    def call_service(self, task: Any, **kwargs: Any) -> str:
        name = kwargs["operation_name"]
        connector, params = self.connector_call(task, name, kwargs.get("operation_params", {}))
        try:
            result = call_with_policy(connector, params, sleep=self.sleep)
        except ConnectorBpmnError:
            raise  # engine.service_task throws it as a BPMN error
        except ConnectorError as err:
            failure = ConnectorFailed(name, err)
            failure.__cause__ = err
            # The engine finds the failure through __cause__ to say which connector failed.
            raise WorkflowTaskException(str(failure), task=task, exception=failure) from failure
        return json.dumps(result)


def _script_line(err: BaseException) -> int:
    """The line of the BPMN script where ``err`` was raised, or 0."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == sandbox.SCRIPT_FILENAME]
    return frames[-1].lineno or 0 if frames else 0
