"""Calling a real outside system over HTTPS with JSON, with the same declarations as its fake.

Outside systems are reached through the province's integration gateway (LGSP) or the
system's own API, each answering JSON. :class:`HttpConnector` takes an operation's declarations
(parameters, result fields, time limit, retries, error codes: the ``*Spec`` classes of the
protocol modules beside this one, which the fakes share) and POSTs the parameters to
``<url>/<operation>``: the process, the validator and the tests see the same connector
whichever side answers. HTTP statuses map to the same failures the fakes raise: 408, 429
and 5xx, refused connections and timeouts are worth retrying; other 4xx (and redirects,
which are never followed) are not, and a ``reason`` in the JSON body picks the BPMN error code.

Requests go through httpx: one client per TLS configuration and process, so connections to a
system are pooled and kept alive between calls. :class:`ClientTls` says which CA bundle to
trust and which client certificate and key to present (the gateway's mutual TLS); the web app
builds it from its settings and hands it in with each :class:`Endpoint` -- nothing here reads
the environment.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from engine.connectors import (
    DEFAULT_TIMEOUT,
    NO_RETRY,
    ConnectorError,
    ConnectorTimeout,
    Declared,
    RetryPolicy,
    error_codes_of,
    result_fields,
    retry_of,
    timeout_of,
)

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_ANSWER_BYTES = 1024 * 1024
POOL_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0)


@dataclass(frozen=True)
class ClientTls:
    """TLS towards outside systems. ``ca_bundle``: the PEM file of CAs trusted instead of the
    system's store (None: the system's store); ``client_cert`` and ``client_key``: the PEM
    certificate (chain) and key this system presents when a server asks for one, as the
    government integration gateway does (the key may sit in the certificate file)."""

    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None

    def __post_init__(self) -> None:
        if self.client_key is not None and self.client_cert is None:
            raise ValueError("a client key needs its client certificate")

    def context(self) -> ssl.SSLContext:
        """The SSL context for these settings; OSError or ssl.SSLError when a file is missing or wrong."""
        context = ssl.create_default_context(cafile=self.ca_bundle)  # no bundle: the system's store
        if self.client_cert is not None:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context


SYSTEM_TLS = ClientTls()


@dataclass(frozen=True)
class Endpoint:
    url: str  # https://lgsp.example.gov.vn/buu-chinh (no trailing slash needed)
    token: str | None = field(default=None, repr=False)  # sent as "Authorization: Bearer <token>"
    tls: ClientTls = SYSTEM_TLS


_clients: dict[tuple[int, ClientTls], httpx.Client] = {}
_clients_lock = threading.Lock()


def client_for(tls: ClientTls) -> httpx.Client:
    """The pooled client for ``tls`` in this process (a forked worker makes its own: sockets are not shared)."""
    key = (os.getpid(), tls)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            # Proxies come from HTTPS_PROXY/NO_PROXY as they did for urllib; redirects are answers, not followed.
            client = httpx.Client(verify=tls.context(), follow_redirects=False, limits=POOL_LIMITS, trust_env=True)
            _clients[key] = client
    return client


def close_clients() -> None:
    """Close this process's pooled connections (tests, shutdown); the next call opens new ones."""
    with _clients_lock:
        mine = [key for key in _clients if key[0] == os.getpid()]
        for key in mine:
            _clients.pop(key).close()


def post_json(endpoint: Endpoint, operation: str, payload: Mapping[str, Any], timeout: float,
              max_bytes: int = MAX_ANSWER_BYTES) -> dict[str, Any]:
    """POST ``payload`` to ``<url>/<operation>`` and return the JSON object answered."""
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
               "Accept-Encoding": "identity"}  # the size limit counts what the system sent, not what it inflates to
    if endpoint.token:
        headers["Authorization"] = f"Bearer {endpoint.token}"
    content = json.dumps(payload, ensure_ascii=False).encode()
    try:
        client = client_for(endpoint.tls)
        with client.stream("POST", f"{endpoint.url.rstrip('/')}/{operation}", content=content, headers=headers,
                           timeout=httpx.Timeout(timeout)) as response:
            status = response.status_code
            body = _read(response, max_bytes if response.is_success else MAX_ANSWER_BYTES)
    except httpx.ReadTimeout:
        raise ConnectorTimeout(f"{operation}: no answer within {timeout:g} s") from None
    except (httpx.TransportError, OSError) as err:  # refused, reset, TLS handshake, connect/write timeout
        raise ConnectorError(f"{operation}: unreachable ({type(err).__name__})", retryable=True) from None
    if not 200 <= status < 300:
        reason = _reason(body) or ("unauthorised" if status == 401 else None)
        raise ConnectorError(f"HTTP {status} from {operation}", retryable=status in RETRYABLE_STATUSES,
                             reason=reason)
    if len(body) > max_bytes:
        raise ConnectorError(f"{operation}: answer too large", retryable=False, reason="bad_answer")
    try:
        answer = json.loads(body)
    except ValueError:
        raise ConnectorError(f"{operation}: answer is not JSON", retryable=False, reason="bad_answer") from None
    if not isinstance(answer, dict):
        raise ConnectorError(f"{operation}: answer is not a JSON object", retryable=False, reason="bad_answer")
    return answer


def _read(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of the body: one more than allowed is enough to refuse it."""
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body[:limit + 1])


def _reason(body: bytes) -> str | None:
    """The machine-readable reason a refusal carries, if any (never the message: it may quote data)."""
    try:
        reason = json.loads(body).get("reason")
    except (ValueError, AttributeError):
        return None
    return reason if isinstance(reason, str) and reason.isidentifier() else None


@dataclass
class HttpConnector:
    """A connector whose declarations come from its protocol module and whose answers come from the real system."""

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
    def like(cls, declared: Declared, endpoint: Endpoint) -> HttpConnector:
        """The real-system twin of ``declared`` (a ``*Spec``, or any connector): operation = the part
        of the name after the dot."""
        return cls(name=declared.name, endpoint=endpoint, operation=declared.name.split(".", 1)[-1],
                   required_params=declared.required_params, optional_params=declared.optional_params,
                   result_fields=result_fields(declared), timeout=timeout_of(declared) or DEFAULT_TIMEOUT,
                   retry=retry_of(declared), error_codes=dict(error_codes_of(declared)),
                   max_answer_bytes=getattr(declared, "max_answer_bytes", MAX_ANSWER_BYTES))

    def call(self, params: Mapping[str, Any]) -> Any:
        return post_json(self.endpoint, self.operation, dict(params), self.timeout, self.max_answer_bytes)
