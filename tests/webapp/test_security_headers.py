"""Security headers: CSP without inline scripts, no framing, no referrer leaks, no-store on personal pages."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.test_login_security import _login

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"


def test_html_pages_carry_the_policy(client: FlaskClient, seeded: dict) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "no-store" not in response.headers.get("Cache-Control", "")  # the public catalogue may be cached
    assert "Strict-Transport-Security" not in response.headers  # MOTCUA_HSTS is off by default


def test_officer_and_citizen_pages_are_not_stored(client: FlaskClient, seeded: dict) -> None:
    assert client.get("/can-bo/dang-nhap").headers["Cache-Control"] == "no-store"
    assert client.get("/tra-cuu").headers["Cache-Control"] == "no-store"
    _login(client, "tiepnhan")
    assert client.get("/can-bo/").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-store"  # signed in: every page is personal


def test_no_template_has_an_inline_script_or_handler() -> None:
    """What the CSP would block: a script without src that runs, an on...= attribute, a javascript: URL."""
    for path in TEMPLATES.rglob("*.html"):
        html = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html, path


def test_hsts_when_asked_and_on_https(app: Flask, seeded: dict) -> None:
    from webapp.security import init_security_headers

    probe = Flask("probe")
    probe.secret_key = "x" * 40
    init_security_headers(probe, hsts=True)
    probe.add_url_rule("/", "index", lambda: "<p>hi</p>")
    with probe.test_client() as c:
        assert "Strict-Transport-Security" not in c.get("/").headers
        assert c.get("/", base_url="https://localhost").headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_studio_page_satisfies_the_policy(client: FlaskClient, seeded: dict) -> None:
    _login(client, "thietke")
    response = client.get("/thiet-ke/")
    if response.status_code != 200:
        return
    page = lxml.html.fromstring(response.get_data(as_text=True))
    assert all(s.get("src") or s.get("type") == "application/json" for s in page.iter("script"))
