"""One try of a connector call inside a job, under the connector's own time limit and retry policy.

Between tries the job is not asleep in a worker: :class:`CallLater` asks Celery to run it
again after the connector's backoff, and the caller counts the tries where it keeps its state.
"""

from __future__ import annotations

import logging
from typing import Any

from engine.connectors import Connector, ConnectorError, call_once, keep_declared, retry_of, timeout_of

log = logging.getLogger(__name__)


class CallLater(Exception):
    """The outside system failed in a way worth retrying: run the job again in ``countdown`` s."""

    def __init__(self, countdown: float):
        self.countdown = countdown
        super().__init__(f"retry in {countdown:g} s")


def try_once(connector: Connector, params: dict[str, Any], attempt: int) -> Any:
    """Try number ``attempt`` (from 1) of a call: the declared result fields; :class:`CallLater`
    when it failed in a way worth retrying and the connector allows more tries; else the error."""
    try:
        return keep_declared(connector, call_once(connector, params, timeout_of(connector)))
    except ConnectorError as err:
        policy = retry_of(connector)
        if err.retryable and attempt < max(policy.attempts, 1):
            log.info("connector %s failed (%s) on try %s: tried again later", connector.name, err.reason, attempt)
            raise CallLater(policy.delay(attempt)) from None
        raise
