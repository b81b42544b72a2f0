"""Background jobs on Celery, wired the Flask way, fed by a transactional outbox.

A change that needs later work (a notification, a connector call) writes an outbox row in
its own transaction (``enqueue``); after the commit the row is relayed to the broker, and a
periodic relay catches rows a crash left behind or a dead worker never finished. Jobs take
ids, check whether their work is already done, and so can run twice without doing it twice.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Iterable
from typing import Any

from celery import Celery, Task
from flask import Flask

log = logging.getLogger(__name__)


def init_celery(app: Flask, job_modules: Iterable[str] = ()) -> Celery:
    """Celery for ``app``, with the outbox's own jobs and those of ``job_modules`` (each domain's
    ``jobs`` module, named by the app factory: the outbox imports no domain)."""
    settings = app.config["MOTCUA_SETTINGS"]

    class FlaskTask(Task):
        """Runs inside the app context; an outbox job's end (done, retried, failed for good) is recorded."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

        def on_success(self, retval: Any, task_id: str, args: Any, kwargs: dict[str, Any]) -> None:
            _job_ended(app, self, kwargs, error=None)

        def on_retry(self, exc: BaseException, task_id: str, args: Any, kwargs: dict[str, Any], einfo: Any) -> None:
            outbox_id = kwargs.get("outbox_id")
            if outbox_id is None:
                return
            from webapp.outbox.service import extend_lease
            from webapp.outbox.stats import counters

            with app.app_context():
                counters.retried(self.name)
                extend_lease(outbox_id)
                counters.flush_soon(app)

        def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: dict[str, Any],
                       einfo: Any) -> None:
            _job_ended(app, self, kwargs, error=exc)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.broker_url,
        task_ignore_result=True,
        task_acks_late=True,  # a job killed mid-run is delivered again (jobs are idempotent)
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "relay-outbox": {"task": "outbox.relay", "schedule": 5.0},
            "claim-due-timers": {"task": "timers.claim_due", "schedule": settings.timer_poll_seconds},
            "scan-deadlines": {"task": "deadlines.scan", "schedule": settings.deadline_scan_seconds},
            "refresh-quality-index": {"task": "stats.refresh", "schedule": settings.quality_refresh_seconds},
        },
        worker_hijack_root_logger=False,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    from webapp.outbox import tasks  # noqa: F401  (registers the relay and the probe)

    for module in job_modules:
        importlib.import_module(module)

    return celery


def _job_ended(app: Flask, task: Task, kwargs: dict[str, Any], *, error: BaseException | None) -> None:
    outbox_id = kwargs.get("outbox_id")
    if outbox_id is None:  # not an outbox job (the relay itself)
        return
    from webapp.extensions import db
    from webapp.outbox.failures import record_failure
    from webapp.outbox.marks import done_marks
    from webapp.outbox.stats import counters

    enqueued_at = task.request.get("enqueued_at")
    latency = time.time() - float(enqueued_at) if enqueued_at is not None else None
    with app.app_context():
        try:
            if error is None:
                done_marks.add(app, outbox_id)  # written with the process's other marks within 50 ms
            else:
                db.session.rollback()  # the job's own transaction may be broken
                record_failure(outbox_id=outbox_id, job=task.name, error=error, attempts=task.request.retries + 1)
                db.session.commit()
                log.warning("job %s (outbox %s) failed for good: %s", task.name, outbox_id, type(error).__name__)
            counters.finished(task.name, ok=error is None, latency=latency)
            counters.flush_soon(app)
        except Exception:  # noqa: BLE001 - the outbox lease brings the job back; never lose the worker
            db.session.rollback()
            log.exception("could not record the end of job %s (outbox %s)", task.name, outbox_id)
