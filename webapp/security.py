"""CSRF protection for the server-rendered pages: a per-session token in every POST form.

The JSON API does not use cookies (bearer tokens only), so it needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, abort, request, session

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


# --- response headers -------------------------------------------------------------------------------

# No page has an inline script (the studio's data travels in <script type="application/json">, which no
# browser runs) and no bundle evaluates strings, so scripts come from this site only. The studio's
# bpmn-js draws with style attributes: its pages alone allow inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'{styles}; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
INLINE_STYLE_PATHS = ("/thiet-ke",)
# Pages with personal data are never stored by the browser or a proxy: officers' pages, a citizen's
# own pages (dossiers, drafts, inbox), the public lookup's answers; and any page of a signed-in person.
PERSONAL_PATHS = ("/can-bo", "/thiet-ke", "/ho-so", "/tra-cuu", "/thong-bao", "/thu-tuc")
PERSONAL_SESSION_KEYS = ("officer_id", "citizen_id")
HSTS = "max-age=31536000"


def init_security_headers(app: Flask, *, hsts: bool = False) -> None:
    """CSP, framing, referrer and sniffing rules on every HTML page, ``no-store`` on personal ones, and
    HSTS (MOTCUA_HSTS) on https. A response that set its own policy (an attachment's sandbox) keeps it."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts and (request.is_secure or app.config.get("SESSION_COOKIE_SECURE")):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype != "text/html":
            return response
        styles = " 'unsafe-inline'" if request.path.startswith(INLINE_STYLE_PATHS) else ""
        response.headers.setdefault("Content-Security-Policy", CSP.format(styles=styles))
        response.headers.setdefault("X-Frame-Options", "DENY")
        personal = request.path.startswith(PERSONAL_PATHS) or any(k in session for k in PERSONAL_SESSION_KEYS)
        if personal and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
