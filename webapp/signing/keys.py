"""Where each unit's signing key comes from, and which certificates verification trusts.

One folder holds everything (``KeyStore.folder``):

    <UNIT CODE>.p12   the unit's key, certificate and chain (PKCS#12), one per unit
    <UNIT CODE>.pem   or only the unit's certificate and chain, when a remote signing service
                      (MOTCUA_KY_SO_URL) holds the key
    ca.pem            the certificate(s) trusted as roots when verifying (PEM, one or more)

Production (MOTCUA_SIGNING_DIR set): the province puts its units' .p12 (or .pem) files
(issued by a licensed CA) and that CA's root in the folder; MOTCUA_SIGNING_PASSWORD opens
the .p12 files. Nothing is ever generated there. Embedded default: the folder is
MOTCUA_DATA_DIR/signing/ and a local demo CA is created on first use, with a certificate per
unit issued when that unit first signs. Both then read the same files the same way.

The application itself only needs the public parts (:meth:`KeyStore.unit_certificates`);
private keys are read by the local signing service alone (:meth:`KeyStore.held_key`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from engine.connectors.signature import HeldKey
from webapp.settings import Settings

DEMO_CA_NAME = "motcua demo CA — NOT FOR PRODUCTION"
CA_CERT = "ca.pem"
CA_KEY = "ca.key.pem"  # demo only: a real CA's key never comes near this server
_LOCK = ".lock"
_UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_DEMO_YEARS = 10


class SigningKeyMissing(Exception):
    """A unit has no key in a production key folder (the message says which file to provide)."""


@dataclass(frozen=True)
class UnitKey:
    unit_code: str
    p12: bytes
    password: bytes | None


@dataclass(frozen=True)
class KeyStore:
    folder: Path
    demo: bool  # True: create the demo CA and unit certificates on demand
    password: bytes | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyStore:
        if settings.signing_dir:
            password = settings.signing_password
            return cls(folder=settings.signing_dir, demo=False, password=password.encode() if password else None)
        return cls(folder=settings.data_dir / "signing", demo=True)

    def unit_key(self, code: str, name: str) -> UnitKey:
        """The unit's .p12; in the demo store it is issued by the demo CA the first time."""
        path = self._p12_path(code)
        if not path.is_file() and not self.demo:
            raise SigningKeyMissing(f"no signing key for unit {code}: provide {path}")
        if self.demo and not (path.is_file() and _organisation(self.certificate(code)) == name[:64]):
            with self._locked():  # new unit, or renamed since: the demo CA issues its certificate
                if not (path.is_file() and _organisation(self.certificate(code)) == name[:64]):
                    _issue_unit(self.folder, code, name)
        return UnitKey(unit_code=code, p12=path.read_bytes(), password=self.password)

    def unit_certificates(self, code: str, name: str) -> list[x509.Certificate]:
        """The unit's certificate, then its chain: what a signature embeds (no private key)."""
        p12_path = self._p12_path(code)  # checks the code first: it names a file
        chain_path = self.folder / f"{code}.pem"
        if chain_path.is_file():
            return x509.load_pem_x509_certificates(chain_path.read_bytes())
        if not p12_path.is_file() and not self.demo:
            raise SigningKeyMissing(f"no certificate for unit {code}: provide {chain_path} "
                                    f"(or {p12_path.name} with its key)")
        key = self.unit_key(code, name)
        _, cert, chain = pkcs12.load_key_and_certificates(key.p12, key.password)
        assert cert is not None
        return [cert, *chain]

    def held_key(self, code: str) -> HeldKey | None:
        """The unit's private key, for the local signing service only; None when the unit has none."""
        path = self._p12_path(code)
        if not path.is_file():
            return None
        key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), self.password)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) or cert is None:
            return None
        return HeldKey(private_key=key, serial=f"{cert.serial_number:x}")

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        path = self.folder / CA_CERT
        if self.demo:
            self.ensure_ca()
        if not path.is_file():
            raise SigningKeyMissing(f"no trusted root certificates: provide {path}")
        return read_certificates(path.read_bytes())

    def ensure_ca(self) -> x509.Certificate:
        """The demo CA, created once (several processes may ask at the same moment)."""
        if not self.demo:
            raise SigningKeyMissing("a production key folder never gets a generated CA")
        with self._locked():
            if not (self.folder / CA_CERT).is_file():
                _create_ca(self.folder)
        return x509.load_pem_x509_certificate((self.folder / CA_CERT).read_bytes())

    def certificate(self, code: str) -> x509.Certificate:
        """The unit's certificate as stored (no private key leaves the .p12)."""
        _, cert, _ = pkcs12.load_key_and_certificates(self._p12_path(code).read_bytes(), self.password)
        assert cert is not None
        return cert

    def _p12_path(self, code: str) -> Path:
        if not _UNIT_CODE.match(code):
            raise ValueError(f"not a unit code: {code!r}")
        return self.folder / f"{code}.p12"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # private keys inside: only this service's user
        with open(self.folder / _LOCK, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def read_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    """Every certificate in a PEM bundle (or one DER certificate)."""
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"]
    return [asn1_x509.Certificate.load(data)]


def _organisation(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else ""


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


# --- the demo CA ---------------------------------------------------------------------------

def _write_private(path: Path, data: bytes) -> None:
    """Created with mode 0600 from the start, then moved into place (never half written)."""
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _create_ca(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEMO_CA_NAME),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "motcua (demo)")])
    now = _now()
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365 * _DEMO_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(folder / CA_KEY, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    _write_private(folder / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))


def _issue_unit(folder: Path, code: str, name: str) -> None:
    if not (folder / CA_CERT).is_file():
        _create_ca(folder)
    ca_cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name[:64]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64]),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, code)])
    now = _now()
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365 * _DEMO_YEARS - 2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(code.encode(), key, cert, [ca_cert],
                                                   serialization.NoEncryption())
    _write_private(folder / f"{code}.p12", bundle)
