"""Connectors: the only way a procedure reaches an outside system.

A BPMN service task names a connector (``serviceTaskOperator``) and passes parameters;
the connector receives exactly the parameters it declares, never the whole dossier, and
only the result fields it declares reach the process data. Every connector has a local
fake that behaves like the real system, failures included, so production and tests run
the same code path with different settings.

Each connector also declares how it is called (:func:`call_with_policy`): a time limit per
attempt, how many attempts with what backoff, and which BPMN error code a final failure
raises, so that a boundary error event in the diagram can take another path.
Calls run inline, inside the action that reaches the service task (see README, Connectors).
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConnectorError(Exception):
    """The outside system failed. ``retryable`` says whether trying again may help;
    ``reason`` (e.g. ``timeout``, ``rejected``, ``not_found``) picks the BPMN error code."""

    def __init__(self, message: str, *, retryable: bool, reason: str | None = None):
        self.retryable = retryable
        self.reason = reason or ("unavailable" if retryable else "rejected")
        super().__init__(message)


class ConnectorTimeout(ConnectorError):
    """No answer within the connector's time limit: worth another try."""

    def __init__(self, message: str = "no answer in time"):
        super().__init__(message, retryable=True, reason="timeout")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; the wait before try n+1 is ``backoff`` x 2^(n-1) seconds, capped."""

    attempts: int = 1
    backoff: float = 0.5
    max_backoff: float = 8.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)


NO_RETRY = RetryPolicy()
DEFAULT_TIMEOUT = 20.0  # seconds per attempt


class Connector(Protocol):
    name: str
    required_params: frozenset[str]
    optional_params: frozenset[str]

    def call(self, params: Mapping[str, Any]) -> Any: ...


# What a connector may declare besides its parameters; connectors written before these
# existed (and simple ones) get the defaults through the helpers below.
def result_fields(connector: Connector) -> frozenset[str] | None:
    """The result fields that reach the process data; None means the whole (old-style) result."""
    return getattr(connector, "result_fields", None)


def timeout_of(connector: Connector) -> float | None:
    return getattr(connector, "timeout", None)


def retry_of(connector: Connector) -> RetryPolicy:
    return getattr(connector, "retry", NO_RETRY)


def error_codes_of(connector: Connector) -> Mapping[str, str]:
    """Failure reason -> BPMN error code; the key ``*`` catches every other reason."""
    return getattr(connector, "error_codes", {})


class ConnectorBpmnError(Exception):
    """A final connector failure mapped to a BPMN error ``code`` (for a boundary error event)."""

    def __init__(self, name: str, code: str, error: ConnectorError, attempts: int):
        self.name = name
        self.code = code
        self.error = error
        self.attempts = attempts
        super().__init__(f"{name}: {code} after {attempts} attempt(s): {error}")


def error_code(connector: Connector, error: ConnectorError) -> str | None:
    codes = error_codes_of(connector)
    return codes.get(error.reason) or codes.get("*")


def call_once(connector: Connector, params: Mapping[str, Any], timeout: float | None) -> Any:
    """One attempt, abandoned after ``timeout`` seconds. Real connectors set their own socket
    time limits to the same value; this guard catches any that hang regardless."""
    if timeout is None:
        return connector.call(params)
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["result"] = connector.call(params)
        except BaseException as err:  # noqa: BLE001 - handed back to the calling thread
            outcome["error"] = err

    worker = threading.Thread(target=attempt, name=f"connector {connector.name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ConnectorTimeout(f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def call_with_policy(
    connector: Connector, params: Mapping[str, Any], *, sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Call with the connector's time limit and retries; keep only its declared result fields.

    A permanent failure, or the last retryable one, raises :class:`ConnectorBpmnError` when the
    connector maps its reason to a BPMN error code, else the :class:`ConnectorError` itself."""
    policy = retry_of(connector)
    attempts = max(policy.attempts, 1)
    for attempt in range(1, attempts + 1):
        try:
            result = call_once(connector, params, timeout_of(connector))
            break
        except ConnectorError as err:
            if err.retryable and attempt < attempts:
                sleep(policy.delay(attempt))
                continue
            code = error_code(connector, err)
            if code is not None:
                raise ConnectorBpmnError(connector.name, code, err, attempt) from err
            raise
    return keep_declared(connector, result)


def keep_declared(connector: Connector, result: Any) -> Any:
    fields = result_fields(connector)
    if fields is None:
        return result
    if not isinstance(result, Mapping):
        raise ConnectorError("the outside system answered with something that is not a record", retryable=False,
                             reason="bad_answer")
    return {key: value for key, value in result.items() if key in fields}


@dataclass
class FakeControls:
    """What tests and the demo make a fake's next calls do: fail with ``fail_next``, or hang
    (``hang_next`` calls) until ``release`` is set, like a system that stopped answering."""

    fail_next: list[ConnectorError] = field(default_factory=list)
    hang_next: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    max_hang: float = 60.0  # a hung call gives up by itself so no thread outlives a test run for long

    def before_call(self) -> None:
        if self.hang_next > 0:
            self.hang_next -= 1
            self.release.wait(self.max_hang)
        if self.fail_next:
            raise self.fail_next.pop(0)


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
    result_fields: frozenset[str] = frozenset({"found", "person"})
    timeout: float = DEFAULT_TIMEOUT  # one try: a form waits on it, and the citizen can type instead

    def call(self, params: Mapping[str, Any]) -> Any:
        self.calls.append(dict(params))
        if self.fail_next:
            raise self.fail_next.pop(0)
        number = str(params["so_dinh_danh"])
        if len(number) != 12 or not number.isdigit():
            raise ConnectorError("invalid identity number", retryable=False)
        person = self.people.get(number)
        return {"found": person is not None, "person": person}


def same_name(left: str, right: str) -> bool:
    """Names as the registry compares them: case, spacing and Unicode composition do not count."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return norm(left) == norm(right)


@dataclass
class PopulationVerification:
    """``dan_cu.xac_thuc``: does the population database hold this identity number, with this name
    and birth date? It answers yes or no per field and never returns the record, so a desk can
    check what a citizen declares without seeing more than it needs."""

    registry: FakePopulationRegistry
    name: str = "dan_cu.xac_thuc"
    required_params: frozenset[str] = frozenset({"so_dinh_danh"})
    optional_params: frozenset[str] = frozenset({"ho_ten", "ngay_sinh"})
    result_fields: frozenset[str] = frozenset({"ton_tai", "khop_ho_ten", "khop_ngay_sinh"})
    timeout: float = 5.0  # an officer is waiting at the desk
    retry: RetryPolicy = RetryPolicy(attempts=2, backoff=0.5)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {"*": "dan_cu_khong_xac_thuc"})

    def call(self, params: Mapping[str, Any]) -> Any:
        found = self.registry.call({"so_dinh_danh": params["so_dinh_danh"]})
        person = found["person"] or {}
        answer: dict[str, Any] = {"ton_tai": bool(found["found"]), "khop_ho_ten": None, "khop_ngay_sinh": None}
        if found["found"] and params.get("ho_ten"):
            answer["khop_ho_ten"] = same_name(str(params["ho_ten"]), str(person.get("ho_ten", "")))
        if found["found"] and params.get("ngay_sinh"):
            answer["khop_ngay_sinh"] = str(params["ngay_sinh"]) == str(person.get("ngay_sinh", ""))
        return answer


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
    result_fields: frozenset[str] = frozenset({"message_id"})

    def call(self, params: Mapping[str, Any]) -> Any:
        if self.fail_next:
            raise self.fail_next.pop(0)
        number = mobile_number(params)
        if len(str(params["noi_dung"])) > 480:  # three concatenated SMS segments
            raise ConnectorError("message too long", retryable=False)
        self.sent.append({"so_dien_thoai": number, "noi_dung": str(params["noi_dung"])})
        return {"message_id": f"fake-{len(self.sent)}"}


DEMO_PEOPLE: dict[str, dict[str, Any]] = {  # citizens who sign in, and two who come to the desk
    "001090000001": {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-03-14", "gioi_tinh": "nam",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                        "dia_chi_chi_tiet": "Số 8, đường Hùng Vương"}},
    "001092000002": {"ho_ten": "Trần Thị Bình", "ngay_sinh": "1992-07-02", "gioi_tinh": "nu",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Hoa Lư",
                                        "dia_chi_chi_tiet": "Thôn Đông, số 21"}},
    "036091001234": {"ho_ten": "Lê Văn Tư", "ngay_sinh": "1991-05-20", "gioi_tinh": "nam",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                        "dia_chi_chi_tiet": "Số 3, phố Trần Hưng Đạo"}},
    "036092004567": {"ho_ten": "Trần Văn Hùng", "ngay_sinh": "1992-11-02", "gioi_tinh": "nam",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                        "dia_chi_chi_tiet": "Số 15, đường Điện Biên"}},
}


def default_registry() -> ConnectorRegistry:
    """The registry the embedded default and the tests use: local fakes only."""
    registry = ConnectorRegistry()
    people = FakePopulationRegistry(people=dict(DEMO_PEOPLE))
    registry.register(people)
    registry.register(PopulationVerification(people))
    registry.register(FakeSmsGateway())
    from engine.messaging import FakeZaloOa, SmtpMailer  # (that module imports ConnectorError from here)

    registry.register(FakeZaloOa())
    registry.register(SmtpMailer())  # the local SMTP sink; the web app points it at MOTCUA_SMTP_*
    register_fakes(registry)
    return registry


def register_fakes(registry: ConnectorRegistry) -> None:
    """Public post, national portal, judicial records, the citizen data store and remote signing, each
    against its local fake (the signing fake holds no key here: the web app hands it the units' keys)."""
    from engine.criminal_records import FakeJudicialRecords
    from engine.data_store import FakeDataStore, data_store_connectors
    from engine.national_portal import FakeNationalPortal, PortalClient, portal_connectors
    from engine.post import FakePostOffice, PostShipment, PostTracking
    from engine.signature import FakeSigningService

    office = FakePostOffice()
    registry.register(PostShipment(office))
    registry.register(PostTracking(office))
    for connector in portal_connectors(PortalClient(FakeNationalPortal())):
        registry.register(connector)
    registry.register(FakeJudicialRecords())
    # A temporary folder until the web app points the store at its data folder (webapp/connectors).
    for connector in data_store_connectors(FakeDataStore()):
        registry.register(connector)
    registry.register(FakeSigningService())
