"""Result documents are signed through ``ky_so.ky_bam``: the signing service gets a digest and a
unit code only; a service that is unavailable gets the job retried, one that refuses fails it
for good (listed among the failed jobs, nothing issued). The HTTP twin signs the same way."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader

from engine.connectors import ConnectorError, ConnectorTimeout, RetryPolicy
from engine.connectors.http import HttpConnector
from engine.connectors.signature import NAME, HeldKey, LocalSigningService
from engine.local_systems import default_registry
from engine.runtime import VN_TZ
from fakes.signing import FakeSigningService
from tests.conftest import SECRET
from tests.webapp.conftest import Api
from tests.webapp.test_result_pdf import _approved
from webapp.accounts.models import Account
from webapp.audit.models import AuditEntry
from webapp.connectors import ConnectorSettingsError, configure
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.outbox.models import FailedJob, OutboxMessage
from webapp.results import service as results
from webapp.results.document import ResultContent, render
from webapp.settings import Settings
from webapp.signing.keys import CA_CERT, CA_KEY, KeyStore
from webapp.signing.pades import sign_pdf_with, verify
from webapp.signing.remote import ConnectorSigner, SigningRefused, SigningUnavailable
from webapp.signing.service import check

UNIT = ("H41.01.01", "UBND phường Nam Định")


@pytest.fixture
def service(app: Flask) -> Iterator[FakeSigningService]:
    """The app's local signing service (same keys), with quick retries; put back afterwards."""
    registry = app.extensions["motcua_engine"].connectors
    original = registry.get(NAME)
    assert isinstance(original, LocalSigningService)  # the keys of the signing folder
    fake = FakeSigningService(keys=original.keys, retry=RetryPolicy(attempts=2, backoff=0.01))
    registry.register(fake)
    yield fake
    fake.controls.release.set()
    registry.register(original)


def _dossier(code: str) -> Dossier:
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    assert dossier is not None
    return dossier


def _run(app: Flask, code: str) -> Any:
    """The job as a worker runs it, retries and failure handling included (Celery, in this process)."""
    with app.app_context():
        dossier_id = _dossier(code).id
        row = next(r for r in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.job == "result.sign"))
                   if r.payload["dossier_id"] == dossier_id)
        outbox_id, payload = row.id, dict(row.payload)
    # This app's own instance of the job: another app created since (the CLI's) is Celery's default.
    return app.extensions["celery"].tasks["result.sign"].apply(kwargs={"outbox_id": outbox_id, **payload})


def _issued(app: Flask, code: str) -> Document | None:
    with app.app_context():
        return results.get(_dossier(code))


def _failed(app: Flask) -> list[FailedJob]:
    with app.app_context():
        rows = db.session.scalars(sa.select(FailedJob).where(FailedJob.job == "result.sign")).all()
        db.session.expunge_all()
        return list(rows)


def test_the_service_gets_only_a_digest_and_the_pdf_carries_its_signature(
        api: Api, app: Flask, service: FakeSigningService) -> None:
    code = _approved(api)
    outcome = _run(app, code)
    assert outcome.successful(), outcome.result
    (call,) = service.calls
    with app.app_context():
        dossier = _dossier(code)
        unit = results.approval_of(dossier).unit.code
        applicant = db.session.get(Account, dossier.applicant_id)
        document = results.get(dossier)
        assert document is not None
        pdf = results.content_of(document)
        assert check(pdf).valid
        audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "dossier.result_signed",
                                                             AuditEntry.object_id == str(document.id)))
        serial = audit.detail["certificate_serial"]
    assert set(call) == {"ma_don_vi", "bam", "thuat_toan"}
    assert (call["ma_don_vi"], call["thuat_toan"], len(call["bam"])) == (unit, "sha256", 64)
    sent = json.dumps(call, ensure_ascii=False)
    assert code not in sent and applicant.display_name not in sent and "PDF" not in sent
    # What was sent is the digest of the signature's signed attributes, and the service's key signed it.
    (embedded,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    signed_attrs = embedded.signer_info["signed_attrs"].untag().dump()
    assert hashlib.sha256(signed_attrs).hexdigest() == call["bam"]
    held = service.keys(unit)  # type: ignore[operator]
    assert held is not None and serial == held.serial
    assert embedded.signer_cert.serial_number == int(serial, 16)


def test_an_unavailable_service_gets_the_job_retried_then_signed(
        api: Api, app: Flask, service: FakeSigningService) -> None:
    code = _approved(api)
    # Both of the connector's tries fail (a timeout, then "busy"): the job itself is tried again.
    service.timeout = 0.3
    service.controls.hang_next = 1
    service.controls.fail_next = [ConnectorError("HTTP 503 from ky_bam", retryable=True)]
    outcome = _run(app, code)
    assert outcome.successful(), outcome.result
    assert len(service.calls) == 3  # two failed tries in the first run, one in the retry
    document = _issued(app, code)
    assert document is not None and _failed(app) == []
    with app.app_context():
        assert check(results.content_of(document)).valid


def test_a_refusal_fails_the_job_for_good_and_issues_nothing(
        api: Api, app: Flask, service: FakeSigningService) -> None:
    code = _approved(api)
    with app.app_context():
        service.revoked.add(results.approval_of(_dossier(code)).unit.code)
    outcome = _run(app, code)
    assert outcome.failed() and isinstance(outcome.result, SigningRefused)
    assert len(service.calls) == 1  # neither the connector nor Celery tried again
    assert _issued(app, code) is None
    (failed,) = _failed(app)
    assert failed.error_class == "SigningRefused" and failed.state == "failed"
    assert "ky_so_tu_choi (revoked)" in failed.error_message
    with app.app_context():
        applicant = db.session.get(Account, _dossier(code).applicant_id)
        assert applicant.display_name not in failed.error_message
        assert db.session.get(OutboxMessage, failed.outbox_id).failed_at is not None


def test_a_service_that_never_answers_ends_among_the_failed_jobs(
        api: Api, app: Flask, service: FakeSigningService) -> None:
    code = _approved(api)
    runs = app.extensions["celery"].tasks["result.sign"].max_retries + 1
    service.controls.fail_next = [ConnectorTimeout() for _ in range(2 * runs)]
    outcome = _run(app, code)
    assert outcome.failed() and isinstance(outcome.result, SigningUnavailable)
    assert len(service.calls) == 2 * runs and _issued(app, code) is None
    (failed,) = _failed(app)
    assert failed.error_class == "SigningUnavailable" and "ky_so_khong_phan_hoi" in failed.error_message


# --- the signer and the HTTP twin, without the job -------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return KeyStore(folder=tmp_path_factory.mktemp("keys") / "signing", demo=True)


def _document() -> bytes:
    return render(ResultContent(unit_name=UNIT[1], procedure_name="Đăng ký khai sinh", procedure_code="1.001193",
                                dossier_code="H41.15-20260608-0001", applicant="Nguyễn Văn An",
                                result_name="Giấy khai sinh", decision="Đã phê duyệt", number="1/KQ",
                                issued_at=datetime(2026, 6, 9, 9, 0, tzinfo=VN_TZ),
                                tracking_url="http://127.0.0.1:5000/ho-so/H41.15-20260608-0001"))


def test_a_signature_by_another_key_is_never_embedded(demo: KeyStore) -> None:
    certificates = demo.unit_certificates(*UNIT)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong_key = FakeSigningService(keys={UNIT[0]: HeldKey(stranger, f"{certificates[0].serial_number:x}")})
    with pytest.raises(SigningRefused, match="does not match"):
        sign_pdf_with(_document(), ConnectorSigner(wrong_key, UNIT[0], certificates), reason="r", location="l")
    held = demo.held_key(UNIT[0])
    assert held is not None
    wrong_serial = FakeSigningService(keys={UNIT[0]: HeldKey(held.private_key, "abc123")})
    with pytest.raises(SigningRefused, match="certificate abc123"):
        sign_pdf_with(_document(), ConnectorSigner(wrong_serial, UNIT[0], certificates), reason="r", location="l")


def _rsa_unit(demo: KeyStore, code: str, name: str) -> tuple[list[x509.Certificate], HeldKey]:
    """An RSA-2048 unit certificate from the demo CA, as Vietnamese CAs issue them (the demo's own are EC)."""
    ca_cert = demo.ensure_ca()
    ca_key = serialization.load_pem_private_key((demo.folder / CA_KEY).read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    now = datetime.now(VN_TZ)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return [cert, ca_cert], HeldKey(private_key=key, serial=f"{cert.serial_number:x}")


def test_an_rsa_unit_key_signs_pkcs1_v15_and_the_pdf_verifies(demo: KeyStore) -> None:
    certificates, held = _rsa_unit(demo, "H41.RSA", "UBND xã Ninh Hải")
    service = FakeSigningService(keys={"H41.RSA": held})
    pdf = sign_pdf_with(_document(), ConnectorSigner(service, "H41.RSA", certificates), reason="r", location="l")
    result = verify(pdf, demo.trust_roots())
    assert result.valid and result.signer == "UBND xã Ninh Hải"
    (embedded,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert embedded.signer_info["signature_algorithm"].signature_algo == "rsassa_pkcs1v15"
    assert len(service.calls) == 1


class SigningApi(BaseHTTPRequestHandler):
    """The CA's signing API: POST /ky_bam answered by a fake that holds the keys (refusals as 4xx + reason)."""

    service: FakeSigningService
    received: list[tuple[str, dict[str, Any], str | None]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.received.append((self.path, payload, self.headers.get("Authorization")))
        try:
            status, body = 200, self.service.call(payload)
        except ConnectorError as err:
            status, body = (503 if err.retryable else 422), {"reason": err.reason}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def signing_api(demo: KeyStore) -> Iterator[str]:
    demo.unit_certificates(*UNIT)  # the demo CA issues the unit's key, which the "remote" service holds
    SigningApi.service = FakeSigningService(keys=demo.held_key)
    SigningApi.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SigningApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/smartca"
    server.shutdown()
    server.server_close()
    thread.join()


def _production_folder(demo: KeyStore, folder: Path) -> Path:
    """What a province puts in MOTCUA_SIGNING_DIR for remote signing: certificates only, no key."""
    folder.mkdir()
    (folder / CA_CERT).write_bytes((demo.folder / CA_CERT).read_bytes())
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in demo.unit_certificates(*UNIT))
    (folder / f"{UNIT[0]}.pem").write_bytes(chain)
    return folder


def test_the_http_twin_signs_with_certificates_only_in_the_signing_folder(
        demo: KeyStore, signing_api: str, tmp_path: Path) -> None:
    folder = _production_folder(demo, tmp_path / "keys")
    settings = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_SIGNING_DIR": str(folder),
                                  "MOTCUA_KY_SO_URL": signing_api, "MOTCUA_KY_SO_TOKEN": "t0k3n"})
    registry = default_registry()
    assert configure(registry, settings) == [NAME]
    connector = registry.get(NAME)
    assert isinstance(connector, HttpConnector) and connector.retry.attempts == 3
    store = KeyStore.from_settings(settings)
    assert store.held_key(UNIT[0]) is None  # no private key on this server
    pdf = sign_pdf_with(_document(), ConnectorSigner(connector, UNIT[0], store.unit_certificates(*UNIT)),
                        reason="r", location="l")
    result = verify(pdf, store.trust_roots())
    assert result.valid and result.signer == UNIT[1]
    ((path, payload, auth),) = SigningApi.received
    assert (path, set(payload), auth) == ("/smartca/ky_bam", {"ma_don_vi", "bam", "thuat_toan"}, "Bearer t0k3n")


def test_the_http_twin_passes_a_refusal_on_as_permanent(demo: KeyStore, signing_api: str, tmp_path: Path) -> None:
    folder = _production_folder(demo, tmp_path / "keys")
    settings = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_SIGNING_DIR": str(folder),
                                  "MOTCUA_KY_SO_URL": signing_api})
    registry = default_registry()
    configure(registry, settings)
    SigningApi.service.revoked.add(UNIT[0])
    signer = ConnectorSigner(registry.get(NAME), UNIT[0], KeyStore.from_settings(settings).unit_certificates(*UNIT))
    with pytest.raises(SigningRefused, match=r"ky_so_tu_choi \(revoked\) after 1 attempt"):
        sign_pdf_with(_document(), signer, reason="r", location="l")


def test_remote_signing_needs_the_units_certificates(tmp_path: Path) -> None:
    settings = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_KY_SO_URL": "https://ca.example.vn/sign"})
    with pytest.raises(ConnectorSettingsError, match="MOTCUA_SIGNING_DIR"):
        configure(default_registry(), settings)
    plain = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_SIGNING_DIR": str(tmp_path),
                               "MOTCUA_KY_SO_URL": "http://ca.example.vn/sign"})
    with pytest.raises(ConnectorSettingsError, match="MOTCUA_KY_SO_URL must be an https URL"):
        configure(default_registry(), plain)
