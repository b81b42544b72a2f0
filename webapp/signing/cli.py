"""``motcua signing init`` and ``motcua verify-pdf FILE``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from webapp.signing.keys import CA_CERT, KeyStore, SigningKeyMissing, fingerprint, read_certificates

MAX_VERIFY_MB = 50


def _out(text: str = "") -> None:
    print(text, flush=True)


def cmd_signing(app: Flask, args: argparse.Namespace) -> int:
    """Demo store: create the CA and a certificate per unit (idempotent). Production: check every unit has a key."""
    from webapp.accounts.models import Unit
    from webapp.extensions import db

    store = KeyStore.from_settings(app.config["MOTCUA_SETTINGS"])
    missing = 0
    with app.app_context():
        units = db.session.execute(sa.select(Unit.code, Unit.name).order_by(Unit.code)).all()
    if store.demo:
        _out(f"demo CA (NOT FOR PRODUCTION) in {store.folder}")
        _out(f"  CA      SHA-256 {fingerprint(store.ensure_ca())}")
    else:
        _out(f"unit keys in {store.folder} (MOTCUA_SIGNING_DIR)")
        try:
            for root in store.trust_roots():
                _out(f"  root    SHA-256 {root.sha256.hex(':').upper()}  {root.subject.human_friendly}")
        except SigningKeyMissing as err:
            _out(f"  error: {err}")
            missing += 1
    for code, name in units:
        try:
            certificate = store.unit_certificates(code, name)[0]  # a .p12, or a .pem for remote signing
            _out(f"  {code:<14} SHA-256 {fingerprint(certificate)}  {name}")
        except SigningKeyMissing as err:
            _out(f"  {code:<14} missing: {err}")
            missing += 1
    return 1 if missing else 0


def cmd_verify_pdf(app: Flask, args: argparse.Namespace) -> int:
    """Exit 0 when every signature is valid and trusted, 1 when not, 2 when the file cannot be checked."""
    from webapp.signing.pades import verify

    path = Path(args.file)
    if not path.is_file():
        _out(f"error: no file {path}")
        return 2
    if path.stat().st_size > MAX_VERIFY_MB * 1024 * 1024:
        _out(f"error: {path} is larger than {MAX_VERIFY_MB} MB")
        return 2
    store = KeyStore.from_settings(app.config["MOTCUA_SETTINGS"])
    roots = read_certificates(Path(args.trust).read_bytes()) if args.trust else None
    try:
        result = verify(path.read_bytes(), roots if roots is not None else store.trust_roots())
    except SigningKeyMissing as err:
        _out(f"error: {err}")
        return 2
    if result.problem:
        _out({"not_pdf": "error: not a PDF file", "unreadable": "error: the PDF cannot be read",
              "unsigned": "INVALID: the PDF carries no signature"}[result.problem])
        return 1 if result.problem == "unsigned" else 2
    for s in result.signatures:
        when = s.signed_at.isoformat() if s.signed_at else "?"
        _out(f"signature {s.field_name!r}: signer {s.signer!r}, signed {when}; intact={s.intact} "
             f"unchanged_after={s.unchanged} trusted={s.trusted}")
    _out("VALID" if result.valid else "INVALID")
    return 0 if result.valid else 1


def add_commands(add: Callable[[str, Callable[[Flask, argparse.Namespace], int], str], Any]) -> None:
    signing = add("signing", cmd_signing, "unit signing keys: init creates the demo CA and unit certificates "
                                          "(or checks MOTCUA_SIGNING_DIR) and prints fingerprints")
    signing.add_argument("action", choices=["init"])
    verify_pdf = add("verify-pdf", cmd_verify_pdf, "check the signatures of a PDF (exit 0 valid, 1 invalid)")
    verify_pdf.add_argument("file")
    verify_pdf.add_argument("--trust", help=f"PEM file of trusted roots (default: the key store's {CA_CERT})")
