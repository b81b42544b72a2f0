"""Connectors: the only way a procedure reaches an outside system.

A BPMN service task names a connector (``serviceTaskOperator``) and passes parameters;
the connector receives exactly the parameters it declares, never the whole dossier.
Every connector has a local fake that behaves like the real system, failures included,
so production and tests run the same code path with different settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConnectorError(Exception):
    """The outside system failed. ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool):
        self.retryable = retryable
        super().__init__(message)


class Connector(Protocol):
    name: str
    required_params: frozenset[str]
    optional_params: frozenset[str]

    def call(self, params: Mapping[str, Any]) -> Any: ...


@dataclass
class ConnectorRegistry:
    connectors: dict[str, Connector] = field(default_factory=dict)

    def register(self, connector: Connector) -> None:
        self.connectors[connector.name] = connector

    def get(self, name: str) -> Connector | None:
        return self.connectors.get(name)

    def names(self) -> list[str]:
        return sorted(self.connectors)


@dataclass
class FakePopulationRegistry:
    """Local stand-in for the national population database (CSDL quốc gia về dân cư).

    Looks a citizen up by 12-digit identity number. ``fail_next`` makes the next calls
    fail the way the real gateway does (timeouts are retryable, bad requests are not).
    """

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: list[ConnectorError] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    name: str = "dan_cu.tra_cuu"
    required_params: frozenset[str] = frozenset({"so_dinh_danh"})
    optional_params: frozenset[str] = frozenset()

    def call(self, params: Mapping[str, Any]) -> Any:
        self.calls.append(dict(params))
        if self.fail_next:
            raise self.fail_next.pop(0)
        number = str(params["so_dinh_danh"])
        if len(number) != 12 or not number.isdigit():
            raise ConnectorError("invalid identity number", retryable=False)
        person = self.people.get(number)
        return {"found": person is not None, "person": person}


def mobile_number(params: Mapping[str, Any]) -> str:
    """``so_dien_thoai`` as a Vietnamese mobile number (10 digits from 0), or the refusal a
    messaging gateway gives (not worth retrying)."""
    number = str(params["so_dien_thoai"])
    if not (number.startswith("0") and len(number) == 10 and number.isdigit()):
        raise ConnectorError("invalid phone number", retryable=False)
    return number


@dataclass
class FakeSmsGateway:
    """Local stand-in for an SMS gateway (brandname SMS). Records what it was asked to send;
    ``fail_next`` makes the next calls fail as the real gateway does (timeouts retryable,
    an invalid number not)."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[ConnectorError] = field(default_factory=list)
    name: str = "sms.gui"
    required_params: frozenset[str] = frozenset({"so_dien_thoai", "noi_dung"})
    optional_params: frozenset[str] = frozenset()

    def call(self, params: Mapping[str, Any]) -> Any:
        if self.fail_next:
            raise self.fail_next.pop(0)
        number = mobile_number(params)
        if len(str(params["noi_dung"])) > 480:  # three concatenated SMS segments
            raise ConnectorError("message too long", retryable=False)
        self.sent.append({"so_dien_thoai": number, "noi_dung": str(params["noi_dung"])})
        return {"message_id": f"fake-{len(self.sent)}"}


DEMO_PEOPLE: dict[str, dict[str, Any]] = {
    "001090000001": {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-03-14", "gioi_tinh": "nam",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                        "dia_chi_chi_tiet": "Số 8, đường Hùng Vương"}},
    "001092000002": {"ho_ten": "Trần Thị Bình", "ngay_sinh": "1992-07-02", "gioi_tinh": "nu",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Hoa Lư",
                                        "dia_chi_chi_tiet": "Thôn Đông, số 21"}},
}


def default_registry() -> ConnectorRegistry:
    """The registry the embedded default and the tests use: local fakes only."""
    registry = ConnectorRegistry()
    registry.register(FakePopulationRegistry(people=dict(DEMO_PEOPLE)))
    registry.register(FakeSmsGateway())
    from engine.messaging import FakeZaloOa, SmtpMailer  # (that module imports ConnectorError from here)

    registry.register(FakeZaloOa())
    registry.register(SmtpMailer())  # the local SMTP sink; the web app points it at MOTCUA_SMTP_*
    return registry
