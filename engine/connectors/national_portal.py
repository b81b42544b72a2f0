"""National public service portal sync (Cổng Dịch vụ công quốc gia), ``cong_dvc_quoc_gia.*``.

The portal's protocol has six calls: (1) get an access token, (2) get the national code for a
local dossier, (3) upload each file, (4) create the dossier, (5) update its progress (a step
handled by a unit), (6) update its status (national codes 1-10). The token is the client's
business, never the dossier's: :class:`PortalClient` fetches it, keeps it until it expires
and fetches a new one once when the portal says it ran out. Three connectors cover the six
calls: ``dong_bo_ho_so`` (1-4), ``cap_nhat_tien_do`` (5) and ``cap_nhat_trang_thai`` (6).

:class:`HttpPortalApi` makes the six calls over HTTPS (through :mod:`engine.connectors.http`);
the local fake (``fakes.national_portal``) implements :class:`PortalApi` too, checks every payload
the way the portal does and refuses a malformed one with the field and the reason, so a
mistake shows up in tests, not in production.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.connectors import DEFAULT_TIMEOUT, ConnectorError, RetryPolicy
from engine.connectors.http import Endpoint, post_json

PROCEDURE_CODE = re.compile(r"^[0-9]\.[0-9]{6}$")
IDENTITY_NUMBER = re.compile(r"^[0-9]{12}$")
ALLOWED_FILE_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_FILE_BYTES = 10 * 1024 * 1024
CHANNELS = (1, 2, 3)  # in person, online, public post
TOKEN_LIFETIME = 3600  # seconds


class PortalRejected(ConnectorError):
    """The portal refused a payload: which field and why. Sending it again will not help."""

    def __init__(self, step: str, field_name: str, problem: str):
        self.step = step
        self.field = field_name
        self.problem = problem
        super().__init__(f"national portal refused {step}: {field_name}: {problem}", retryable=False,
                         reason="rejected")


class TokenExpired(ConnectorError):
    def __init__(self) -> None:
        super().__init__("access token expired", retryable=True, reason="token_expired")


class PortalApi(Protocol):
    """The six calls, as the fake implements them and an HTTP client would."""

    def token(self, client_id: str, secret: str) -> dict[str, Any]: ...
    def dossier_code(self, token: str, local_code: str, unit: str) -> dict[str, Any]: ...
    def upload(self, token: str, national_code: str, file: Mapping[str, Any]) -> dict[str, Any]: ...
    def create(self, token: str, dossier: Mapping[str, Any]) -> dict[str, Any]: ...
    def progress(self, token: str, update: Mapping[str, Any]) -> dict[str, Any]: ...
    def status(self, token: str, update: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass
class HttpPortalApi:
    """The national portal's six calls over HTTPS (:class:`PortalApi`): the real portal's client."""

    endpoint: Endpoint
    timeout: float = DEFAULT_TIMEOUT

    def _post(self, operation: str, payload: Mapping[str, Any], token: str | None = None) -> dict[str, Any]:
        endpoint = dataclasses.replace(self.endpoint, token=token) if token else self.endpoint
        try:
            return post_json(endpoint, operation, payload, self.timeout)
        except ConnectorError as err:
            if token is not None and err.reason in ("token_expired", "unauthorised"):  # the client fetches another
                raise TokenExpired() from None
            raise

    def token(self, client_id: str, secret: str) -> dict[str, Any]:
        return self._post("token", {"client_id": client_id, "client_secret": secret})

    def dossier_code(self, token: str, local_code: str, unit: str) -> dict[str, Any]:
        return self._post("ma-ho-so", {"ma_ho_so": local_code, "ma_don_vi": unit}, token)

    def upload(self, token: str, national_code: str, file: Mapping[str, Any]) -> dict[str, Any]:
        return self._post("tep", {"ma_ho_so_quoc_gia": national_code, **file}, token)

    def create(self, token: str, dossier: Mapping[str, Any]) -> dict[str, Any]:
        return self._post("ho-so", dossier, token)

    def progress(self, token: str, update: Mapping[str, Any]) -> dict[str, Any]:
        return self._post("tien-do", update, token)

    def status(self, token: str, update: Mapping[str, Any]) -> dict[str, Any]:
        return self._post("trang-thai", update, token)


@dataclass
class PortalClient:
    """Keeps the access token (step 1) so the connectors only name what they sync."""

    api: PortalApi
    client_id: str = "motcua-dev"
    secret: str = "dev-secret"
    _token: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def with_token(self, call: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        try:
            return call(self._current_token())
        except TokenExpired:  # once: the portal dropped it early (restart, revoked)
            with self._lock:
                self._token = None
            return call(self._current_token())

    def _current_token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = str(self.api.token(self.client_id, self.secret)["access_token"])
            return self._token


_PORTAL_RETRY = RetryPolicy(attempts=4, backoff=2.0, max_backoff=30.0)


def _portal_errors() -> dict[str, str]:
    return {"rejected": "dvcqg_tu_choi", "*": "dvcqg_khong_dong_bo"}


@dataclass
class PortalDossierSync:
    """``cong_dvc_quoc_gia.dong_bo_ho_so``: steps 1-4, national code, files, the dossier."""

    client: PortalClient
    unit: str = "H41.15"
    name: str = "cong_dvc_quoc_gia.dong_bo_ho_so"
    required_params: frozenset[str] = frozenset({
        "ma_ho_so", "ma_thu_tuc", "ho_ten_nguoi_nop", "so_dinh_danh", "ngay_tiep_nhan", "han_tra_ket_qua", "kenh"})
    optional_params: frozenset[str] = frozenset({"tep"})
    result_fields: frozenset[str] = frozenset({"ma_ho_so_quoc_gia", "so_tep"})
    timeout: float = 20.0
    retry: RetryPolicy = _PORTAL_RETRY
    error_codes: Mapping[str, str] = field(default_factory=_portal_errors)

    def call(self, params: Mapping[str, Any]) -> Any:
        api = self.client.api
        code = self.client.with_token(lambda t: api.dossier_code(t, str(params["ma_ho_so"]), self.unit))
        national = str(code["ma_ho_so_quoc_gia"])

        def upload(file: Any) -> Any:
            return self.client.with_token(lambda t: api.upload(t, national, file))["ma_tep"]

        file_ids = [upload(f) for f in params.get("tep") or []]
        dossier = {key: params[key] for key in self.required_params if key != "ma_ho_so"}
        self.client.with_token(lambda t: api.create(t, {**dossier, "ma_ho_so_quoc_gia": national, "tep": file_ids}))
        return {"ma_ho_so_quoc_gia": national, "so_tep": len(file_ids)}


@dataclass
class _PortalUpdate:
    """Steps 5 and 6: one authorised call to the portal, answered ``da_cap_nhat``."""

    client: PortalClient
    name: str = ""
    required_params: frozenset[str] = frozenset()
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"da_cap_nhat"})
    timeout: float = 20.0
    retry: RetryPolicy = _PORTAL_RETRY
    error_codes: Mapping[str, str] = field(default_factory=_portal_errors)

    def send(self, token: str, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def call(self, params: Mapping[str, Any]) -> Any:
        return self.client.with_token(lambda t: self.send(t, dict(params)))


@dataclass
class PortalProgress(_PortalUpdate):
    """``cong_dvc_quoc_gia.cap_nhat_tien_do``: step 5, a step handled by a unit."""

    name: str = "cong_dvc_quoc_gia.cap_nhat_tien_do"
    required_params: frozenset[str] = frozenset({"ma_ho_so_quoc_gia", "buoc", "don_vi_xu_ly", "ngay"})

    def send(self, token: str, params: dict[str, Any]) -> Any:
        return self.client.api.progress(token, params)


@dataclass
class PortalStatus(_PortalUpdate):
    """``cong_dvc_quoc_gia.cap_nhat_trang_thai``: step 6, the dossier's national status code."""

    name: str = "cong_dvc_quoc_gia.cap_nhat_trang_thai"
    required_params: frozenset[str] = frozenset({"ma_ho_so_quoc_gia", "trang_thai"})

    def send(self, token: str, params: dict[str, Any]) -> Any:
        return self.client.api.status(token, params)


def portal_connectors(client: PortalClient, unit: str = "H41.15") -> list[Any]:
    return [PortalDossierSync(client, unit), PortalProgress(client), PortalStatus(client)]
