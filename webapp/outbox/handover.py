"""A request's committed jobs go to the broker from a background thread, so the response does
not wait for the publish (about 1 ms on Redis, the larger part of what a job added to a request).

The request has already committed the outbox rows, marked as handed over with a lease, before
the thread sees them. If the process dies first, the relay sends them once the lease runs out;
if the broker refuses them, the thread unmarks them so the next relay tick sends them. A normal
exit waits briefly for the thread (``atexit``). One thread per process, started on first use
(again in a forked child).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)
EXIT_WAIT = 5.0  # seconds a normally exiting process waits for jobs not sent yet


@dataclass(frozen=True)
class Handed:
    outbox_id: int
    job: str
    payload: dict[str, Any]
    enqueued_at: float


class HandOver:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Also in a forked child, which has neither its parent's thread nor a usable copy of its lock."""
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._queue: queue.SimpleQueue[tuple[Flask, list[Handed]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._unsent = 0  # messages submitted and not sent (or given back to the relay) yet

    def submit(self, app: Flask, messages: list[Handed]) -> None:
        if not messages:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="motcua-hand-over", daemon=True)
                self._thread.start()
            self._unsent += len(messages)
            self._queue.put((app, messages))

    def wait(self, timeout: float = EXIT_WAIT) -> bool:
        """Until every submitted job was sent (or given back to the relay); False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: self._unsent == 0, timeout)

    def _run(self) -> None:
        work = self._queue
        while True:
            batches = [work.get()]
            while True:  # whatever else requests handed in meanwhile goes in the same broker round trip
                try:
                    batches.append(work.get_nowait())
                except queue.Empty:
                    break
            by_app: dict[Flask, list[Handed]] = {}
            for app, messages in batches:
                by_app.setdefault(app, []).extend(messages)
            for app, messages in by_app.items():
                _send(app, messages)
                with self._done:
                    self._unsent -= len(messages)
                    self._done.notify_all()


def _send(app: Flask, messages: list[Handed]) -> None:
    from webapp.outbox.service import publish, unmark_handed_over

    try:
        with app.app_context():
            try:
                publish(messages)
            except Exception:  # noqa: BLE001 - the broker may be down; the periodic relay retries
                log.warning("handing %s jobs to the broker failed; the periodic relay will", len(messages),
                            exc_info=True)
                unmark_handed_over([m.outbox_id for m in messages])
    except Exception:  # noqa: BLE001 - never let the thread die: the lease brings these jobs back
        log.exception("could not give %s jobs back to the relay; their lease will", len(messages))


hand_over = HandOver()
os.register_at_fork(after_in_child=hand_over._reset)
atexit.register(hand_over.wait)
