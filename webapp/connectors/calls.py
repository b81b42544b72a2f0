"""The job that makes a service task's call to an outside system (``connector.call``).

The action that reaches a service task only records the call (``ConnectorCallRecord``) and its
outbox row; no officer or citizen waits on the outside system. The job then, in order:

1. counts the attempt and commits, so a worker killed during the call still used one;
2. calls the connector with its time limit, holding no database transaction meanwhile;
3. stores the answer and commits: from here on the outside system is never asked again;
4. hands the answer to the process under the dossier's optimistic lock. If someone saved the
   dossier meanwhile, Celery runs the job again, which skips straight to this step.

A retryable failure with attempts left asks Celery to run the job again after the connector's
backoff (:class:`CallLater`), so no worker sleeps between tries. A job delivered twice finds the
call answered or applied and does not call again; a call killed in flight is made again, which
connectors that book something make safe with their own reference (the post's order code is the
dossier code, for instance).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from engine.connectors import ConnectorError
from engine.runtime import EngineError
from webapp.connectors.attempts import try_once
from webapp.dossiers import service as dossiers
from webapp.dossiers.models import ConnectorCallRecord, Dossier
from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox.failures import redact
from webapp.procedures import service as procedures

log = logging.getLogger(__name__)
DONE = ("applied", "dropped")


def find(*, dossier_id: int, task_id: str) -> ConnectorCallRecord | None:
    return db.session.scalar(sa.select(ConnectorCallRecord).where(
        ConnectorCallRecord.dossier_id == dossier_id, ConnectorCallRecord.task_id == task_id))


def run(*, dossier_id: int, task_id: str) -> str:
    """Make the call if it has no answer yet, then apply the answer; returns the call's state."""
    call = find(dossier_id=dossier_id, task_id=task_id)
    if call is None or call.state in DONE:
        db.session.rollback()
        return call.state if call is not None else "unknown"
    if call.state == "pending":
        _call_outside(call)
        if call.state in DONE:
            return call.state
    dossier = db.session.get(Dossier, dossier_id)
    assert dossier is not None  # the call row references it
    dossiers.finish_connector_call(dossier, call)  # Conflict: Celery runs the job again
    db.session.commit()
    log.info("connector call %s of dossier %s %s", call.connector, dossier_id, call.state)
    return call.state


def _call_outside(call: ConnectorCallRecord) -> None:
    dossier = db.session.get(Dossier, call.dossier_id)
    assert dossier is not None
    engine = procedures.engine()
    instance = engine.deserialize(procedures.compiled(dossier.procedure_version), dossier.state)
    try:
        connector, params = engine.call_request(instance, call.task_id)
    except EngineError:  # the task stopped waiting before its call was made
        call.state = "dropped"
        db.session.commit()
        return
    call.attempts += 1
    db.session.commit()  # the attempt counts even if this worker dies during the call
    try:
        result = try_once(connector, params, call.attempts)
    except ConnectorError as err:
        call.error_reason, call.error_retryable, call.error_message = err.reason[:40], err.retryable, redact(str(err))
    else:
        call.result = result
    call.state, call.answered_at = "answered", utcnow()
    db.session.commit()
