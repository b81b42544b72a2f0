"""Public post (bưu chính công ích): send a result by post and follow the parcel.

``buu_chinh.tao_van_don`` books a shipment and returns its tracking number;
``buu_chinh.tra_cuu`` reads where the parcel is. The carrier's API books once per dossier:
a second booking for the same dossier returns the first shipment (so a retry after a lost
answer sends one parcel); an address without province or street is refused for good.

The declarations (``*Spec``) are what the real carrier's HTTP twin is built from
(:func:`http_connectors`); :class:`PostShipment` and :class:`PostTracking` call a
:class:`PostOffice`, the carrier's side, which the local fake (``fakes.post``) implements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.connectors import RetryPolicy
from engine.connectors.http import Endpoint, HttpConnector

TRACKING_STATES = ("da_nhan_gui", "dang_van_chuyen", "da_phat", "phat_khong_thanh_cong")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int:
    """The check digit of an 8-digit serial in a UPU S10 tracking number (EL123456785VN)."""
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def tracking_number(sequence: int, prefix: str = "EL") -> str:
    serial = f"{sequence:08d}"
    return f"{prefix}{serial}{s10_check_digit(serial)}VN"


def is_tracking_number(text: str) -> bool:
    return (len(text) == 13 and text[:2].isalpha() and text[2:11].isdigit() and text[11:] == "VN"
            and s10_check_digit(text[2:10]) == int(text[10]))


class PostOffice(Protocol):
    """The carrier's side of the two operations."""

    def book(self, params: Mapping[str, Any]) -> dict[str, Any]: ...
    def track(self, params: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(kw_only=True)
class PostShipmentSpec:
    """``buu_chinh.tao_van_don``: book a shipment of the result, get its tracking number."""

    name: str = "buu_chinh.tao_van_don"
    required_params: frozenset[str] = frozenset({"ma_ho_so", "nguoi_nhan", "dia_chi_nhan", "so_dien_thoai"})
    optional_params: frozenset[str] = frozenset({"ghi_chu"})
    result_fields: frozenset[str] = frozenset({"ma_van_don", "cuoc_phi"})
    timeout: float = 15.0
    retry: RetryPolicy = RetryPolicy(attempts=3, backoff=1.0)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {"*": "buu_chinh_loi"})


@dataclass(kw_only=True)
class PostTrackingSpec:
    """``buu_chinh.tra_cuu``: where the parcel with this tracking number is."""

    name: str = "buu_chinh.tra_cuu"
    required_params: frozenset[str] = frozenset({"ma_van_don"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"ma_van_don", "trang_thai"})
    timeout: float = 10.0
    retry: RetryPolicy = RetryPolicy(attempts=3, backoff=1.0)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {"*": "buu_chinh_loi"})


@dataclass
class PostShipment(PostShipmentSpec):
    office: PostOffice

    def call(self, params: Mapping[str, Any]) -> Any:
        return self.office.book(params)


@dataclass
class PostTracking(PostTrackingSpec):
    office: PostOffice

    def call(self, params: Mapping[str, Any]) -> Any:
        return self.office.track(params)


def post_connectors(office: PostOffice) -> list[PostShipment | PostTracking]:
    return [PostShipment(office), PostTracking(office)]


def http_connectors(endpoint: Endpoint) -> list[HttpConnector]:
    """The carrier's API over HTTPS: ``<url>/tao_van_don`` and ``<url>/tra_cuu``."""
    return [HttpConnector.like(PostShipmentSpec(), endpoint), HttpConnector.like(PostTrackingSpec(), endpoint)]
