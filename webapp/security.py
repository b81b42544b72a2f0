"""CSRF protection for the server-rendered pages: a per-session token in every POST form.

The JSON API does not use cookies (bearer tokens only), so it needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, request, session

F = TypeVar("F", bound=Callable[..., Any])


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_exempt(view: F) -> F:
    """For a POST that no browser form sends (a payment gateway's server-to-server callback):
    it must authenticate itself another way, e.g. with a signature."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def init_csrf(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _check() -> None:
        if request.method != "POST" or request.path.startswith("/api/"):
            return
        if getattr(app.view_functions.get(request.endpoint or ""), "csrf_exempt", False):
            return
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(400, "the form expired; go back, reload the page and send it again")
