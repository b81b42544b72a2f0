"""The app's key store and verification against its trust roots (settings: MOTCUA_SIGNING_*)."""

from __future__ import annotations

from flask import current_app

from webapp.signing.keys import KeyStore
from webapp.signing.pades import Verification, verify


def key_store() -> KeyStore:
    return KeyStore.from_settings(current_app.config["MOTCUA_SETTINGS"])


def check(pdf: bytes) -> Verification:
    """Verify any PDF against this deployment's trust roots."""
    return verify(pdf, key_store().trust_roots())
