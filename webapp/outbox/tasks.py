"""The outbox's own jobs: the relay (beat) and the probe. Each domain registers its jobs in its
own ``jobs`` module (webapp/<domain>/jobs.py), listed in the app factory. Jobs take ids and are
safe to run twice."""

from __future__ import annotations

from celery import shared_task

from webapp.outbox import service


@shared_task(name="outbox.relay", soft_time_limit=30, time_limit=60)
def relay_outbox() -> int:
    return service.relay()


@shared_task(name="jobs.probe", soft_time_limit=10, time_limit=20)
def probe(*, outbox_id: int) -> int:
    """Does nothing: its outbox row being marked done proves the whole path (outbox, broker,
    worker, database) works. Used by ``motcua jobs health`` and the jobs benchmark."""
    return outbox_id
