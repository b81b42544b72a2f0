"""A Celery worker whose SMS gateway and post office are test doubles the test steers through files.

``celery -A tests.webapp.gateway_worker worker`` with MOTCUA_TEST_GATEWAY=<dir>:
- ``<dir>/mode``: ``ok`` (accept), ``fail`` (a permanent error that is not a connector
  error), ``hold-before`` (wait while ``<dir>/hold`` exists, then accept: the request is in
  flight when the worker is killed) or ``hold-after`` (accept, then wait while ``hold``
  exists: the gateway has the message but the worker never learns it);
- ``<dir>/calling`` is created when a call starts, so a test knows when to kill;
- ``<dir>/received.log`` gets one line per message the gateway accepted: what a test counts.

With MOTCUA_TEST_POST=<dir2>, the public post's booking (``buu_chinh.tao_van_don``) is steered
the same way through <dir2> (``received.log``: one dossier code per booking request received),
and keeps its parcels in ``<dir2>/buu-chinh.json``, as the carrier's own database would: a
booking repeated after a worker restart finds the parcel booked under the same dossier code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.connectors.post import PostShipment
from fakes.messaging import FakeSmsGateway
from fakes.post import FakePostOffice
from webapp.worker import celery_app, flask_app

__all__ = ["celery_app"]


class SteeredSmsGateway(FakeSmsGateway):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def call(self, params: Mapping[str, Any]) -> Any:
        mode = (self.folder / "mode").read_text().strip()
        (self.folder / "calling").touch()
        if mode == "fail":
            # A message with a phone number in it: the failed-jobs record must not keep it.
            raise RuntimeError(f"gateway misconfigured while sending to {params['so_dien_thoai']}")
        if mode == "hold-before":
            _hold(self.folder)
        with (self.folder / "received.log").open("a", encoding="utf-8") as log:
            log.write(str(params["noi_dung"]).replace("\n", " ") + "\n")
        if mode == "hold-after":
            _hold(self.folder)
        return {"message_id": f"steered-{time.monotonic_ns()}"}


class SteeredPostOffice(FakePostOffice):
    """The fake carrier with its records in the steering folder (``buu-chinh.json``), as the
    carrier's own database would keep them through a worker restart."""

    def book(self, params: Mapping[str, Any]) -> dict[str, Any]:
        assert self.folder is not None
        mode = (self.folder / "mode").read_text().strip()
        (self.folder / "calling").touch()
        if mode == "hold-before":
            _hold(self.folder)
        with (self.folder / "received.log").open("a", encoding="utf-8") as log:
            log.write(str(params["ma_ho_so"]) + "\n")
        receipt = super().book(params)  # booked and saved
        if mode == "hold-after":
            _hold(self.folder)
        return receipt


def _hold(folder: Path) -> None:
    while (folder / "hold").exists():
        time.sleep(0.05)


connectors = flask_app.extensions["motcua_engine"].connectors
connectors.register(SteeredSmsGateway(Path(os.environ["MOTCUA_TEST_GATEWAY"])))
if os.environ.get("MOTCUA_TEST_POST"):
    connectors.register(PostShipment(SteeredPostOffice(folder=Path(os.environ["MOTCUA_TEST_POST"]))))
