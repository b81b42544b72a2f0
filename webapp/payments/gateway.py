"""Which payment gateway the product talks to (MOTCUA_PAYMENT_*, see webapp/settings.py).

The default is the fake gateway in ``fakes/payment/``, mounted inside the product at
/cong-thanh-toan-gia-lap/ so `motcua serve` and the tests need nothing else. Anyone who can
reach it can "pay", so it runs only beside the local login provider (fakes/oidc), where the
citizens are fake too. With a real identity gateway and no MOTCUA_PAYMENT_URL, online payment
is off (the fee is paid at the desk) until the URL, the merchant code and the shared secret
point at a real payment gateway.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Flask, current_app

from engine.payments import DEFAULT_MAX_AGE, PaymentGateway, SignedRedirectGateway
from webapp import local_fakes
from webapp.accounts import oidc
from webapp.secret_key import PUBLIC_VALUES
from webapp.settings import SettingsError

LOCAL_URL = "/cong-thanh-toan-gia-lap/"  # a path on this site: the fake, mounted here
LOCAL_MERCHANT = "MOTCUA-DEV"
LOCAL_SECRET = "motcua-dev-payment-not-secret"  # public: only ever accepted by the fake mounted here
EXTENSION = "motcua_payments"

log = logging.getLogger(__name__)


class PaymentConfigError(SettingsError):
    pass


def gateway_from(env: Mapping[str, str]) -> SignedRedirectGateway:
    """The gateway the MOTCUA_PAYMENT_* variables describe; PaymentConfigError when they cannot work."""
    url = (env.get("MOTCUA_PAYMENT_URL") or LOCAL_URL).strip()
    local = url.startswith("/")
    parts = urlsplit(url)
    if local and (parts.netloc or parts.query or parts.fragment):
        raise PaymentConfigError("a local MOTCUA_PAYMENT_URL is a plain path, e.g. /cong-thanh-toan-gia-lap/")
    if not local and (parts.scheme != "https" or not parts.hostname or parts.fragment):
        raise PaymentConfigError("MOTCUA_PAYMENT_URL must be the gateway's https address")
    merchant = (env.get("MOTCUA_PAYMENT_MERCHANT") or "").strip() or (LOCAL_MERCHANT if local else "")
    secret = env.get("MOTCUA_PAYMENT_SECRET") or (LOCAL_SECRET if local else "")
    if not merchant:
        raise PaymentConfigError("MOTCUA_PAYMENT_MERCHANT is required with a real gateway")
    if not local and (len(secret) < 16 or secret.strip() in PUBLIC_VALUES):
        raise PaymentConfigError("MOTCUA_PAYMENT_SECRET must be the secret the gateway issued (16+ characters)")
    raw_age = env.get("MOTCUA_PAYMENT_MAX_AGE") or str(DEFAULT_MAX_AGE)
    if not (raw_age.isdigit() and 30 <= int(raw_age) <= 86400):
        raise PaymentConfigError("MOTCUA_PAYMENT_MAX_AGE is a number of seconds from 30 to 86400")
    return SignedRedirectGateway(url=url, merchant=merchant, secret=secret, max_age=int(raw_age))


def init_payments(app: Flask) -> None:
    """Choose the gateway (app.config MOTCUA_PAYMENT_* over the environment); mount the fake
    when it is the one, or leave online payment off. Call after init_oidc."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in app.config.items() if k.startswith("MOTCUA_PAYMENT_") and v is not None})
    gateway = gateway_from(env)
    app.extensions[EXTENSION] = gateway
    if not gateway.url.startswith("/"):
        return
    login = app.extensions.get(oidc.EXTENSION)
    if login is not None and login.settings.is_local:
        _mount_fake(app, gateway)
    elif env.get("MOTCUA_PAYMENT_URL"):
        raise PaymentConfigError("the fake payment gateway runs only with the local login provider; "
                                 "set MOTCUA_PAYMENT_URL to the real gateway's https address")
    else:
        log.warning("online payment is off: set MOTCUA_PAYMENT_URL, _MERCHANT and _SECRET")
        app.extensions[EXTENSION] = None


def _mount_fake(app: Flask, gateway: SignedRedirectGateway) -> None:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    # development tool; a real gateway never loads it
    fake = local_fakes.payment_gateway_app({gateway.merchant: gateway.secret}, app, max_age=gateway.max_age)
    app.extensions["devpay"] = fake
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {gateway.url.rstrip("/"): fake})  # type: ignore[method-assign]


def gateway() -> PaymentGateway | None:
    """The configured gateway; None when online payment is off."""
    return current_app.extensions.get(EXTENSION)
