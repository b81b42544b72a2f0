"""Per-process job counters, written to ``job_stats`` at most once a second.

Each worker process owns its rows (one per job name) and writes its running totals, so
workers on any number of machines never contend, and /metrics reads the sums. A process
killed outright loses at most its last second of counts: fine for metrics, never for jobs.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask

from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox.models import JobStats

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)  # seconds, then +Inf
FLUSH_EVERY = 1.0


@dataclass
class _Totals:
    runs: int = 0
    failures: int = 0
    retries: int = 0
    latency_sum: float = 0.0
    latency_buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))


class JobCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._totals: dict[str, _Totals] = {}
        self._dirty = False
        self._flushed_at = time.monotonic()
        self._pid = 0
        self._name = ""

    def _worker(self) -> str:
        # A forked child starts with its parent's counters: it must not write them as its own.
        if self._pid != os.getpid():
            self._pid, self._name = os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
            self._totals = {}
        return self._name

    def flush_soon(self, app: Flask) -> None:
        """Write now if the last write is a second old; otherwise once it is, so the last job
        of a burst is counted without waiting for the next one."""
        with self._lock:
            due = time.monotonic() - self._flushed_at >= FLUSH_EVERY
            if not due and (self._timer is None or not self._timer.is_alive()):
                self._timer = threading.Timer(FLUSH_EVERY, self._flush_in, args=(app,))
                self._timer.daemon = True
                self._timer.start()
        if due:
            self.flush()

    def _flush_in(self, app: Flask) -> None:
        with app.app_context():
            self.flush(force=True)

    def finished(self, job: str, *, ok: bool, latency: float | None) -> None:
        with self._lock:
            self._worker()
            totals = self._totals.setdefault(job, _Totals())
            totals.runs += 1
            totals.failures += 0 if ok else 1
            if latency is not None:
                latency = max(latency, 0.0)
                totals.latency_sum += latency
                index = next((i for i, bound in enumerate(LATENCY_BUCKETS) if latency <= bound), len(LATENCY_BUCKETS))
                totals.latency_buckets[index] += 1
            self._dirty = True

    def retried(self, job: str) -> None:
        with self._lock:
            self._worker()
            self._totals.setdefault(job, _Totals()).retries += 1
            self._dirty = True

    def flush(self, *, force: bool = False) -> None:
        """Write the totals if a second has passed (or ``force``); needs an app context."""
        with self._lock:
            if not self._dirty or (not force and time.monotonic() - self._flushed_at < FLUSH_EVERY):
                return
            worker = self._worker()
            snapshot = {job: _Totals(t.runs, t.failures, t.retries, t.latency_sum, list(t.latency_buckets))
                        for job, t in self._totals.items()}
            self._dirty, self._flushed_at = False, time.monotonic()
        table = JobStats.__table__
        with db.engine.begin() as conn:
            for job, totals in snapshot.items():
                values = {"runs": totals.runs, "failures": totals.failures, "retries": totals.retries,
                          "latency_sum": totals.latency_sum, "latency_buckets": totals.latency_buckets,
                          "updated_at": utcnow()}
                updated = conn.execute(sa.update(table).where(table.c.job == job, table.c.worker == worker)
                                       .values(**values))
                if updated.rowcount == 0:
                    conn.execute(sa.insert(table).values(job=job, worker=worker, **values))


counters = JobCounters()
