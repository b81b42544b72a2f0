"""The fake gateway as a Flask app: ``GET /`` shows the payment page, ``POST /`` answers it."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, redirect, render_template, request
from werkzeug.test import Client

from engine.payments import (
    DEFAULT_MAX_AGE,
    REQUEST_FIELDS,
    RESULT_FIELDS,
    PaymentRejected,
    check_fresh,
    check_signature,
    parse_amount,
    signed,
)

# What the citizen presses -> the result the gateway reports.
ACTIONS = {"pay": "paid", "decline": "declined", "cancel": "cancelled"}
Deliver = Callable[[str, dict[str, str]], tuple[int, str]]  # (notify URL, signed fields) -> (status, body)


@dataclass
class Notification:
    """One server-to-server notification the fake sent, and what the merchant answered."""

    url: str
    params: dict[str, str]
    status: int
    body: str


@dataclass
class GatewayState:
    """Merchants (code -> shared secret) and the notifications sent so far.

    ``notify = False`` loses every notification, as an unreachable merchant would;
    ``clock`` is a plain attribute so a test can move time.
    """

    merchants: dict[str, str]
    deliver: Deliver
    max_age: int = DEFAULT_MAX_AGE
    notify: bool = True
    clock: Callable[[], float] = time.time
    notifications: list[Notification] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def deliver_in_process(app: Any) -> Deliver:
    """Post notifications straight into ``app`` (the WSGI app the fake is mounted in): no network,
    but the same route, checks and database transaction a real gateway's callback goes through."""

    def deliver(url: str, params: dict[str, str]) -> tuple[int, str]:
        response = Client(app).post(urlsplit(url).path, data=params)
        try:
            return response.status_code, response.get_data(as_text=True)
        finally:
            response.close()

    return deliver


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def create_gateway_app(merchants: Mapping[str, str], deliver: Deliver, *, max_age: int = DEFAULT_MAX_AGE) -> Flask:
    app = Flask(__name__)
    app.config.update(SESSION_COOKIE_NAME="devpay_session")  # never the product's cookie; no session is used
    state = GatewayState(merchants=dict(merchants), deliver=deliver, max_age=max_age)
    app.extensions["devpay"] = state

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    def checked(params: Mapping[str, str]) -> tuple[dict[str, str], str, int]:
        """The payment request's fields, the merchant's secret and the amount; PaymentRejected otherwise."""
        fields = {name: params.get(name, "") for name in (*REQUEST_FIELDS, "signature")}
        secret = state.merchants.get(fields["merchant"])
        if secret is None or not all(fields.values()):
            raise PaymentRejected("malformed", "unknown merchant or a missing field")
        if not check_signature(secret, fields, REQUEST_FIELDS):
            raise PaymentRejected("bad_signature", "the request's signature does not match")
        check_fresh(fields["timestamp"], datetime.fromtimestamp(state.clock(), UTC), state.max_age)
        if not (_is_web_url(fields["return_url"]) and _is_web_url(fields["notify_url"])):
            raise PaymentRejected("malformed", "return_url and notify_url must be web addresses")
        return fields, secret, parse_amount(fields["amount"])

    def refused(err: PaymentRejected) -> tuple[str, int]:
        return render_template("error.html", code=err.code), 400

    @app.get("/")
    def page() -> Any:
        try:
            fields, _, amount = checked(request.args)
        except PaymentRejected as err:
            return refused(err)
        return render_template("pay.html", fields=fields, amount=f"{amount:,}".replace(",", "."))

    @app.post("/")
    def answer() -> Any:
        try:
            fields, secret, _ = checked(request.form)
        except PaymentRejected as err:
            return refused(err)
        result = ACTIONS.get(request.form.get("action", ""))
        if result is None:
            return render_template("error.html", code="malformed"), 400
        reply = signed(secret, {
            "merchant": fields["merchant"], "txn_ref": fields["txn_ref"], "amount": fields["amount"],
            "result": result, "gateway_txn": "GD" + secrets.token_hex(8).upper(),
            "timestamp": str(int(state.clock())),
        }, RESULT_FIELDS)
        if state.notify:
            status, body = state.deliver(fields["notify_url"], reply)
            with state.lock:
                state.notifications.append(Notification(fields["notify_url"], reply, status, body))
        separator = "&" if "?" in fields["return_url"] else "?"
        return redirect(fields["return_url"] + separator + urlencode(reply), code=303)

    return app
