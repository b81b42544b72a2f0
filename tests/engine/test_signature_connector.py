"""``ky_so.ky_bam``: the remote signing service's fake signs digests with the units' keys and
refuses what the real service refuses; the connector policy retries only what may pass later."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from engine.connectors import ConnectorBpmnError, ConnectorError, ConnectorTimeout, call_with_policy
from engine.connectors.signature import HeldKey, sign_digest, signature_matches
from engine.local_systems import default_registry
from fakes.signing import FakeSigningService

UNIT = "H41.01.01"
MESSAGE = "Giấy khai sinh số H41.15-20260608-0001/KQ".encode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def service(rsa_key: rsa.RSAPrivateKey) -> Iterator[FakeSigningService]:
    fake = FakeSigningService(keys={UNIT: HeldKey(private_key=rsa_key, serial="1a2b")})
    yield fake
    fake.controls.release.set()  # no hung call outlives the test


def ask(digest: bytes, unit: str = UNIT, algorithm: str = "sha256") -> dict[str, str]:
    return {"ma_don_vi": unit, "bam": digest.hex(), "thuat_toan": algorithm}


def test_the_fake_signs_the_digest_with_the_units_rsa_key(service: FakeSigningService,
                                                          rsa_key: rsa.RSAPrivateKey) -> None:
    answer = call_with_policy(service, ask(hashlib.sha256(MESSAGE).digest()))
    assert set(answer) == {"chu_ky", "so_serial"} and answer["so_serial"] == "1a2b"
    signature = base64.b64decode(answer["chu_ky"])
    # What any verifier does: PKCS#1 v1.5 with SHA-256 over the message itself (raises if wrong).
    rsa_key.public_key().verify(signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not signature_matches(other.public_key(), hashlib.sha256(MESSAGE).digest(), signature, "sha256")


def test_an_ec_key_gives_an_ecdsa_signature_and_a_loader_may_hand_the_keys_in() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    asked: list[str] = []

    def load(code: str) -> HeldKey | None:
        asked.append(code)
        return HeldKey(private_key=key, serial="7") if code == "H41.CA" else None

    service = FakeSigningService(keys=load)
    answer = call_with_policy(service, ask(hashlib.sha384(MESSAGE).digest(), "H41.CA", "sha384"))
    key.public_key().verify(base64.b64decode(answer["chu_ky"]), MESSAGE, ec.ECDSA(hashes.SHA384()))
    assert asked == ["H41.CA"]


@pytest.mark.parametrize("params, reason", [
    (ask(b"\x01" * 31), "invalid_request"),  # a sha256 digest is 32 bytes
    ({**ask(b"\x01" * 32), "bam": "zz" * 32}, "invalid_request"),
    (ask(b"\x01" * 16, algorithm="md5"), "invalid_request"),
    (ask(b"\x01" * 32, unit="H99.XX"), "unknown_unit"),
])
def test_bad_requests_and_unknown_units_are_refused_at_once(service: FakeSigningService, params: dict,
                                                             reason: str) -> None:
    sleeps: list[float] = []
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(service, params, sleep=sleeps.append)
    assert (caught.value.code, caught.value.attempts, caught.value.error.reason) == ("ky_so_tu_choi", 1, reason)
    assert sleeps == [] and len(service.calls) == 1


def test_a_revoked_certificate_is_refused_for_good(service: FakeSigningService) -> None:
    service.revoked.add(UNIT)
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(service, ask(hashlib.sha256(MESSAGE).digest()))
    assert (caught.value.code, caught.value.attempts, caught.value.error.reason) == ("ky_so_tu_choi", 1, "revoked")


def test_a_timeout_is_retried_with_backoff_then_signs(service: FakeSigningService) -> None:
    service.timeout = 0.3
    service.controls.hang_next = 1
    sleeps: list[float] = []
    answer = call_with_policy(service, ask(hashlib.sha256(MESSAGE).digest()), sleep=sleeps.append)
    assert answer["so_serial"] == "1a2b"
    assert sleeps == [1.0] and len(service.calls) == 2


def test_a_service_that_stays_unavailable_gives_the_no_answer_code(service: FakeSigningService) -> None:
    service.controls.fail_next = [ConnectorError("503", retryable=True), ConnectorTimeout(),
                                  ConnectorError("503", retryable=True)]
    sleeps: list[float] = []
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(service, ask(hashlib.sha256(MESSAGE).digest()), sleep=sleeps.append)
    assert (caught.value.code, caught.value.attempts) == ("ky_so_khong_phan_hoi", 3)
    assert caught.value.error.retryable and sleeps == [1.0, 2.0]


def test_the_service_receives_the_digest_and_unit_code_only(service: FakeSigningService) -> None:
    digest = hashlib.sha256(MESSAGE).digest()
    call_with_policy(service, ask(digest))
    assert service.calls == [{"ma_don_vi": UNIT, "bam": digest.hex(), "thuat_toan": "sha256"}]


def test_the_default_registry_declares_the_connector_without_keys() -> None:
    connector = default_registry().get("ky_so.ky_bam")
    assert isinstance(connector, FakeSigningService)
    assert connector.required_params == {"ma_don_vi", "bam", "thuat_toan"}
    with pytest.raises(ConnectorBpmnError) as caught:  # the web app hands it the units' keys
        call_with_policy(connector, ask(hashlib.sha256(MESSAGE).digest()))
    assert caught.value.error.reason == "unknown_unit"


def test_sign_digest_and_signature_matches_agree(rsa_key: rsa.RSAPrivateKey) -> None:
    digest = hashlib.sha512(MESSAGE).digest()
    signature = sign_digest(rsa_key, digest, "sha512")
    assert signature_matches(rsa_key.public_key(), digest, signature, "sha512")
    assert not signature_matches(rsa_key.public_key(), hashlib.sha512(b"other").digest(), signature, "sha512")
