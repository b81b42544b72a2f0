"""Fee payment: the wait a procedure declares, and the payment gateway connector (``thanh_toan``).

A procedure asks for a fee with a BPMN message catch event carrying two properties:
``paymentAmount`` names the process variable that holds the amount in đồng (usually the
output of fee.dmn) and ``paymentFee`` the fee's key in procedure.yaml. The dossier waits
there (give the event ``statusOnEnter`` 6); when the gateway confirms the payment, the web
service delivers the event's message and the process goes on.

The gateway speaks a signed-redirect protocol, the shape the national payment platform and
VNPay-style gateways use:

1. the citizen's browser is sent to the gateway's page with the signed request;
2. the gateway posts the signed result to ``notify_url``, server to server (the copy that counts), and
3. sends the browser back to ``return_url`` with the same signed result.

A signature is HMAC-SHA256 with the shared secret over the protocol's fields as
``key=value`` pairs (values percent-encoded) sorted by key and joined by ``&``, in hex.
A result carries a timestamp and the gateway's own transaction number, so a stale answer is
refused and a replayed one recognised. The local fake (``fakes.payment``) and a real gateway run
through the same code; only the URL, merchant code and secret differ.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote, urlencode

REQUEST_FIELDS = ("merchant", "txn_ref", "amount", "description", "return_url", "notify_url", "timestamp")
RESULT_FIELDS = ("merchant", "txn_ref", "amount", "result", "gateway_txn", "timestamp")
RESULTS = ("paid", "declined", "cancelled")
MAX_AMOUNT = 10**12  # đồng; anything larger is not a fee
DEFAULT_MAX_AGE = 900  # seconds a signed answer stays acceptable (clock skew and a slow browser included)


@dataclass(frozen=True)
class PaymentDue:
    """What a dossier waits to be paid: the waiting event (one visit of it) and the amount."""

    task_id: str
    element_id: str
    message: str
    amount: int
    fee_key: str


class PaymentRejected(Exception):
    """A gateway answer that must change nothing. ``code``: malformed, bad_signature,
    wrong_merchant, stale (here), unknown_transaction, wrong_amount (by the web service)."""

    def __init__(self, code: str, detail: str):
        self.code = code
        super().__init__(detail)


@dataclass(frozen=True)
class PaymentRequest:
    txn_ref: str  # ours, unique per attempt
    amount: int
    description: str
    return_url: str
    notify_url: str


@dataclass(frozen=True)
class PaymentResult:
    """A gateway answer whose signature, merchant, fields and age have been checked."""

    txn_ref: str
    amount: int
    result: str  # paid | declined | cancelled
    gateway_txn: str
    at: datetime

    @property
    def paid(self) -> bool:
        return self.result == "paid"


def canonical(fields: Mapping[str, str], names: tuple[str, ...]) -> bytes:
    return "&".join(f"{name}={quote(str(fields[name]), safe='')}" for name in sorted(names)).encode()


def sign(secret: str, fields: Mapping[str, str], names: tuple[str, ...]) -> str:
    return hmac.new(secret.encode(), canonical(fields, names), hashlib.sha256).hexdigest()


def signed(secret: str, fields: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """``fields`` (exactly ``names``) plus their signature."""
    values = {name: str(fields[name]) for name in names}
    return {**values, "signature": sign(secret, values, names)}


def check_signature(secret: str, params: Mapping[str, str], names: tuple[str, ...]) -> bool:
    """Constant-time check; False when a field is missing."""
    if any(name not in params for name in names):
        return False
    return hmac.compare_digest(sign(secret, params, names), str(params.get("signature", "")))


def check_fresh(timestamp: str, now: datetime, max_age: int) -> datetime:
    """The moment ``timestamp`` (Unix seconds) names; PaymentRejected when unreadable or too far from now."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise PaymentRejected("malformed", "timestamp is not a number of seconds")
    at = datetime.fromtimestamp(int(timestamp), UTC)
    if abs((now - at).total_seconds()) > max_age:
        raise PaymentRejected("stale", "the answer is too old (or from the future)")
    return at


def parse_amount(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) < MAX_AMOUNT):
        raise PaymentRejected("malformed", "amount is not a positive whole number of đồng")
    return int(text)


class PaymentGateway(Protocol):
    """The ``thanh_toan`` connector: send a citizen to pay, then read the gateway's answer."""

    name: str

    def payment_url(self, request: PaymentRequest, *, now: datetime) -> str: ...

    def verify(self, params: Mapping[str, str], *, now: datetime) -> PaymentResult: ...


@dataclass(frozen=True)
class SignedRedirectGateway:
    """The signed-redirect protocol above, for any gateway that speaks it (the fake included)."""

    url: str
    merchant: str
    secret: str = field(repr=False)
    max_age: int = DEFAULT_MAX_AGE
    name: str = "thanh_toan"

    def payment_url(self, request: PaymentRequest, *, now: datetime) -> str:
        fields = {
            "merchant": self.merchant, "txn_ref": request.txn_ref, "amount": str(request.amount),
            "description": request.description, "return_url": request.return_url,
            "notify_url": request.notify_url, "timestamp": str(int(now.timestamp())),
        }
        separator = "&" if "?" in self.url else "?"
        return self.url + separator + urlencode(signed(self.secret, fields, REQUEST_FIELDS))

    def verify(self, params: Mapping[str, str], *, now: datetime) -> PaymentResult:
        """The result in ``params`` (a callback's form or a return URL's query), or PaymentRejected."""
        if any(not params.get(name) for name in (*RESULT_FIELDS, "signature")):
            raise PaymentRejected("malformed", "a field of the result is missing")
        if not check_signature(self.secret, params, RESULT_FIELDS):
            raise PaymentRejected("bad_signature", "the signature does not match")
        if params["merchant"] != self.merchant:
            raise PaymentRejected("wrong_merchant", "the result is for another merchant")
        if params["result"] not in RESULTS:
            raise PaymentRejected("malformed", "unknown result")
        return PaymentResult(txn_ref=params["txn_ref"], amount=parse_amount(params["amount"]),
                             result=params["result"], gateway_txn=params["gateway_txn"],
                             at=check_fresh(params["timestamp"], now, self.max_age))
