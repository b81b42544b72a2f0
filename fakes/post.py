"""Local stand-in for public post (bưu chính công ích), the carrier's side of ``buu_chinh.*``.

It keeps the shipments it booked and behaves like the carrier's API: a second booking for the
same dossier returns the first shipment, an address without province or street is refused,
and :class:`~fakes.controls.FakeControls` make the next calls fail or hang.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.connectors import ConnectorError
from engine.connectors.messaging import mobile_number
from engine.connectors.post import TRACKING_STATES, is_tracking_number, tracking_number
from fakes.controls import FakeControls
from fakes.shared_file import kept_in

POST_FILE = "buu-chinh.json"
POST_RECORDS = ("shipments", "by_dossier")


@dataclass
class FakePostOffice:
    """The carrier's side: shipments by tracking number, and by dossier code for idempotency."""

    folder: Path | None = None  # set: the records live in files there, shared by processes (fakes.shared_file)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_dossier: dict[str, str] = field(default_factory=dict)
    controls: FakeControls = field(default_factory=FakeControls)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @kept_in(POST_FILE, POST_RECORDS)
    def book(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self.controls.before_call()
        dossier = str(params["ma_ho_so"]).strip()
        address = params["dia_chi_nhan"]
        if not dossier:
            raise ConnectorError("shipment refused: empty sender reference", retryable=False)
        if not isinstance(address, Mapping) or not str(address.get("tinh_thanh") or "").strip() \
                or not str(address.get("dia_chi_chi_tiet") or "").strip():
            raise ConnectorError("shipment refused: the address needs a province and a street address",
                                 retryable=False, reason="invalid_address")
        phone = mobile_number(params)
        with self.lock:
            if dossier in self.by_dossier:  # the carrier's order code is ours: booking twice is one parcel
                receipt: dict[str, Any] = self.shipments[self.by_dossier[dossier]]["receipt"]
                return receipt
            number = tracking_number(len(self.shipments) + 1)
            receipt = {"ma_van_don": number, "cuoc_phi": _postage(address), "trang_thai": "da_nhan_gui"}
            self.shipments[number] = {"receipt": receipt, "state": "da_nhan_gui", "so_dien_thoai": phone,
                                      "nguoi_nhan": str(params["nguoi_nhan"]), "dia_chi_nhan": dict(address)}
            self.by_dossier[dossier] = number
            return receipt

    @kept_in(POST_FILE, POST_RECORDS)
    def track(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self.controls.before_call()
        number = str(params["ma_van_don"]).strip().upper()
        if not is_tracking_number(number):
            raise ConnectorError("malformed tracking number", retryable=False)
        shipment = self.shipments.get(number)
        if shipment is None:
            raise ConnectorError("no such shipment", retryable=False, reason="not_found")
        return {"ma_van_don": number, "trang_thai": shipment["state"]}

    @kept_in(POST_FILE, POST_RECORDS)
    def parcels(self) -> dict[str, dict[str, Any]]:
        """Every shipment booked, by tracking number, as the carrier's records say now."""
        return dict(self.shipments)

    @kept_in(POST_FILE, POST_RECORDS)
    def move(self, number: str, state: str) -> None:
        """What the carrier's scanners would do: the parcel moves on."""
        if state not in TRACKING_STATES:
            raise ValueError(state)
        self.shipments[number]["state"] = state


def _postage(address: Mapping[str, Any]) -> int:
    """A flat documents rate; the real carrier prices by zone and weight."""
    return 25000 if address.get("tinh_thanh") else 35000
