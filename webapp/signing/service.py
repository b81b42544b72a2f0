"""The app's key store, its signer for a unit, and verification against its trust roots
(settings: MOTCUA_SIGNING_*, MOTCUA_KY_SO_*)."""

from __future__ import annotations

from flask import current_app

from engine.connectors.signature import NAME
from webapp.signing.keys import KeyStore
from webapp.signing.pades import Verification, verify
from webapp.signing.remote import ConnectorSigner, SigningRefused


def key_store() -> KeyStore:
    return KeyStore.from_settings(current_app.config["MOTCUA_SETTINGS"])


def unit_signer(code: str, name: str) -> ConnectorSigner:
    """A signer for the unit: its certificates from the key store, its signature from ``ky_so.ky_bam``."""
    connector = current_app.extensions["motcua_engine"].connectors.get(NAME)
    if connector is None:
        raise SigningRefused(f"no connector {NAME}")
    return ConnectorSigner(connector, code, key_store().unit_certificates(code, name))


def check(pdf: bytes) -> Verification:
    """Verify any PDF against this deployment's trust roots."""
    return verify(pdf, key_store().trust_roots())
