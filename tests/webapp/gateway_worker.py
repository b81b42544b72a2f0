"""A Celery worker whose SMS gateway is a test double the test steers through files.

``celery -A tests.webapp.gateway_worker worker`` with MOTCUA_TEST_GATEWAY=<dir>:
- ``<dir>/mode``: ``ok`` (accept), ``fail`` (a permanent error that is not a connector
  error), ``hold-before`` (wait while ``<dir>/hold`` exists, then accept: the request is in
  flight when the worker is killed) or ``hold-after`` (accept, then wait while ``hold``
  exists: the gateway has the message but the worker never learns it);
- ``<dir>/calling`` is created when a call starts, so a test knows when to kill;
- ``<dir>/received.log`` gets one line per message the gateway accepted: what a test counts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.connectors import FakeSmsGateway
from webapp.worker import celery_app, flask_app

__all__ = ["celery_app"]


class SteeredSmsGateway(FakeSmsGateway):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def _hold(self) -> None:
        while (self.folder / "hold").exists():
            time.sleep(0.05)

    def call(self, params: Mapping[str, Any]) -> Any:
        mode = (self.folder / "mode").read_text().strip()
        (self.folder / "calling").touch()
        if mode == "fail":
            # A message with a phone number in it: the failed-jobs record must not keep it.
            raise RuntimeError(f"gateway misconfigured while sending to {params['so_dien_thoai']}")
        if mode == "hold-before":
            self._hold()
        with (self.folder / "received.log").open("a", encoding="utf-8") as log:
            log.write(str(params["noi_dung"]).replace("\n", " ") + "\n")
        if mode == "hold-after":
            self._hold()
        return {"message_id": f"steered-{time.monotonic_ns()}"}


flask_app.extensions["motcua_engine"].connectors.register(SteeredSmsGateway(Path(os.environ["MOTCUA_TEST_GATEWAY"])))
