"""Signing through the ``ky_so.ky_bam`` connector: pyHanko builds the signature, the signing
service (remote, or local with the signing folder's keys) signs the digest.

pyHanko asks its signer for the raw signature over the CMS signed attributes; this signer
hashes them and sends only the digest, with the unit code, through
:func:`engine.connectors.call_with_policy` (time limit, retries, error codes). The answer is
checked against the unit's certificate before it goes into the PDF, so a service signing
with another key fails the job instead of issuing a document that will not verify.
No Flask here: the web app hands in the connector and the unit's certificates.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from engine.connectors import Connector, ConnectorBpmnError, ConnectorError, call_with_policy
from engine.connectors.signature import DIGESTS, LocalSigningService, signature_matches
from webapp.signing.keys import KeyStore

PLACEHOLDER_BYTES = 512  # room pyHanko keeps for the signature: RSA up to 4096 bits, any ECDSA curve


class SigningFailed(Exception):
    """The signing service did not sign; ``retryable`` says whether the job may succeed later."""

    retryable = False


class SigningUnavailable(SigningFailed):
    """No answer, or the service was busy, after the connector's own retries: retry the job later."""

    retryable = True


class SigningRefused(SigningFailed):
    """The service refused (unknown unit, revoked certificate, bad request) or answered wrongly: retrying won't help."""


class ConnectorSigner(signers.Signer):
    """A pyHanko signer for ``unit_code`` whose key stays in the signing service behind ``connector``.

    ``certificates``: the unit's certificate first, then its chain (public parts only)."""

    def __init__(self, connector: Connector, unit_code: str, certificates: Sequence[x509.Certificate]):
        if not certificates:
            raise SigningRefused(f"no certificate for unit {unit_code}")
        self.connector = connector
        self.unit_code = unit_code
        self.certificate = certificates[0]
        self.serial: str | None = None  # the certificate serial the service reported, once signed
        chain = [_asn1(cert) for cert in certificates]
        super().__init__(signing_cert=chain[0], cert_registry=SimpleCertificateStore.from_certs(chain))

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:  # pyHanko sizing its placeholder: no call to the service
            return bytes(PLACEHOLDER_BYTES)
        if digest_algorithm not in DIGESTS:
            raise SigningRefused(f"digest {digest_algorithm} is not one the signing service accepts")
        digest = hashlib.new(digest_algorithm, data).digest()
        # The call blocks (time limit, retries with sleeps): keep it off pyHanko's event loop.
        return await asyncio.to_thread(self.sign_digest, digest, digest_algorithm)

    def sign_digest(self, digest: bytes, algorithm: str) -> bytes:
        """Ask the service for the raw signature over ``digest`` and check it against the certificate."""
        params = {"ma_don_vi": self.unit_code, "bam": digest.hex(), "thuat_toan": algorithm}
        answer = _call(self.connector, params)
        signature = _signature(answer)
        serial = f"{self.certificate.serial_number:x}"
        reported = _serial(answer.get("so_serial"))
        if reported is not None and reported != serial:
            raise SigningRefused(f"the signing service used certificate {reported[:40]}, "
                                 f"not unit {self.unit_code}'s certificate {serial}")
        public_key = self.certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) or not signature_matches(
                public_key, digest, signature, algorithm):
            raise SigningRefused(f"the signing service's signature does not match unit {self.unit_code}'s "
                                 "certificate")
        self.serial = serial
        return signature


def _call(connector: Connector, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The connector's answer, or the failure translated for the job (retry later, or give up)."""
    try:
        answer = call_with_policy(connector, params)
    except ConnectorBpmnError as err:
        kind = SigningUnavailable if err.error.retryable else SigningRefused
        raise kind(f"{err.name}: {err.code} ({err.error.reason}) after {err.attempts} attempt(s)") from None
    except ConnectorError as err:
        kind = SigningUnavailable if err.retryable else SigningRefused
        raise kind(f"{connector.name}: {err.reason}: {err}") from None
    if not isinstance(answer, Mapping):
        raise SigningRefused(f"{connector.name}: the answer is not a record")
    return answer


def _signature(answer: Mapping[str, Any]) -> bytes:
    text = answer.get("chu_ky")
    if not isinstance(text, str) or not text:
        raise SigningRefused("the signing service answered without a signature")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SigningRefused("the signing service's signature is not base64") from None


def _serial(value: object) -> str | None:
    """A certificate serial as lower-case hex without leading zeros or separators (services write it differently)."""
    if value is None or value == "":
        return None
    text = str(value).replace(":", "").replace(" ", "").lower().lstrip("0")
    return text or "0"


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def local_service(store: KeyStore) -> LocalSigningService:
    """The local signing service (no MOTCUA_KY_SO_URL): it holds the key store's unit keys."""
    return LocalSigningService(keys=store.held_key)
