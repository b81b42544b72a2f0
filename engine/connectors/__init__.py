"""Connectors: the only way a procedure reaches an outside system.

A BPMN service task names a connector (``serviceTaskOperator``) and passes parameters;
the connector receives exactly the parameters it declares, never the whole dossier, and
only the result fields it declares reach the process data. Every connector has a local
fake that behaves like the real system, failures included, so production and tests run
the same code path with different settings.

Each connector also declares how it is called (:func:`call_with_policy`): a time limit per
attempt, how many attempts with what backoff, and which BPMN error code a final failure
raises, so that a boundary error event in the diagram can take another path.
Calls run inline, inside the action that reaches the service task (see README, Connectors).

This package's ``__init__`` is the core every connector shares: the :class:`Connector`
protocol, the errors, the call policy and the :class:`ConnectorRegistry`. It imports no
client and no fake. Each outside system has one module here with its protocol: what its
operations take and answer, how they fail, and its client (:mod:`engine.connectors.http`
for the JSON-over-HTTPS systems) -- ``population`` (``dan_cu.*``), ``messaging``
(``email.gui``, ``sms.gui``, ``zalo.gui``), ``post`` (``buu_chinh.*``), ``national_portal``
(``cong_dvc_quoc_gia.*``), ``data_store`` (``kho_du_lieu.*``), ``signature`` (``ky_so.ky_bam``)
and ``judicial_records`` (``ly_lich_tu_phap.*``). The local fakes live in the top-level
``fakes`` package; :func:`engine.local_systems.default_registry` builds the registry of fakes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConnectorError(Exception):
    """The outside system failed. ``retryable`` says whether trying again may help;
    ``reason`` (e.g. ``timeout``, ``rejected``, ``not_found``) picks the BPMN error code."""

    def __init__(self, message: str, *, retryable: bool, reason: str | None = None):
        self.retryable = retryable
        self.reason = reason or ("unavailable" if retryable else "rejected")
        super().__init__(message)


class ConnectorTimeout(ConnectorError):
    """No answer within the connector's time limit: worth another try."""

    def __init__(self, message: str = "no answer in time"):
        super().__init__(message, retryable=True, reason="timeout")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; the wait before try n+1 is ``backoff`` x 2^(n-1) seconds, capped."""

    attempts: int = 1
    backoff: float = 0.5
    max_backoff: float = 8.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)


NO_RETRY = RetryPolicy()
DEFAULT_TIMEOUT = 20.0  # seconds per attempt


class Declared(Protocol):
    """What a connector declares; a real system's HTTP twin is built from these alone
    (:meth:`engine.connectors.http.HttpConnector.like`)."""

    name: str
    required_params: frozenset[str]
    optional_params: frozenset[str]


class Connector(Declared, Protocol):
    def call(self, params: Mapping[str, Any]) -> Any: ...


# What a connector may declare besides its parameters; connectors written before these
# existed (and simple ones) get the defaults through the helpers below.
def result_fields(connector: Declared) -> frozenset[str] | None:
    """The result fields that reach the process data; None means the whole (old-style) result."""
    return getattr(connector, "result_fields", None)


def timeout_of(connector: Declared) -> float | None:
    return getattr(connector, "timeout", None)


def retry_of(connector: Declared) -> RetryPolicy:
    return getattr(connector, "retry", NO_RETRY)


def error_codes_of(connector: Declared) -> Mapping[str, str]:
    """Failure reason -> BPMN error code; the key ``*`` catches every other reason."""
    return getattr(connector, "error_codes", {})


class ConnectorBpmnError(Exception):
    """A final connector failure mapped to a BPMN error ``code`` (for a boundary error event)."""

    def __init__(self, name: str, code: str, error: ConnectorError, attempts: int):
        self.name = name
        self.code = code
        self.error = error
        self.attempts = attempts
        super().__init__(f"{name}: {code} after {attempts} attempt(s): {error}")


def error_code(connector: Declared, error: ConnectorError) -> str | None:
    codes = error_codes_of(connector)
    return codes.get(error.reason) or codes.get("*")


def call_once(connector: Connector, params: Mapping[str, Any], timeout: float | None) -> Any:
    """One attempt, abandoned after ``timeout`` seconds. Real connectors set their own socket
    time limits to the same value; this guard catches any that hang regardless."""
    if timeout is None:
        return connector.call(params)
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["result"] = connector.call(params)
        except BaseException as err:  # noqa: BLE001 - handed back to the calling thread
            outcome["error"] = err

    worker = threading.Thread(target=attempt, name=f"connector {connector.name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ConnectorTimeout(f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def call_with_policy(
    connector: Connector, params: Mapping[str, Any], *, sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Call with the connector's time limit and retries; keep only its declared result fields.

    A permanent failure, or the last retryable one, raises :class:`ConnectorBpmnError` when the
    connector maps its reason to a BPMN error code, else the :class:`ConnectorError` itself."""
    policy = retry_of(connector)
    attempts = max(policy.attempts, 1)
    for attempt in range(1, attempts + 1):
        try:
            result = call_once(connector, params, timeout_of(connector))
            break
        except ConnectorError as err:
            if err.retryable and attempt < attempts:
                sleep(policy.delay(attempt))
                continue
            code = error_code(connector, err)
            if code is not None:
                raise ConnectorBpmnError(connector.name, code, err, attempt) from err
            raise
    return keep_declared(connector, result)


def keep_declared(connector: Declared, result: Any) -> Any:
    fields = result_fields(connector)
    if fields is None:
        return result
    if not isinstance(result, Mapping):
        raise ConnectorError("the outside system answered with something that is not a record", retryable=False,
                             reason="bad_answer")
    return {key: value for key, value in result.items() if key in fields}


@dataclass
class ConnectorRegistry:
    connectors: dict[str, Connector] = field(default_factory=dict)

    def register(self, connector: Connector) -> None:
        self.connectors[connector.name] = connector

    def get(self, name: str) -> Connector | None:
        return self.connectors.get(name)

    def names(self) -> list[str]:
        return sorted(self.connectors)
