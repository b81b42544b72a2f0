"""Citizen login through OpenID Connect: one login at the national identity gateway, no password here.

Authorization code flow with PKCE (S256), ``state`` and ``nonce``, through Authlib's Flask
client and the issuer's discovery document. Production points ``MOTCUA_OIDC_ISSUER`` at the
VNeID gateway; the embedded default and the tests use the local provider in ``fakes/oidc/``.

The citizen's account is found, or created, by the ``identity_number`` claim of a validated
ID token. The session then holds the account id and nothing else; identity numbers and tokens
are never logged (werkzeug's access log has ``code``/``state`` masked as well).

    GET  /dang-nhap?next=/local/path   start a login
    GET  /dang-nhap/callback           the issuer sends the browser back here
    POST /dang-xuat                    log out (CSRF token required)
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from joserfc.errors import JoseError
from sqlalchemy.exc import IntegrityError

from webapp import local_fakes
from webapp.accounts import service as accounts
from webapp.accounts import sessions
from webapp.accounts.models import Account
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.secret_key import PUBLIC_VALUES
from webapp.security import csrf_token
from webapp.settings import SettingsError

DEFAULT_ISSUER = "http://127.0.0.1:5001"  # the local provider started by `motcua serve`
DEFAULT_SCOPES = "openid profile"
LOCAL_CLIENT_ID = "motcua-dev"  # same values as fakes.oidc.DEV_CLIENT_ID / DEV_CLIENT_SECRET
LOCAL_CLIENT_SECRET = "motcua-dev-not-secret"
SESSION_KEY = "citizen_id"
EXTENSION = "motcua_oidc"
CALLBACK_PATH = "/dang-nhap/callback"
CLIENT_NAME = "oidc"  # Authlib keeps pending logins in the session under "_state_oidc_<state>"
HTTP_TIMEOUT = 10  # seconds for each call to the issuer
# Algorithms accepted on ID tokens, whatever the discovery document lists ("none" never).
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_LOOPBACK_NAMES = {"localhost"}
_IDENTITY = re.compile(r"^\d{12}$")

log = logging.getLogger(__name__)
bp = Blueprint("oidc", __name__)


class OidcConfigError(SettingsError):
    pass


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str = DEFAULT_SCOPES
    redirect_uri: str | None = None  # when behind a proxy; default: built from the request

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def is_local(self) -> bool:
        """A provider on this machine (the development one), not a real gateway."""
        return _is_loopback(urlsplit(self.issuer).hostname)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def oidc_settings(env: Mapping[str, str] | None = None) -> OidcSettings:
    """Read the MOTCUA_OIDC_* variables (documented in webapp/settings.py) and check them."""
    env = os.environ if env is None else env
    issuer = (env.get("MOTCUA_OIDC_ISSUER") or DEFAULT_ISSUER).strip()
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise OidcConfigError("MOTCUA_OIDC_ISSUER must be an https URL without query or fragment")
    local = _is_loopback(parts.hostname)
    if parts.scheme == "http" and not local:
        raise OidcConfigError("MOTCUA_OIDC_ISSUER must use https (plain http only for a provider on this machine)")
    client_id = (env.get("MOTCUA_OIDC_CLIENT_ID") or "").strip() or (LOCAL_CLIENT_ID if local else "")
    if not client_id:
        raise OidcConfigError("MOTCUA_OIDC_CLIENT_ID is required with a remote MOTCUA_OIDC_ISSUER")
    secret = env.get("MOTCUA_OIDC_CLIENT_SECRET")
    if secret is None and local and client_id == LOCAL_CLIENT_ID:
        secret = LOCAL_CLIENT_SECRET
    if not local and secret and secret.strip() in PUBLIC_VALUES:
        raise OidcConfigError("MOTCUA_OIDC_CLIENT_SECRET is a public development value; a remote issuer needs "
                              "the secret it issued to this client (or none, for a public client)")
    scopes = " ".join((env.get("MOTCUA_OIDC_SCOPES") or DEFAULT_SCOPES).split())
    if "openid" not in scopes.split():
        raise OidcConfigError("MOTCUA_OIDC_SCOPES must include openid")
    redirect_uri = (env.get("MOTCUA_OIDC_REDIRECT_URI") or "").strip() or None
    return OidcSettings(issuer=issuer, client_id=client_id, client_secret=secret or None, scopes=scopes,
                        redirect_uri=redirect_uri)


@dataclass(frozen=True)
class _Oidc:
    settings: OidcSettings
    client: Any  # authlib FlaskOAuth2App


def init_oidc(app: Flask, settings: OidcSettings | None = None) -> None:
    """Register the citizen login routes. Settings: ``settings``, else MOTCUA_OIDC_* keys in
    ``app.config`` (tests), else the environment. Nothing is fetched until the first login."""
    if EXTENSION in app.extensions:
        return
    if settings is None:
        env = dict(os.environ)
        env.update({k: str(v) for k, v in app.config.items() if k.startswith("MOTCUA_OIDC_") and v is not None})
        settings = oidc_settings(env)
    oauth = OAuth(app)
    client = oauth.register(
        CLIENT_NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.metadata_url,
        client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT,
                       "token_endpoint_auth_method": "client_secret_basic" if settings.client_secret else "none"},
    )
    app.extensions[EXTENSION] = _Oidc(settings, client)
    app.register_blueprint(bp)
    app.context_processor(lambda: {"current_citizen": current_citizen})
    app.jinja_env.globals.setdefault("csrf_token", csrf_token)  # the logout form (init_csrf sets the same)
    _keep_secrets_out_of_logs()


def current_citizen() -> Account | None:
    """The logged-in citizen's account for this request, or None."""
    if "motcua_citizen" not in g:
        account_id = session.get(SESSION_KEY)
        account = db.session.get(Account, account_id) if isinstance(account_id, int) else None
        if account is not None and not sessions.still_valid(account, timed=False):
            session.clear()  # logged out elsewhere, or older than MOTCUA_SESSION_HOURS
            account = None
        g.motcua_citizen = account if account is not None and account.active and account.kind == "citizen" else None
    return g.motcua_citizen


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login; anything else (another site, a scheme, tricks) gives ``default``."""
    if not target or len(target) > 2000 or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default  # browsers drop tabs/newlines: "/\t/evil.example" would become "//evil.example"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if parts.path.startswith(("/dang-nhap", "/dang-xuat")):
        return default
    return target


# --- routes -----------------------------------------------------------------------------------------


@bp.get("/dang-nhap")
def login() -> ResponseReturnValue:
    oidc = _oidc()
    target = safe_next(request.args.get("next"))
    try:
        _prepare(oidc)
        redirect_uri = oidc.settings.redirect_uri or url_for("oidc.callback", _external=True)
        rv = oidc.client.create_authorization_url(redirect_uri)
    except (requests.RequestException, ValueError, KeyError, AuthlibBaseError, RuntimeError) as err:
        return _failure("unreachable", target, err)
    # Authlib's own authorize_redirect, plus where to go afterwards (kept per login, so two tabs work).
    oidc.client.save_authorize_data(redirect_uri=redirect_uri, next=target, state=rv["state"],
                                    code_verifier=rv["code_verifier"], nonce=rv["nonce"])
    return redirect(rv["url"])


@bp.get(CALLBACK_PATH)
def callback() -> ResponseReturnValue:
    oidc = _oidc()
    client = oidc.client
    state = request.args.get("state") or ""
    pending = client.framework.get_state_data(session, state) if state else None
    if not pending:
        return _failure("state", None)
    target = safe_next(pending.get("next"))
    if request.args.get("error"):
        client.framework.clear_state_data(session, state)
        reason = "cancelled" if request.args.get("error") == "access_denied" else "refused"
        return _failure(reason, target, code=request.args.get("error"))
    try:
        metadata = _prepare(oidc)
        token = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": oidc.settings.client_id},
            "sub": {"essential": True},
            "identity_number": {"essential": True},
        })
    except requests.RequestException as err:
        return _failure("unreachable", target, err)
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError, RuntimeError) as err:
        return _failure("invalid", target, err)
    claims = token.get("userinfo")  # Authlib sets it only after checking the ID token
    identity = claims.get("identity_number") if claims else None
    if not isinstance(identity, str) or not _IDENTITY.match(identity):
        return _failure("invalid", target, code="identity_number")
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    account, created = _find_or_create_citizen(identity, (name or "").strip()[:200] or "Công dân")
    if account is None or account.kind != "citizen" or not account.active:
        db.session.rollback()
        return _failure("not_allowed", target)
    record(Event.CITIZEN_LOGGED_IN, actor_id=account.id, object_type="account", object_id=account.id,
           method="oidc", account_created=created)
    db.session.commit()
    session.clear()  # nothing from before the login survives (pending states, old ids)
    session[SESSION_KEY] = account.id
    sessions.start(account, timed=False)
    return redirect(target)


@bp.post("/dang-xuat")
def logout() -> ResponseReturnValue:
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, str(session.get("csrf", ""))):
        return render_template("accounts/login_error.html", reason="expired_form",
                               messages=_MESSAGES["expired_form"], retry_url=None), 400
    citizen = current_citizen()
    if citizen is not None:  # the cookie, and any copy of it, stops opening anything
        sessions.end_everywhere(citizen)
        db.session.commit()
    session.clear()
    return redirect(safe_next(request.form.get("next"), url_for("catalog.index")))


# --- helpers ----------------------------------------------------------------------------------------


def _oidc() -> _Oidc:
    return current_app.extensions[EXTENSION]


def _prepare(oidc: _Oidc) -> dict[str, Any]:
    """Discovery (cached by Authlib after the first success), checked against our settings."""
    metadata = oidc.client.load_server_metadata()
    if metadata.get("issuer") != oidc.settings.issuer:
        raise ValueError("the discovery document names another issuer")
    if not str(metadata.get("authorization_endpoint", "")).startswith(("https://", "http://")):
        raise ValueError("the discovery document has no authorization endpoint")
    listed = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    metadata["id_token_signing_alg_values_supported"] = [a for a in listed if a in SIGNING_ALGORITHMS] or ["RS256"]
    if oidc.settings.client_secret:
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_post" if "client_secret_basic" not in methods and "client_secret_post" in methods \
            else "client_secret_basic"
        oidc.client.client_kwargs["token_endpoint_auth_method"] = method
    return metadata


def _find_or_create_citizen(identity: str, name: str) -> tuple[Account | None, bool]:
    query = sa.select(Account).where(Account.identity_number == identity)
    account = db.session.scalar(query)
    if account is not None:
        return account, False
    try:
        account = accounts.create_account(f"cd-{secrets.token_hex(8)}", name, "citizen", identity_number=identity)
    except IntegrityError:
        db.session.rollback()  # the same citizen's first login in another tab won the race
        return db.session.scalar(query), False
    return account, True


_MESSAGES = {
    # reason: (status, Vietnamese, English)
    "cancelled": (403, "Bạn đã hủy đăng nhập. Chưa có gì thay đổi.",
                  "You cancelled the sign-in. Nothing has changed."),
    "state": (400, "Phiên đăng nhập đã hết hạn hoặc không khớp với trình duyệt này. Vui lòng đăng nhập lại.",
              "The sign-in session expired or does not match this browser. Please sign in again."),
    "invalid": (400, "Không xác thực được thông tin đăng nhập từ hệ thống định danh. Vui lòng đăng nhập lại.",
                "The identity service's answer could not be verified. Please sign in again."),
    "refused": (400, "Hệ thống định danh đã từ chối yêu cầu đăng nhập. Vui lòng thử lại sau.",
                "The identity service refused the sign-in request. Please try again later."),
    "unreachable": (503, "Hiện không kết nối được hệ thống định danh điện tử. Vui lòng thử lại sau ít phút.",
                    "The identity service cannot be reached right now. Please try again in a few minutes."),
    "expired_form": (400, "Biểu mẫu đã hết hạn. Hãy tải lại trang rồi gửi lại.",
                     "The form expired. Reload the page and send it again."),
    "not_allowed": (403, "Tài khoản này không dùng để đăng nhập công dân. Vui lòng liên hệ bộ phận một cửa.",
                    "This account cannot sign in as a citizen. Please contact the one-stop desk."),
}


def _failure(reason: str, target: str | None, err: BaseException | None = None,
             code: str | None = None) -> ResponseReturnValue:
    """The Vietnamese error page with a retry link; the log gets the reason and an error code only."""
    code = code or (getattr(err, "error", None) if err is not None else None) or (type(err).__name__ if err else "")
    shown = code if isinstance(code, str) and re.fullmatch(r"[A-Za-z_]{1,40}", code) else "other"
    log.warning("citizen login failed: %s (%s)", reason, shown)
    status = _MESSAGES[reason][0]
    retry = url_for("oidc.login", next=target) if target and target != "/" else url_for("oidc.login")
    return render_template("accounts/login_error.html", reason=reason, messages=_MESSAGES[reason],
                           retry_url=retry), status


class _MaskOAuthParameters(logging.Filter):
    """werkzeug logs request lines; the callback's ``code`` and ``state`` must not reach the log."""

    _PARAMS = re.compile(r"([?&](?:code|state|session_state|id_token|access_token|token)=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = self._PARAMS.sub(r"\1***", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def _keep_secrets_out_of_logs() -> None:
    # Authlib logs PKCE verifiers and tokens at DEBUG level.
    logging.getLogger("authlib").setLevel(logging.INFO)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _MaskOAuthParameters) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_MaskOAuthParameters())


def start_local_provider(app: Flask, host: str, port: int) -> Any | None:
    """For ``motcua serve``: run the development provider when the issuer is on this machine.

    Returns fakes.oidc's RunningProvider, or None (remote issuer, or something already listens there).
    """
    settings = app.extensions[EXTENSION].settings if EXTENSION in app.extensions else oidc_settings()
    if not settings.is_local:
        return None
    start_in_thread = local_fakes.oidc_provider_starter()  # development tool only; production never loads it
    if start_in_thread is None:
        log.warning("the fakes package is not installed: no local OpenID Connect provider for %s", settings.issuer)
        return None
    if settings.redirect_uri:
        redirect_uris = [settings.redirect_uri]
    else:
        hosts = sorted({host, "127.0.0.1", "localhost"} - {"0.0.0.0", "::", ""})
        redirect_uris = [f"http://{f'[{h}]' if ':' in h else h}:{port}{CALLBACK_PATH}" for h in hosts]
    clients = {settings.client_id: {"client_secret": settings.client_secret, "redirect_uris": redirect_uris,
                                    "name": "Dịch vụ công trực tuyến"}}
    issuer = urlsplit(settings.issuer)
    try:
        return start_in_thread(issuer.hostname or "127.0.0.1", issuer.port or 80, settings.issuer, clients)
    except OSError:
        log.warning("the local OpenID Connect provider could not start on %s; is one running already?",
                    settings.issuer)
        return None
