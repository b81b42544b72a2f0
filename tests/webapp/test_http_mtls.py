"""Mutual TLS towards the integration gateway: MOTCUA_HTTP_CA_BUNDLE, MOTCUA_HTTP_CLIENT_CERT and
MOTCUA_HTTP_CLIENT_KEY reach the HTTP connectors' client. The gateway here is a local HTTPS server
that trusts one CA and refuses any client without a certificate from it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from engine.connectors import ConnectorError
from engine.connectors.http import HttpConnector, close_clients
from engine.local_systems import default_registry
from tests.conftest import SECRET
from webapp.connectors import ConnectorSettingsError, configure
from webapp.settings import Settings, SettingsError

CLIENT_NAME = "motcua.ninhbinh.gov.vn"
SHIPMENT = {"ma_ho_so": "H41.15-20260608-0001", "nguoi_nhan": "Trần Thị Bình", "so_dien_thoai": "0987654321",
            "dia_chi_nhan": {"tinh_thanh": "Ninh Bình", "dia_chi_chi_tiet": "Thôn Đông, số 21"}}


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
           | None, *, usage: x509.ObjectIdentifier | None = None,
           names: list[x509.GeneralName] | None = None) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (_name(subject), key)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                              critical=False))
    if issuer is None:  # the CA
        builder = (builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False, encipher_only=False,
                                                decipher_only=False), critical=True))
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False) if usage else builder
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False) if names else builder
    return builder.sign(signing_key, hashes.SHA256())


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_cert: Path  # a client certificate from a CA the gateway does not trust
    other_key: Path


def _write(folder: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, other_ca_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _issue("CA Chính phủ (thử nghiệm)", ca_key, None)
    other_ca = _issue("CA khác", other_ca_key, None)
    server_key, client_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    server = _issue("lgsp.ninhbinh.gov.vn", server_key, (ca, ca_key), usage=ExtendedKeyUsageOID.SERVER_AUTH,
                    names=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")])
    client = _issue(CLIENT_NAME, client_key, (ca, ca_key), usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    other = _issue("ai-do.example", other_key, (other_ca, other_ca_key), usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    ca_path = folder / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return Pki(ca_path, *_write(folder, "server", server, server_key), *_write(folder, "client", client, client_key),
               *_write(folder, "other", other, other_key))


class Gateway(BaseHTTPRequestHandler):
    """Answers every POST with a shipment code and records who (which client certificate) asked."""

    callers: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        peer: Any = self.connection.getpeercert()  # type: ignore[attr-defined]
        self.callers.append(dict(item[0] for item in peer["subject"])["commonName"])
        data = json.dumps({"ma_van_don": "EL000000017VN", "cuoc_phi": 25000}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # refused handshakes are the point
        return


@pytest.fixture
def gateway(pki: Pki) -> Iterator[str]:
    Gateway.callers = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no connection
    context.load_verify_locations(pki.ca)
    httpd = QuietServer(("127.0.0.1", 0), Gateway)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/buu-chinh"
    close_clients()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def booking(url: str, **tls: Path) -> HttpConnector:
    env = {**SECRET, "MOTCUA_DATA_DIR": "/tmp", "MOTCUA_BUU_CHINH_URL": url,
           **{f"MOTCUA_HTTP_{name.upper()}": str(path) for name, path in tls.items()}}
    registry = default_registry()
    configure(registry, Settings.from_env(env))
    connector = registry.get("buu_chinh.tao_van_don")
    assert isinstance(connector, HttpConnector)
    return connector


def test_the_client_certificate_from_the_settings_is_presented_to_the_gateway(gateway: str, pki: Pki) -> None:
    connector = booking(gateway, ca_bundle=pki.ca, client_cert=pki.client_cert, client_key=pki.client_key)
    assert connector.endpoint.tls.client_cert == pki.client_cert and connector.endpoint.tls.ca_bundle == pki.ca
    assert connector.call(SHIPMENT) == {"ma_van_don": "EL000000017VN", "cuoc_phi": 25000}
    assert connector.call(SHIPMENT)["ma_van_don"] == "EL000000017VN"
    assert Gateway.callers == [CLIENT_NAME, CLIENT_NAME]


def test_without_a_certificate_the_gateway_refuses_and_the_call_may_be_retried(gateway: str, pki: Pki) -> None:
    for tls in ({"ca_bundle": pki.ca},  # no client certificate
                {"ca_bundle": pki.ca, "client_cert": pki.other_cert, "client_key": pki.other_key}):  # untrusted
        with pytest.raises(ConnectorError) as caught:
            booking(gateway, **tls).call(SHIPMENT)
        assert caught.value.retryable and str(caught.value).startswith("tao_van_don: unreachable (")
    assert Gateway.callers == []


def test_the_gateway_certificate_must_chain_to_the_ca_bundle(gateway: str, pki: Pki) -> None:
    with pytest.raises(ConnectorError, match=r"unreachable \(ConnectError\)"):  # the system store lacks this CA
        booking(gateway, client_cert=pki.client_cert, client_key=pki.client_key).call(SHIPMENT)
    assert Gateway.callers == []


def test_unusable_tls_settings_stop_the_app_at_start(pki: Pki, tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.pem"
    with pytest.raises(ConnectorSettingsError, match=r"MOTCUA_HTTP_CLIENT_CERT=.*khong-co\.pem"):
        booking("https://lgsp.example.gov.vn/buu-chinh", ca_bundle=pki.ca, client_cert=missing)
    with pytest.raises(ConnectorSettingsError, match="MOTCUA_HTTP_CLIENT_KEY"):  # a key that is not this cert's
        booking("https://lgsp.example.gov.vn/buu-chinh", client_cert=pki.client_cert, client_key=pki.other_key)
    with pytest.raises(SettingsError, match="MOTCUA_HTTP_CLIENT_KEY needs MOTCUA_HTTP_CLIENT_CERT"):
        Settings.from_env({**SECRET, "MOTCUA_HTTP_CLIENT_KEY": str(pki.client_key)})
