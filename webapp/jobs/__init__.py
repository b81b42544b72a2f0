"""Background jobs on Celery, wired the Flask way, fed by a transactional outbox.

A change that needs later work (a notification, a connector call) writes an outbox row in
its own transaction (``enqueue``); after the commit the row is relayed to the broker, and a
periodic relay catches rows a crash left behind. Jobs take ids, check whether their work is
already done, and so can run twice without doing it twice.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask


def init_celery(app: Flask) -> Celery:
    settings = app.config["MOTCUA_SETTINGS"]

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.broker_url,
        task_ignore_result=True,
        task_acks_late=True,  # a job killed mid-run is delivered again (jobs are idempotent)
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule={"relay-outbox": {"task": "outbox.relay", "schedule": 5.0}},
        worker_hijack_root_logger=False,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    from webapp.jobs import tasks  # noqa: F401  (registers the jobs)

    return celery
