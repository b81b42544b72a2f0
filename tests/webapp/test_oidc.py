"""Citizen login through OpenID Connect, end to end against the real development provider.

The provider (fakes.oidc) runs on a free port in a thread; the app talks to it over HTTP with
Authlib, the "browser" is Flask's test client for the app plus ``requests`` for the provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import lxml.html
import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.wrappers import Response

from fakes.oidc import RunningProvider, demo_people, start_in_thread
from fakes.oidc.provider import ProviderState
from tests.conftest import SECRET
from webapp import create_app
from webapp.accounts.models import Account
from webapp.accounts.oidc import (
    DEFAULT_ISSUER,
    EXTENSION,
    LOCAL_CLIENT_ID,
    SESSION_KEY,
    OidcConfigError,
    current_citizen,
    init_oidc,
    oidc_settings,
    safe_next,
    start_local_provider,
)
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.settings import Settings

CLIENT_ID = "motcua-test"
CLIENT_SECRET = "mot-bi-mat-chi-dung-khi-kiem-thu"
CALLBACK = "http://localhost/dang-nhap/callback"
AN, BINH, CUONG = "001090000001", "001092000002", "079195000003"  # Cường has no account until he logs in
PEOPLE = [*demo_people(), {"identity_number": CUONG, "name": "Lê Văn Cường", "birthdate": "1995-11-20"}]


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider() -> Iterator[RunningProvider]:
    clients = {CLIENT_ID: {"client_secret": CLIENT_SECRET, "redirect_uris": [CALLBACK], "name": "Một cửa (kiểm thử)"}}
    running = start_in_thread("127.0.0.1", 0, None, clients, PEOPLE)
    yield running
    running.stop()


def _build_app(app: Flask, issuer: str) -> Flask:
    """A second app on the test database (the session ``app`` has served requests: no new blueprints)."""
    base = app.config["MOTCUA_SETTINGS"]
    settings = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(base.data_dir),
                                  "MOTCUA_DATABASE_URL": base.sqlalchemy_url})
    new = create_app({"TESTING": True, "MOTCUA_OIDC_ISSUER": issuer, "MOTCUA_OIDC_CLIENT_ID": CLIENT_ID,
                      "MOTCUA_OIDC_CLIENT_SECRET": CLIENT_SECRET}, settings=settings)
    if EXTENSION not in new.extensions:  # not wired into create_app yet
        init_oidc(new)
    return new


@contextmanager
def _app_for(app: Flask, issuer: str) -> Iterator[Flask]:
    new = _build_app(app, issuer)
    try:
        yield new
    finally:
        with new.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def oidc_app(app: Flask, provider: RunningProvider) -> Iterator[Flask]:
    with _app_for(app, provider.issuer) as new:
        yield new


@pytest.fixture()
def browser(oidc_app: Flask, seeded: dict[str, str]) -> FlaskClient:
    return oidc_app.test_client()


@pytest.fixture()
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


# --- helpers: a person going through the pages -------------------------------------------------------


def _start(browser: FlaskClient, next_: str | None = None) -> str:
    url = "/dang-nhap" + (f"?{urlencode({'next': next_})}" if next_ is not None else "")
    response = browser.get(url)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _pick(http: requests.Session, authorize_url: str, identity: str | None) -> str:
    """On the provider's page press the button of the citizen with ``identity`` (None: "Hủy")."""
    page = http.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    form = lxml.html.fromstring(page.text).cssselect("form")[0]
    data = {field.get("name"): field.get("value") for field in form.cssselect("input[type=hidden]")}
    if identity is None:
        button = next(b for b in form.cssselect("button") if b.text_content().strip() == "Hủy")
    else:
        button = next(b for b in form.cssselect("button[name=person]") if identity in b.text_content())
    data[button.get("name")] = button.get("value")
    response = http.post(urljoin(authorize_url, form.get("action")), data=data, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def _back(browser: FlaskClient, location: str) -> Any:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return browser.get(f"{parts.path}?{parts.query}")


def _login(browser: FlaskClient, http: requests.Session, identity: str, next_: str | None = None) -> Any:
    return _back(browser, _pick(http, _start(browser, next_), identity))


def _session(browser: FlaskClient) -> dict[str, Any]:
    with browser.session_transaction() as session:
        return dict(session)


def _account(app: Flask, identity: str) -> Account | None:
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.identity_number == identity))
        if account is not None:
            db.session.expunge(account)
        return account


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _logins(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "citizen.logged_in")))
        for entry in entries:
            db.session.expunge(entry)
        return entries


def _retry_link(page: str) -> tuple[str, dict[str, list[str]]]:
    [link] = lxml.html.fromstring(page).cssselect("main a.button")
    assert link.text_content().strip() == "Đăng nhập lại"
    parts = urlsplit(link.get("href"))
    assert not parts.scheme and not parts.netloc
    return parts.path, parse_qs(parts.query)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- helpers: talking to the provider directly, as a client would ------------------------------------


def _code(http: requests.Session, provider: RunningProvider, identity: str,
          redirect_uri: str = CALLBACK) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    params = {"client_id": CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
              "scope": "openid profile", "state": "trang-thai-1", "nonce": "so-dung-mot-lan",
              "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()), "code_challenge_method": "S256"}
    location = _pick(http, f"{provider.issuer}/authorize?{urlencode(params)}", identity)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["trang-thai-1"] and "error" not in query
    return query["code"][0], verifier


def _exchange(http: requests.Session, provider: RunningProvider, code: str, verifier: str, *, auth: str = "basic",
              redirect_uri: str = CALLBACK, secret: str = CLIENT_SECRET) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    if auth == "basic":
        return http.post(f"{provider.issuer}/token", data=data, auth=(CLIENT_ID, secret), timeout=10)
    return http.post(f"{provider.issuer}/token", data={**data, "client_id": CLIENT_ID, "client_secret": secret},
                     timeout=10)


# --- the login ---------------------------------------------------------------------------------------


def test_first_login_creates_the_citizen_account(oidc_app: Flask, browser: FlaskClient,
                                                 http: requests.Session) -> None:
    assert _account(oidc_app, CUONG) is None
    response = _login(browser, http, CUONG, next_="/thu-tuc/khai-sinh")
    assert response.status_code == 302
    assert response.headers["Location"] == "/thu-tuc/khai-sinh"
    account = _account(oidc_app, CUONG)
    assert account is not None and account.kind == "citizen" and account.active
    assert account.display_name == "Lê Văn Cường" and account.password_hash is None
    assert CUONG not in account.username
    assert _session(browser) == {SESSION_KEY: account.id}  # the account id and nothing else
    with browser:
        browser.get("/healthz")
        citizen = current_citizen()
        assert citizen is not None and citizen.id == account.id


def test_second_login_reuses_the_account(oidc_app: Flask, browser: FlaskClient, http: requests.Session) -> None:
    assert _login(browser, http, CUONG).status_code == 302
    first = _account(oidc_app, CUONG)
    accounts_before = _count(oidc_app, Account)
    other_browser = oidc_app.test_client()
    assert _login(other_browser, http, CUONG).status_code == 302
    assert _count(oidc_app, Account) == accounts_before
    assert first is not None and _session(other_browser) == {SESSION_KEY: first.id}
    # The demo citizens log in to the demo accounts of webapp/demo.py.
    assert _login(other_browser, http, AN).status_code == 302
    with oidc_app.app_context():
        an = db.session.scalar(sa.select(Account).where(Account.username == "an"))
        assert an is not None and _session(other_browser) == {SESSION_KEY: an.id}
    assert _count(oidc_app, Account) == accounts_before
    created = [entry.detail["account_created"] for entry in _logins(oidc_app)]
    assert created == [True, False, False]


def test_wrong_state_is_refused(oidc_app: Flask, browser: FlaskClient, http: requests.Session) -> None:
    location = _pick(http, _start(browser), CUONG)
    forged = location.replace("state=", "state=x", 1)
    response = _back(browser, forged)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Phiên đăng nhập đã hết hạn" in page
    assert _retry_link(page) == ("/dang-nhap", {})  # a retry link
    assert SESSION_KEY not in _session(browser) and _account(oidc_app, CUONG) is None
    # Another browser cannot finish this browser's login either.
    stranger = oidc_app.test_client()
    assert _back(stranger, location).status_code == 400 and SESSION_KEY not in _session(stranger)
    assert _account(oidc_app, CUONG) is None and _logins(oidc_app) == []
    # The forged attempts spent nothing: the real answer still logs in.
    assert _back(browser, location).status_code == 302 and SESSION_KEY in _session(browser)


def test_cancel_at_the_provider_changes_nothing(oidc_app: Flask, browser: FlaskClient,
                                                http: requests.Session) -> None:
    accounts_before = _count(oidc_app, Account)
    location = _pick(http, _start(browser, "/thu-tuc/khai-sinh"), None)
    assert "error=access_denied" in location
    response = _back(browser, location)
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "Bạn đã hủy đăng nhập" in page
    assert _retry_link(page) == ("/dang-nhap", {"next": ["/thu-tuc/khai-sinh"]})
    assert _session(browser) == {}  # not logged in, and the pending login is gone
    assert _count(oidc_app, Account) == accounts_before and _logins(oidc_app) == []


@contextmanager
def _rewriting_id_tokens(provider: RunningProvider, rewrite: Callable[[str, ProviderState], str]) -> Iterator[None]:
    """Change the ``id_token`` on its way from the provider's token endpoint to the app."""
    original = provider.server.app

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        response = Response.from_app(original, environ, buffered=True)
        if environ.get("PATH_INFO") == "/token" and response.status_code == 200:
            body = json.loads(response.get_data())
            body["id_token"] = rewrite(body["id_token"], provider.state)
            response.set_data(json.dumps(body))
        return response(environ, start_response)

    provider.server.app = middleware
    try:
        yield
    finally:
        provider.server.app = original


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(payload))


def _swap_identity(token: str, state: ProviderState) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    claims["identity_number"] = BINH  # someone else's number, signature left as it was
    return ".".join([header, _b64(json.dumps(claims).encode()), signature])


def _flip_signature(token: str, state: ProviderState) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(_unb64(signature))
    raw[-1] ^= 0x01
    return ".".join([header, payload, _b64(bytes(raw))])


def _signed_by_another_key(token: str, state: ProviderState) -> str:
    header, claims = _parts(token)
    return jwt.encode(header, claims, RSAKey.generate_key(2048), algorithms=["RS256"])


def _for_another_client(token: str, state: ProviderState) -> str:
    header, claims = _parts(token)
    # azp naming us keeps Authlib's azp rule quiet: only the audience check can catch this one.
    return jwt.encode(header, {**claims, "aud": ["dich-vu-khac"], "azp": CLIENT_ID}, state.key, algorithms=["RS256"])


def _expired(token: str, state: ProviderState) -> str:
    header, claims = _parts(token)
    return jwt.encode(header, {**claims, "iat": claims["iat"] - 3600, "exp": claims["iat"] - 1800}, state.key,
                      algorithms=["RS256"])


def _resigned_unchanged(token: str, state: ProviderState) -> str:
    header, claims = _parts(token)
    return jwt.encode(header, claims, state.key, algorithms=["RS256"])


@pytest.mark.parametrize(("rewrite", "accepted"), [
    (_swap_identity, False),
    (_flip_signature, False),
    (_signed_by_another_key, False),
    (_for_another_client, False),
    (_expired, False),
    (_resigned_unchanged, True),  # control: the rewriting itself does not break a good token
])
def test_a_tampered_id_token_is_refused(oidc_app: Flask, browser: FlaskClient, http: requests.Session,
                                        provider: RunningProvider, rewrite: Callable[[str, ProviderState], str],
                                        accepted: bool) -> None:
    location = _pick(http, _start(browser), CUONG)
    with _rewriting_id_tokens(provider, rewrite):
        response = _back(browser, location)
    if accepted:
        assert response.status_code == 302 and SESSION_KEY in _session(browser)
        return
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Không xác thực được thông tin đăng nhập" in page
    assert _retry_link(page) == ("/dang-nhap", {})
    assert SESSION_KEY not in _session(browser)
    assert _account(oidc_app, CUONG) is None and _logins(oidc_app) == []


def test_an_expired_code_is_refused_by_the_provider(oidc_app: Flask, browser: FlaskClient, http: requests.Session,
                                                    provider: RunningProvider,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    start = time.time()
    code, verifier = _code(http, provider, CUONG)
    monkeypatch.setattr(provider.state, "clock", lambda: start + 61)
    response = _exchange(http, provider, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant" and "expired" in response.json()["error_description"]
    assert response.headers["Cache-Control"] == "no-store"
    # Under a minute is fine.
    code, verifier = _code(http, provider, CUONG)
    monkeypatch.setattr(provider.state, "clock", lambda: start + 59)
    assert _exchange(http, provider, code, verifier).status_code == 200
    # Through the app: the callback arrives too late, nothing happens.
    monkeypatch.setattr(provider.state, "clock", time.time)
    location = _pick(http, _start(browser), CUONG)
    monkeypatch.setattr(provider.state, "clock", lambda: time.time() + 61)
    response = _back(browser, location)
    assert response.status_code == 400 and SESSION_KEY not in _session(browser)
    assert _account(oidc_app, CUONG) is None


def test_a_reused_code_is_refused_by_the_provider(oidc_app: Flask, browser: FlaskClient, http: requests.Session,
                                                  provider: RunningProvider) -> None:
    code, verifier = _code(http, provider, CUONG)
    first = _exchange(http, provider, code, verifier)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    userinfo = http.get(f"{provider.issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"},
                        timeout=10)
    assert userinfo.status_code == 200 and userinfo.json()["identity_number"] == CUONG
    again = _exchange(http, provider, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # A replayed code revokes what the code gave (RFC 6749 section 4.1.2).
    userinfo = http.get(f"{provider.issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"},
                        timeout=10)
    assert userinfo.status_code == 401 and 'error="invalid_token"' in userinfo.headers["WWW-Authenticate"]
    # The code the app exchanged during a real login cannot be replayed either.
    location = _pick(http, _start(browser), CUONG)
    state = parse_qs(urlsplit(location).query)["state"][0]
    app_verifier = _session(browser)[f"_state_oidc_{state}"]["data"]["code_verifier"]
    assert _back(browser, location).status_code == 302
    replay = _exchange(http, provider, parse_qs(urlsplit(location).query)["code"][0], app_verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("target", [
    "https://evil.example/dang-nhap", "//evil.example/", "/\\evil.example", "\\\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "/\t/evil.example", "evil.example", "", None, "/dang-nhap?next=//evil.example",
])
def test_next_must_be_a_local_path(target: str | None) -> None:
    assert safe_next(target) == "/"


def test_next_keeps_local_paths() -> None:
    assert safe_next("/thu-tuc/khai-sinh?lang=en#muc-2") == "/thu-tuc/khai-sinh?lang=en#muc-2"


@pytest.mark.parametrize("target", ["https://evil.example/gia-mao", "//evil.example/"])
def test_next_cannot_send_the_user_to_another_site(browser: FlaskClient, http: requests.Session,
                                                   target: str) -> None:
    authorize_url = _start(browser, target)
    assert "evil.example" not in authorize_url
    response = _back(browser, _pick(http, authorize_url, CUONG))
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_logout_clears_the_session(oidc_app: Flask, browser: FlaskClient, http: requests.Session) -> None:
    assert _login(browser, http, CUONG).status_code == 302
    assert browser.post("/dang-xuat").status_code == 400  # no CSRF token: nothing happens
    assert SESSION_KEY in _session(browser)
    with browser.session_transaction() as session:
        session["csrf"] = "ma-chong-gia-mao"
    assert browser.post("/dang-xuat", data={"csrf_token": "sai"}).status_code == 400
    assert SESSION_KEY in _session(browser)
    response = browser.post("/dang-xuat", data={"csrf_token": "ma-chong-gia-mao"})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).netloc in ("", "localhost")
    assert _session(browser) == {}
    with browser:
        browser.get("/healthz")
        assert current_citizen() is None


def test_the_audit_log_has_the_login_but_no_identity_number(oidc_app: Flask, browser: FlaskClient,
                                                            http: requests.Session,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    location = _pick(http, _start(browser), CUONG)
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert _back(browser, location).status_code == 302
    account = _account(oidc_app, CUONG)
    assert account is not None
    [entry] = _logins(oidc_app)
    assert entry.actor_id == account.id and entry.object_type == "account" and entry.object_id == str(account.id)
    assert entry.detail == {"method": "oidc", "account_created": True}
    assert CUONG not in json.dumps(entry.detail) and CUONG not in (entry.object_id or "")
    # Nothing secret in the logs of the flow either.
    assert CUONG not in caplog.text and code not in caplog.text
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /dang-nhap/callback?code=%s&state=%s HTTP/1.1" 302 -',
                                       code, "trang-thai")
    assert code not in caplog.text and "code=***&state=***" in caplog.text


def test_a_provider_that_is_down_gives_a_retry_page(app: Flask, seeded: dict[str, str]) -> None:
    with _app_for(app, f"http://127.0.0.1:{_free_port()}") as down:
        response = down.test_client().get("/dang-nhap?next=/thu-tuc/khai-sinh")
        page = response.get_data(as_text=True)
        assert response.status_code == 503 and "Hiện không kết nối được hệ thống định danh" in page
        assert _retry_link(page) == ("/dang-nhap", {"next": ["/thu-tuc/khai-sinh"]})


def test_a_provider_that_goes_down_during_login_changes_nothing(app: Flask, seeded: dict[str, str],
                                                                http: requests.Session) -> None:
    clients = {CLIENT_ID: {"client_secret": CLIENT_SECRET, "redirect_uris": [CALLBACK]}}
    short_lived = start_in_thread("127.0.0.1", 0, None, clients, PEOPLE)
    try:
        with _app_for(app, short_lived.issuer) as flaky:
            browser = flaky.test_client()
            location = _pick(http, _start(browser), CUONG)
            short_lived.stop()
            response = _back(browser, location)
            assert response.status_code == 503 and "Đăng nhập lại" in response.get_data(as_text=True)
            assert SESSION_KEY not in _session(browser) and _account(flaky, CUONG) is None
    finally:
        if short_lived.thread.is_alive():
            short_lived.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_starts_the_local_provider_only_for_a_local_issuer(app: Flask, http: requests.Session) -> None:
    issuer = f"http://127.0.0.1:{_free_port()}"
    with _app_for(app, issuer) as local:
        running = start_local_provider(local, "127.0.0.1", 5000)
        assert running is not None
        try:
            metadata = http.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
            assert metadata["issuer"] == issuer
            assert "http://127.0.0.1:5000/dang-nhap/callback" in running.state.clients[CLIENT_ID]["redirect_uris"]
            assert start_local_provider(local, "127.0.0.1", 5000) is None  # the port is taken: say so, carry on
        finally:
            running.stop()
    with _app_for(app, "https://sso.example.gov.vn") as remote:
        assert start_local_provider(remote, "127.0.0.1", 5000) is None


# --- the provider speaks the protocol ---------------------------------------------------------------


def test_provider_discovery_and_keys(http: requests.Session, provider: RunningProvider) -> None:
    metadata = http.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == provider.issuer
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert metadata[name].startswith(provider.issuer + "/")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    keys = http.get(metadata["jwks_uri"], timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0]  # the public half only


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_provider_issues_a_signed_id_token(http: requests.Session, provider: RunningProvider, auth: str) -> None:
    code, verifier = _code(http, provider, AN)
    response = _exchange(http, provider, code, verifier, auth=auth)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    keys = KeySet.import_key_set(http.get(f"{provider.issuer}/jwks", timeout=10).json())
    token = jwt.decode(body["id_token"], keys, algorithms=["RS256"])
    claims = token.claims
    assert token.header["alg"] == "RS256" and token.header["kid"] == keys.keys[0].kid
    assert claims["iss"] == provider.issuer and claims["aud"] == CLIENT_ID and claims["nonce"] == "so-dung-mot-lan"
    assert claims["identity_number"] == AN and claims["name"] == "Nguyễn Văn An"
    assert claims["birthdate"] == "1990-03-14"
    assert claims["sub"] and AN not in claims["sub"]
    assert claims["iat"] <= time.time() + 5 < claims["exp"]


def test_provider_refuses_bad_token_requests(http: requests.Session, provider: RunningProvider) -> None:
    code, verifier = _code(http, provider, AN)
    wrong_secret = _exchange(http, provider, code, verifier, secret="khong-dung")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert wrong_secret.headers["WWW-Authenticate"].startswith("Basic")
    anonymous = http.post(f"{provider.issuer}/token", data={"grant_type": "authorization_code", "code": code},
                          timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    wrong_verifier = _exchange(http, provider, code, secrets.token_urlsafe(48))
    assert wrong_verifier.status_code == 400 and wrong_verifier.json()["error"] == "invalid_grant"
    assert _exchange(http, provider, code, verifier).json()["error"] == "invalid_grant"  # one attempt per code
    code, verifier = _code(http, provider, AN)
    moved = _exchange(http, provider, code, verifier, redirect_uri="http://localhost/khac")
    assert moved.status_code == 400 and moved.json()["error"] == "invalid_grant"
    other_grant = http.post(f"{provider.issuer}/token", data={"grant_type": "password"},
                            auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    assert other_grant.status_code == 400 and other_grant.json()["error"] == "unsupported_grant_type"
    no_token = http.get(f"{provider.issuer}/userinfo", timeout=10)
    assert no_token.status_code == 401 and no_token.headers["WWW-Authenticate"].startswith("Bearer")


def test_provider_checks_the_authorization_request(http: requests.Session, provider: RunningProvider) -> None:
    base = {"client_id": CLIENT_ID, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid profile",
            "state": "s", "code_challenge": _b64(hashlib.sha256(b"x" * 43).digest()), "code_challenge_method": "S256"}
    # An unregistered redirect_uri is never redirected to.
    stray = http.get(f"{provider.issuer}/authorize", params={**base, "redirect_uri": "https://evil.example/cb"},
                     allow_redirects=False, timeout=10)
    assert stray.status_code == 400 and "Location" not in stray.headers and "redirect_uri" in stray.text
    unknown = http.get(f"{provider.issuer}/authorize", params={**base, "client_id": "la"}, allow_redirects=False,
                       timeout=10)
    assert unknown.status_code == 400 and "Location" not in unknown.headers
    # PKCE is required, and only S256.
    without_challenge = {k: v for k, v in base.items() if k != "code_challenge"}
    for params in ({**base, "code_challenge_method": "plain"}, without_challenge):
        response = http.get(f"{provider.issuer}/authorize", params=params, allow_redirects=False, timeout=10)
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert response.status_code == 302 and query["error"] == ["invalid_request"] and query["state"] == ["s"]
    no_openid = http.get(f"{provider.issuer}/authorize", params={**base, "scope": "profile"}, allow_redirects=False,
                         timeout=10)
    assert parse_qs(urlsplit(no_openid.headers["Location"]).query)["error"] == ["invalid_scope"]
    page = http.get(f"{provider.issuer}/authorize", params=base, timeout=10)
    assert page.status_code == 200 and 'lang="vi"' in page.text
    buttons = lxml.html.fromstring(page.text).cssselect("button")
    assert [b.text_content().strip() for b in buttons][-1] == "Hủy"
    assert sum(1 for b in buttons if b.get("name") == "person") == len(PEOPLE)


# --- settings ----------------------------------------------------------------------------------------


def test_settings_default_to_the_local_provider() -> None:
    settings = oidc_settings({})
    assert settings.issuer == DEFAULT_ISSUER and settings.client_id == LOCAL_CLIENT_ID and settings.client_secret
    assert settings.scopes == "openid profile" and settings.is_local
    assert settings.metadata_url == f"{DEFAULT_ISSUER}/.well-known/openid-configuration"


def test_settings_for_a_real_gateway() -> None:
    env = {"MOTCUA_OIDC_ISSUER": "https://sso.example.gov.vn", "MOTCUA_OIDC_CLIENT_ID": "motcua-ninh-binh",
           "MOTCUA_OIDC_CLIENT_SECRET": "s3cret", "MOTCUA_OIDC_SCOPES": "openid  profile"}
    settings = oidc_settings(env)
    assert (settings.client_id, settings.client_secret, settings.scopes) == ("motcua-ninh-binh", "s3cret",
                                                                            "openid profile")
    assert not settings.is_local
    with pytest.raises(OidcConfigError, match="CLIENT_ID"):
        oidc_settings({"MOTCUA_OIDC_ISSUER": "https://sso.example.gov.vn"})
    with pytest.raises(OidcConfigError, match="https"):
        oidc_settings({**env, "MOTCUA_OIDC_ISSUER": "http://sso.example.gov.vn"})
    with pytest.raises(OidcConfigError, match="openid"):
        oidc_settings({**env, "MOTCUA_OIDC_SCOPES": "profile"})
