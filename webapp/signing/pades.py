"""PAdES signatures (baseline B-B) with pyHanko: sign a PDF as a unit, and verify any PDF.

A document verifies only if every signature in it is cryptographically intact, its signer's
certificate chains to a trusted root, and nothing but signatures or validation data was
added after it: bytes changed inside a signed range break the digest, anything appended
after the last signature (an incremental update, even harmless-looking) is refused, and what
follows an earlier signature is checked by pyHanko's difference analysis.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from webapp.signing.keys import UnitKey

log = logging.getLogger(__name__)

FIELD_NAME = "Chữ ký số"
# The last signature must cover the whole file: not a byte after it, not even metadata or
# validation data pyHanko would call harmless (B-B documents never get any). An earlier
# signature may be followed by further signatures (to it, a signature field being filled).
_SAFE_BEFORE_ANOTHER = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)


@dataclass(frozen=True)
class SignatureCheck:
    field_name: str
    intact: bool  # the signed bytes hash to what was signed, and the signature matches the certificate
    valid: bool
    trusted: bool  # the certificate chains to one of the trust roots
    unchanged: bool  # nothing but later signatures was added after this signature
    signer: str  # the certificate's organisation (unit name), else its common name
    signer_common_name: str
    signed_at: datetime | None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.unchanged


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found. ``problem`` is set when the file could not be checked at all."""

    signatures: list[SignatureCheck] = field(default_factory=list)
    problem: str | None = None  # not_pdf | unreadable | unsigned

    @property
    def valid(self) -> bool:
        return self.problem is None and bool(self.signatures) and all(s.ok for s in self.signatures)

    @property
    def intact(self) -> bool:
        return bool(self.signatures) and all(s.intact and s.unchanged for s in self.signatures)

    @property
    def trusted(self) -> bool:
        return bool(self.signatures) and all(s.trusted for s in self.signatures)

    @property
    def signer(self) -> str | None:
        return self.signatures[-1].signer if self.signatures else None


def sign_pdf(pdf: bytes, key: UnitKey, *, reason: str, location: str, field_name: str = FIELD_NAME) -> bytes:
    """``pdf`` with an invisible PAdES B-B signature by ``key`` (a .p12 in hand) appended as an incremental update."""
    signer = signers.SimpleSigner.load_pkcs12_data(key.p12, other_certs=(), passphrase=key.password)
    if signer is None:
        raise SigningError(f"the key of unit {key.unit_code} could not be opened")
    return sign_pdf_with(pdf, signer, reason=reason, location=location, field_name=field_name)


def sign_pdf_with(pdf: bytes, signer: signers.Signer, *, reason: str, location: str,
                  field_name: str = FIELD_NAME) -> bytes:
    """``pdf`` signed PAdES B-B by any pyHanko signer (a key in hand, or a remote signing service)."""
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    output = signers.PdfSigner(meta, signer=signer).sign_pdf(writer)
    return output.getvalue()


def verify(pdf: bytes, trust_roots: list[asn1_x509.Certificate]) -> Verification:
    """Check every signature in ``pdf`` against ``trust_roots`` (no network: revocation is not fetched)."""
    if b"%PDF-" not in pdf[:1024]:  # the header may follow a little junk, as readers allow
        return Verification(problem="not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as err:
        log.info("unreadable PDF submitted for verification (%s)", type(err).__name__)
        return Verification(problem="unreadable")
    if not embedded:
        return Verification(problem="unsigned")
    checks = []
    for index, signature in enumerate(embedded):
        last = index == len(embedded) - 1
        checks.append(_check(signature, trust_roots, last=last))
    return Verification(signatures=checks)


def _check(signature: object, trust_roots: list[asn1_x509.Certificate], *, last: bool) -> SignatureCheck:
    name = str(getattr(signature, "field_name", "") or "")
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)  # type: ignore[arg-type]
    except Exception as err:  # noqa: BLE001 - any malformed signature is simply not valid
        log.info("signature %s could not be validated (%s)", name, type(err).__name__)
        return SignatureCheck(field_name=name, intact=False, valid=False, trusted=False, unchanged=False,
                              signer="", signer_common_name="", signed_at=None)
    if last:
        unchanged = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    else:
        unchanged = status.modification_level in _SAFE_BEFORE_ANOTHER and bool(status.docmdp_ok)
    subject = status.signing_cert.subject.native
    return SignatureCheck(
        field_name=name, intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        unchanged=bool(unchanged), signer=str(subject.get("organization_name") or subject.get("common_name") or ""),
        signer_common_name=str(subject.get("common_name") or ""), signed_at=status.signer_reported_dt,
    )
