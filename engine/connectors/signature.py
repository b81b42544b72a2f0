"""``ky_so.ky_bam``: a remote signing service signs a digest with a unit's key.

This is how provinces sign: the unit's private key lives in the certificate authority's
signing service (an HSM behind a "SmartCA"-style API), the application hashes what it signs
and sends only the digest, and the service answers with the raw signature. Neither the
document nor anything personal leaves the application.

Without a remote service, :class:`LocalSigningService` signs in this process: it is handed the
units' keys (a mapping, or a callable that loads one by unit code, so the engine never learns
where keys are kept) and checks the request as the remote service does. The remote service's
HTTP twin is built from :class:`SignDigest`; the local fake of the remote service
(``fakes.signing``) really signs too, and its ``controls`` make the next calls fail or hang.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from engine.connectors import ConnectorError, RetryPolicy
from engine.connectors.http import Endpoint, HttpConnector

NAME = "ky_so.ky_bam"
# Digest algorithms the service accepts, with their digest length in bytes.
DIGESTS: Mapping[str, hashes.HashAlgorithm] = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
                                               "sha512": hashes.SHA512()}
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class HeldKey:
    """A unit's key as the signing service holds it, and the serial of the certificate issued for it."""

    private_key: SigningKey
    serial: str  # the certificate's serial number, hex


KeyLoader = Callable[[str], HeldKey | None]


def sign_digest(key: SigningKey, digest: bytes, algorithm: str) -> bytes:
    """The raw signature over an already computed digest: PKCS#1 v1.5 for RSA, DER-encoded ECDSA for EC."""
    prehashed = Prehashed(DIGESTS[algorithm])
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, padding.PKCS1v15(), prehashed)
    return key.sign(digest, ec.ECDSA(prehashed))


def signature_matches(public_key: PublicKey, digest: bytes, signature: bytes, algorithm: str) -> bool:
    """Whether ``signature`` is ``public_key``'s signature over ``digest`` (what a verifier will check)."""
    prehashed = Prehashed(DIGESTS[algorithm])
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            public_key.verify(signature, digest, ec.ECDSA(prehashed))
    except (InvalidSignature, ValueError):
        return False
    return True


def digest_of(params: Mapping[str, Any]) -> tuple[bytes, str]:
    """The digest and algorithm asked for, or the refusal the service gives (never worth retrying)."""
    algorithm = str(params["thuat_toan"]).lower()
    if algorithm not in DIGESTS:
        raise ConnectorError(f"digest algorithm {algorithm[:16]!r} not supported", retryable=False,
                             reason="invalid_request")
    text = str(params["bam"])
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        raise ConnectorError("the digest is not hexadecimal", retryable=False, reason="invalid_request") from None
    if len(digest) != DIGESTS[algorithm].digest_size:
        raise ConnectorError(f"a {algorithm} digest is {DIGESTS[algorithm].digest_size} bytes, not {len(digest)}",
                             retryable=False, reason="invalid_request")
    return digest, algorithm


def _no_keys(code: str) -> HeldKey | None:
    return None


@dataclass(kw_only=True)
class SignDigest:
    """``ky_so.ky_bam``'s declarations: a unit code and a digest in, the raw signature (base64) and
    the serial of the certificate used out. Unknown units and revoked certificates are refused for
    good; a busy or silent service is worth another try."""

    name: str = NAME
    required_params: frozenset[str] = frozenset({"ma_don_vi", "bam", "thuat_toan"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"chu_ky", "so_serial"})
    timeout: float = 10.0
    # A seal is wanted now, but a busy HSM usually answers a moment later: three tries, 1 s then 2 s apart.
    retry: RetryPolicy = RetryPolicy(attempts=3, backoff=1.0)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {
        "timeout": "ky_so_khong_phan_hoi", "unavailable": "ky_so_khong_phan_hoi", "*": "ky_so_tu_choi"})


@dataclass
class LocalSigningService(SignDigest):
    """The signing service run in this process, with the units' keys handed in (``keys``: unit
    code -> key, or a loader): what the web app uses when MOTCUA_KY_SO_URL names no remote
    service, with the keys of its signing folder. It checks a request as the remote service does."""

    keys: Mapping[str, HeldKey] | KeyLoader = _no_keys

    def call(self, params: Mapping[str, Any]) -> Any:
        digest, algorithm = digest_of(params)
        return answer(self.key_for(str(params["ma_don_vi"])), digest, algorithm)

    def key_for(self, code: str) -> HeldKey:
        """The unit's key, or the refusal the service gives for a unit it holds no key for."""
        held = self.keys.get(code) if isinstance(self.keys, Mapping) else self.keys(code)
        if held is None:
            raise ConnectorError(f"no signing key for unit {code[:40]}", retryable=False, reason="unknown_unit")
        return held


def answer(held: HeldKey, digest: bytes, algorithm: str) -> dict[str, Any]:
    """The service's answer: the raw signature in base64 and the certificate's serial."""
    signature = sign_digest(held.private_key, digest, algorithm)
    return {"chu_ky": base64.b64encode(signature).decode("ascii"), "so_serial": held.serial}


def http_connector(endpoint: Endpoint) -> HttpConnector:
    """The remote signing service's API over HTTPS: ``<url>/ky_bam``."""
    return HttpConnector.like(SignDigest(), endpoint)
