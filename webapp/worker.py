"""Celery entry point: ``celery -A webapp.worker worker -B``. Builds the app here, not at
import time of anything else."""

from typing import Any

from celery.signals import worker_process_shutdown, worker_shutdown

from webapp import create_app
from webapp.outbox.marks import done_marks
from webapp.outbox.stats import counters

flask_app = create_app()
celery_app = flask_app.extensions["celery"]


@worker_shutdown.connect
@worker_process_shutdown.connect
def _flush_job_counters(**_: Any) -> None:
    """A worker stopping normally writes its jobs' waiting "done" marks and its last second of counters."""
    done_marks.flush(flask_app)
    with flask_app.app_context():
        counters.flush(force=True)
