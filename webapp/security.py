"""CSRF protection for the server-rendered pages: a per-session token in every POST form.

The JSON API does not use cookies (bearer tokens only), so it needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def init_csrf(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _check() -> None:
        if request.method != "POST" or request.path.startswith("/api/"):
            return
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(400, "the form expired; go back, reload the page and send it again")
