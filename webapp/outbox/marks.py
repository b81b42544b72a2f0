"""A worker process's "done" marks, written in batches instead of one transaction per job.

A job's row is marked done only after the job ran and committed its own work; the mark waits
at most ``FLUSH_AFTER`` seconds (or until ``BATCH`` are waiting) and is then written with the
others in one transaction. A process killed outright loses its waiting marks: the relay then
sends those jobs again once their lease runs out, and each finds its work done (the same as a
lost mark on PostgreSQL with ``synchronous_commit off``). A normal stop writes them
(webapp/worker.py).
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

log = logging.getLogger(__name__)
FLUSH_AFTER = 0.05  # seconds: short next to a job's latency, long enough to gather a busy worker's jobs
BATCH = 200


class DoneMarks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[int] = []
        self._timer: threading.Timer | None = None
        self._pid = os.getpid()

    def add(self, app: Flask, outbox_id: int) -> None:
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's timer thread did not come along
                self._pid, self._pending, self._timer = os.getpid(), [], None
            self._pending.append(outbox_id)
            full = len(self._pending) >= BATCH
            if not full and self._timer is None:
                self._timer = threading.Timer(FLUSH_AFTER, self.flush, args=(app,))
                self._timer.daemon = True
                self._timer.start()
        if full:
            self.flush(app)

    def flush(self, app: Flask) -> None:
        """Write the waiting marks now (any thread; pushes its own app context, so its own session)."""
        from webapp.extensions import db
        from webapp.outbox.service import mark_completed_many

        with self._lock:
            ids, self._pending = self._pending, []
            if self._timer is not None and self._timer is not threading.current_thread():
                self._timer.cancel()
            self._timer = None
        if not ids:
            return
        with app.app_context():
            try:
                mark_completed_many(ids)
            except Exception:  # noqa: BLE001 - the lease brings these jobs back; never lose the worker
                db.session.rollback()
                log.exception("could not mark %s finished jobs done; the relay will send them again", len(ids))


done_marks = DoneMarks()
