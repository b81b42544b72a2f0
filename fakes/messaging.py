"""Local stand-ins for the SMS gateway (``sms.gui``) and Zalo OA (``zalo.gui``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors import ConnectorError
from engine.connectors.messaging import SMS_MAX_LENGTH, ZALO_MAX_LENGTH, SmsSend, ZaloSend, mobile_number


@dataclass
class FakeSmsGateway(SmsSend):
    """Local stand-in for an SMS gateway (brandname SMS). Records what it was asked to send;
    ``fail_next`` makes the next calls fail as the real gateway does (timeouts retryable,
    an invalid number not)."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[ConnectorError] = field(default_factory=list)

    def call(self, params: Mapping[str, Any]) -> Any:
        if self.fail_next:
            raise self.fail_next.pop(0)
        number = mobile_number(params)
        if len(str(params["noi_dung"])) > SMS_MAX_LENGTH:
            raise ConnectorError("message too long", retryable=False)
        self.sent.append({"so_dien_thoai": number, "noi_dung": str(params["noi_dung"])})
        return {"message_id": f"fake-{len(self.sent)}"}


@dataclass
class FakeZaloOa(ZaloSend):
    """Local stand-in for Zalo's Official Account / ZNS API, which reaches a citizen by phone
    number. Records what it was asked to send; ``fail_next`` makes the next calls fail as the
    real API does; numbers in ``not_on_zalo`` are refused like a number without a Zalo account."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[ConnectorError] = field(default_factory=list)
    not_on_zalo: set[str] = field(default_factory=set)

    def call(self, params: Mapping[str, Any]) -> Any:
        if self.fail_next:
            raise self.fail_next.pop(0)
        number = mobile_number(params)
        if number in self.not_on_zalo:
            raise ConnectorError("user not found on Zalo", retryable=False)
        text = str(params["noi_dung"])
        if not text.strip() or len(text) > ZALO_MAX_LENGTH:
            raise ConnectorError("message empty or too long", retryable=False)
        self.sent.append({"so_dien_thoai": number, "noi_dung": text})
        return {"message_id": f"zalo-fake-{len(self.sent)}"}
