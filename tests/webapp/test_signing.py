"""Unit keys (demo CA, real .p12 files), PAdES signing and verification, the verify page and CLI."""

from __future__ import annotations

import io
import re
import stat
from datetime import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import Flask
from flask.testing import FlaskClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from engine.runtime import VN_TZ
from tests.conftest import SECRET
from webapp.cli import main
from webapp.results.document import ResultContent, render
from webapp.settings import Settings
from webapp.signing.keys import CA_CERT, CA_KEY, DEMO_CA_NAME, KeyStore, SigningKeyMissing, fingerprint
from webapp.signing.pades import sign_pdf, verify

UNIT = ("H41.01.01", "Ủy ban nhân dân xã Ninh Hải")


def _document(code: str = "H41.01.01-20261123-0000001") -> bytes:
    return render(ResultContent(
        unit_name=UNIT[1], procedure_name="Đăng ký khai sinh", procedure_code="1.001193", dossier_code=code,
        applicant="Nguyễn Văn An", result_name="Giấy khai sinh", decision="Đã phê duyệt", number=f"{code}/KQ",
        issued_at=datetime(2026, 11, 23, 9, 30, tzinfo=VN_TZ), tracking_url=f"https://dvc.example/ho-so/{code}"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return KeyStore(folder=tmp_path_factory.mktemp("keys") / "signing", demo=True)


@pytest.fixture(scope="module")
def signed(store: KeyStore) -> bytes:
    return sign_pdf(_document(), store.unit_key(*UNIT), reason="Phê duyệt kết quả", location="Ninh Bình")


# --- keys ------------------------------------------------------------------------------------

def test_the_demo_ca_is_created_once_with_private_files(tmp_path: Path) -> None:
    demo = KeyStore(folder=tmp_path / "signing", demo=True)
    first = demo.ensure_ca()
    key_before = (demo.folder / CA_KEY).read_bytes()
    assert demo.ensure_ca().fingerprint(first.signature_hash_algorithm) == first.fingerprint(
        first.signature_hash_algorithm)
    assert (demo.folder / CA_KEY).read_bytes() == key_before
    assert first.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DEMO_CA_NAME
    assert "NOT FOR PRODUCTION" in DEMO_CA_NAME
    unit = demo.unit_key(*UNIT)
    assert demo.unit_key(*UNIT).p12 == unit.p12  # issued once, then read
    renamed = demo.unit_key(UNIT[0], "Ủy ban nhân dân phường Ninh Hải")  # the demo follows a unit's new name
    assert renamed.p12 != unit.p12 and demo.unit_key(UNIT[0], "Ủy ban nhân dân phường Ninh Hải").p12 == renamed.p12
    unit = demo.unit_key(*UNIT)
    assert stat.S_IMODE(demo.folder.stat().st_mode) == 0o700
    for name in (CA_KEY, f"{UNIT[0]}.p12"):
        assert stat.S_IMODE((demo.folder / name).stat().st_mode) == 0o600
    cert = demo.certificate(UNIT[0])
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == UNIT[1]
    assert cert.issuer == first.subject


def test_a_unit_code_cannot_name_a_path(store: KeyStore) -> None:
    with pytest.raises(ValueError):
        store.unit_key("../etc/passwd", "x")


def test_a_production_folder_never_gets_generated_keys(tmp_path: Path) -> None:
    real = KeyStore.from_settings(Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path / "data"),
                                                     "MOTCUA_SIGNING_DIR": str(tmp_path / "keys")}))
    assert not real.demo
    with pytest.raises(SigningKeyMissing, match=r"H41\.01\.01\.p12"):
        real.unit_key(*UNIT)
    with pytest.raises(SigningKeyMissing):
        real.trust_roots()
    assert not (tmp_path / "keys").exists() and not (tmp_path / "data" / "signing").exists()


def test_real_unit_keys_are_password_protected_p12_files(tmp_path: Path, store: KeyStore) -> None:
    """Production reads <UNIT>.p12 + ca.pem with MOTCUA_SIGNING_PASSWORD: same code as the demo."""
    folder = tmp_path / "keys"
    folder.mkdir()
    key, cert, chain = pkcs12.load_key_and_certificates(store.unit_key(*UNIT).p12, None)
    assert key is not None and cert is not None
    encrypted = pkcs12.serialize_key_and_certificates(b"unit", key, cert, chain,  # type: ignore[arg-type]
                                                      serialization.BestAvailableEncryption(b"mat-khau-that"))
    (folder / f"{UNIT[0]}.p12").write_bytes(encrypted)
    (folder / CA_CERT).write_bytes((store.folder / CA_CERT).read_bytes())
    real = KeyStore.from_settings(Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_SIGNING_DIR":
                                                     str(folder), "MOTCUA_SIGNING_PASSWORD": "mat-khau-that"}))
    pdf = sign_pdf(_document(), real.unit_key(*UNIT), reason="r", location="l")
    assert verify(pdf, real.trust_roots()).valid
    wrong = KeyStore(folder=folder, demo=False, password=b"sai")
    with pytest.raises(ValueError):
        sign_pdf(_document(), wrong.unit_key(*UNIT), reason="r", location="l")


# --- sign and verify -------------------------------------------------------------------------

def test_a_signed_result_verifies_with_the_unit_as_signer(store: KeyStore, signed: bytes) -> None:
    result = verify(signed, store.trust_roots())
    assert result.valid and result.intact and result.trusted
    assert result.signer == UNIT[1]
    (check,) = result.signatures
    assert check.signed_at is not None and check.field_name


def test_a_changed_byte_fails(store: KeyStore, signed: bytes) -> None:
    position = signed.index(b"/Producer")  # inside the signed range, in the first revision
    tampered = bytearray(signed)
    tampered[position + 1] = ord("Q")
    result = verify(bytes(tampered), store.trust_roots())
    assert not result.valid and not result.intact


def _add_text(pdf: bytes, text: bytes) -> bytes:
    """An incremental update that draws on the signed page: the signature's bytes stay untouched."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 36 Tf 60 420 Td (" + text + b") Tj ET"))
    contents = page.raw_get("/Contents")
    existing = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*existing, extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_incremental_update_altering_the_content_fails(store: KeyStore, signed: bytes) -> None:
    altered = _add_text(signed, b"TU CHOI")
    assert altered.startswith(signed)  # the signed revision itself is untouched
    result = verify(altered, store.trust_roots())
    assert not result.valid
    (check,) = result.signatures
    assert check.intact and not check.unchanged  # the signature is fine; what came after is not


def _retitle(pdf: bytes) -> bytes:
    """An incremental update of the metadata only (pyHanko itself would call it harmless)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    info = writer.trailer["/Info"].get_object()
    info["/Title"] = generic.TextStringObject("Giấy khai sinh giả")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("change", [lambda pdf: pdf + b"\n% appended\n", _retitle], ids=["appended", "metadata"])
def test_nothing_may_follow_the_last_signature(store: KeyStore, signed: bytes, change) -> None:  # noqa: ANN001
    result = verify(change(signed), store.trust_roots())
    assert not result.valid and result.signatures[0].intact and not result.signatures[0].unchanged


def test_another_trust_root_fails(tmp_path: Path, signed: bytes) -> None:
    other = KeyStore(folder=tmp_path / "other", demo=True)
    result = verify(signed, other.trust_roots())
    assert not result.valid and not result.trusted and result.intact


def test_a_second_units_signature_keeps_both_valid(store: KeyStore, signed: bytes) -> None:
    twice = sign_pdf(signed, store.unit_key("H41.CA", "Công an xã Ninh Hải"), reason="Xác nhận",
                     location="Ninh Bình", field_name="Chữ ký số thứ hai")
    result = verify(twice, store.trust_roots())
    assert result.valid and [s.signer for s in result.signatures] == [UNIT[1], "Công an xã Ninh Hải"]


@pytest.mark.parametrize(("data", "problem"), [
    (b"hello, not a pdf", "not_pdf"),
    (b"%PDF-1.7\n garbage without any structure", "unreadable"),
    (None, "unsigned"),  # the unsigned result document
])
def test_what_cannot_be_verified_says_why(store: KeyStore, data: bytes | None, problem: str) -> None:
    result = verify(data if data is not None else _document(), store.trust_roots())
    assert result.problem == problem and not result.valid


# --- the page --------------------------------------------------------------------------------

def _csrf(client: FlaskClient) -> str:
    page = client.get("/xac-minh-chu-ky")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found
    return found.group(1)


def _upload(client: FlaskClient, data: bytes | None, filename: str = "ket-qua.pdf") -> tuple[int, str]:
    fields: dict = {"csrf_token": _csrf(client)}
    if data is not None:
        fields["file"] = FileStorage(io.BytesIO(data), filename=filename)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    stream, _, boundary = stream_encode_multipart(fields, use_tempfile=False)
    response = client.post("/xac-minh-chu-ky", data=stream.getvalue(),
                           content_type=f"multipart/form-data; boundary={boundary}")
    return response.status_code, response.get_data(as_text=True)


def test_the_page_says_valid_and_who_signed(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        from webapp.signing.service import key_store

        pdf = sign_pdf(_document(), key_store().unit_key(*UNIT), reason="r", location="l")
    status, html = _upload(client, pdf)
    assert status == 200 and "Chữ ký hợp lệ" in html and UNIT[1] in html
    status, html = _upload(client, _add_text(pdf, b"SUA"))
    assert status == 200 and "Chữ ký KHÔNG hợp lệ" in html and "Đã bị sửa đổi sau khi ký" in html


def test_the_page_refuses_bad_input_clearly(client: FlaskClient, signed: bytes) -> None:
    status, html = _upload(client, None)
    assert status == 422 and "Hãy chọn tệp PDF" in html
    status, html = _upload(client, b"plain text", "ghi-chu.txt")
    assert status == 422 and "không phải là PDF" in html
    status, html = _upload(client, b"%PDF-" + b"0" * (10 * 1024 * 1024), "lon.pdf")
    assert status == 422 and "lớn hơn 10 MB" in html
    status, html = _upload(client, _document())
    assert status == 422 and "không có chữ ký số" in html
    status, html = _upload(client, signed)  # signed by a CA this deployment does not trust
    assert status == 200 and "Không do tổ chức được tin cậy cấp" in html


def test_the_page_needs_its_form_token(client: FlaskClient, signed: bytes) -> None:
    response = client.post("/xac-minh-chu-ky", data={"file": (io.BytesIO(signed), "a.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


# --- the command line ------------------------------------------------------------------------

@pytest.fixture()
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MOTCUA_DATABASE_URL", "MOTCUA_TEST_DATABASE_URL", "MOTCUA_SIGNING_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    assert main(["demo", "seed"]) == 0
    return tmp_path


def test_signing_init_is_idempotent_and_prints_fingerprints(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["signing", "init"]) == 0
    first = capsys.readouterr().out
    assert main(["signing", "init"]) == 0
    assert capsys.readouterr().out == first
    assert "NOT FOR PRODUCTION" in first
    assert re.search(r"H41\.01\.01\s+SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}", first)
    ca = x509.load_pem_x509_certificate((fresh / "signing" / CA_CERT).read_bytes())
    assert fingerprint(ca) in first


def test_verify_pdf_exit_codes(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = KeyStore(folder=fresh / "signing", demo=True)
    good = fresh / "ket-qua.pdf"
    good.write_bytes(sign_pdf(_document(), store.unit_key(*UNIT), reason="r", location="l"))
    assert main(["verify-pdf", str(good)]) == 0
    assert "VALID" in capsys.readouterr().out
    bad = fresh / "da-sua.pdf"
    bad.write_bytes(_add_text(good.read_bytes(), b"SUA"))
    assert main(["verify-pdf", str(bad)]) == 1
    assert "INVALID" in capsys.readouterr().out
    (fresh / "khac.pem").write_bytes((KeyStore(folder=fresh / "khac", demo=True).ensure_ca())
                                     .public_bytes(serialization.Encoding.PEM))
    assert main(["verify-pdf", str(good), "--trust", str(fresh / "khac.pem")]) == 1
    assert main(["verify-pdf", str(fresh / "khong-co.pdf")]) == 2
