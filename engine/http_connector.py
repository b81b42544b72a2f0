"""Calling a real outside system over HTTPS with JSON, with the same declarations as its fake.

Outside systems are reached through the province's integration gateway (LGSP) or the
system's own API, each answering JSON. :class:`HttpConnector` takes a fake's declarations
(parameters, result fields, time limit, retries, error codes) and POSTs the parameters to
``<url>/<operation>``: the process, the validator and the tests see the same connector
whichever side answers. HTTP statuses map to the same failures the fakes raise: 408, 429
and 5xx, refused connections and timeouts are worth retrying; other 4xx are not, and a
``reason`` in the JSON body picks the BPMN error code.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors import (
    DEFAULT_TIMEOUT,
    NO_RETRY,
    Connector,
    ConnectorError,
    ConnectorTimeout,
    RetryPolicy,
    error_codes_of,
    result_fields,
    retry_of,
    timeout_of,
)

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_ANSWER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Endpoint:
    url: str  # https://lgsp.example.gov.vn/buu-chinh (no trailing slash needed)
    token: str | None = None  # sent as "Authorization: Bearer <token>"


def post_json(endpoint: Endpoint, operation: str, payload: Mapping[str, Any], timeout: float,
              max_bytes: int = MAX_ANSWER_BYTES) -> dict[str, Any]:
    """POST ``payload`` to ``<url>/<operation>`` and return the JSON object answered."""
    request = urllib.request.Request(
        f"{endpoint.url.rstrip('/')}/{operation}", data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST", headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
    if endpoint.token:
        request.add_header("Authorization", f"Bearer {endpoint.token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https URL from settings
            body = response.read(max_bytes + 1)
    except urllib.error.HTTPError as err:
        with err:
            reason = _reason(err.read(MAX_ANSWER_BYTES)) or ("unauthorised" if err.code == 401 else None)
        retryable = err.code in RETRYABLE_STATUSES
        raise ConnectorError(f"HTTP {err.code} from {operation}", retryable=retryable, reason=reason) from None
    except TimeoutError:
        raise ConnectorTimeout(f"{operation}: no answer within {timeout:g} s") from None
    except (urllib.error.URLError, OSError) as err:
        raise ConnectorError(f"{operation}: unreachable ({type(err).__name__})", retryable=True) from None
    if len(body) > max_bytes:
        raise ConnectorError(f"{operation}: answer too large", retryable=False, reason="bad_answer")
    try:
        answer = json.loads(body)
    except ValueError:
        raise ConnectorError(f"{operation}: answer is not JSON", retryable=False, reason="bad_answer") from None
    if not isinstance(answer, dict):
        raise ConnectorError(f"{operation}: answer is not a JSON object", retryable=False, reason="bad_answer")
    return answer


def _reason(body: bytes) -> str | None:
    """The machine-readable reason a refusal carries, if any (never the message: it may quote data)."""
    try:
        reason = json.loads(body).get("reason")
    except (ValueError, AttributeError):
        return None
    return reason if isinstance(reason, str) and reason.isidentifier() else None


@dataclass
class HttpConnector:
    """A connector whose declarations come from its fake and whose answers come from the real system."""

    name: str
    endpoint: Endpoint
    operation: str
    required_params: frozenset[str]
    optional_params: frozenset[str]
    result_fields: frozenset[str] | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = NO_RETRY
    error_codes: Mapping[str, str] = field(default_factory=dict)
    max_answer_bytes: int = MAX_ANSWER_BYTES  # a connector answering with a document declares more

    @classmethod
    def like(cls, fake: Connector, endpoint: Endpoint) -> HttpConnector:
        """The real-system twin of ``fake``: operation = the part of the name after the dot."""
        return cls(name=fake.name, endpoint=endpoint, operation=fake.name.split(".", 1)[-1],
                   required_params=fake.required_params, optional_params=fake.optional_params,
                   result_fields=result_fields(fake), timeout=timeout_of(fake) or DEFAULT_TIMEOUT,
                   retry=retry_of(fake), error_codes=dict(error_codes_of(fake)),
                   max_answer_bytes=getattr(fake, "max_answer_bytes", MAX_ANSWER_BYTES))

    def call(self, params: Mapping[str, Any]) -> Any:
        return post_json(self.endpoint, self.operation, dict(params), self.timeout, self.max_answer_bytes)


@dataclass
class HttpPortalApi:
    """The national portal's six calls over HTTPS (:class:`engine.national_portal.PortalApi`)."""

    endpoint: Endpoint
    timeout: float = DEFAULT_TIMEOUT

    def _post(self, operation: str, payload: Mapping[str, Any], token: str | None = None) -> dict[str, Any]:
        endpoint = Endpoint(self.endpoint.url, token) if token else self.endpoint
        try:
            return post_json(endpoint, operation, payload, self.timeout)
        except ConnectorError as err:
            if token is not None and err.reason in ("token_expired", "unauthorised"):  # the client fetches another
                from engine.national_portal import TokenExpired

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
