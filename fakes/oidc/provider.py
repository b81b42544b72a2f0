"""The provider: discovery, authorization (a page to pick a demo citizen), token, JWKS and userinfo.

Authorization code flow only, PKCE (S256) required, ``state`` and ``nonce`` passed through.
Everything lives in memory and the signing key is new at every start, like a real gateway
rotating keys: clients must follow ``kid`` through ``/jwks``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, jsonify, redirect, render_template, request
from joserfc import jwt
from joserfc.jwk import RSAKey

CODE_TTL = 60  # seconds an authorization code may wait before it is exchanged
ACCESS_TOKEN_TTL = 300
ID_TOKEN_TTL = 300
SCOPES = ("openid", "profile")
PROFILE_CLAIMS = ("name", "birthdate")
_UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 code_verifier / S256 challenge alphabet
_AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
                     "code_challenge", "code_challenge_method")
_TOKEN_PARAMS = ("grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret")


def demo_people() -> list[dict[str, Any]]:
    """The citizens of the population-registry fake, so the demo accounts ``an`` and ``binh`` match."""
    from fakes.population import DEMO_PEOPLE

    return [{"identity_number": number, "name": person["ho_ten"], "birthdate": person["ngay_sinh"]}
            for number, person in DEMO_PEOPLE.items()]


def subject_for(identity_number: str) -> str:
    """A stable, opaque ``sub``: the identity number itself never travels as the subject."""
    return hashlib.sha256(f"fakes.oidc:{identity_number}".encode()).hexdigest()[:32]


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    sub: str
    scope: list[str]
    nonce: str | None
    code_challenge: str
    expires_at: float
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class _AccessToken:
    sub: str
    client_id: str
    scope: list[str]
    expires_at: float
    revoked: bool = False


class OAuthProblem(Exception):
    """An error answered as JSON ``{"error": ..., "error_description": ...}`` (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400, headers: Mapping[str, str] | None = None):
        super().__init__(error)
        self.error, self.description, self.status = error, description, status
        self.headers = dict(headers or {})


class ProviderState:
    """Clients, people, the signing key and the codes and tokens issued so far.

    ``clock`` is a plain attribute so a test can move time forward (expired codes).
    """

    def __init__(self, issuer: str, clients: Mapping[str, Mapping[str, Any]], people: Iterable[Mapping[str, Any]],
                 clock: Callable[[], float] = time.time):
        self.issuer = issuer
        self.clients = {client_id: _client(client_id, config) for client_id, config in clients.items()}
        self.people: dict[str, dict[str, Any]] = {}
        for person in people:
            number = str(person["identity_number"])
            if len(number) != 12 or not number.isdigit():
                raise ValueError("an identity number has 12 digits")
            sub = str(person.get("sub") or subject_for(number))
            self.people[sub] = {**person, "identity_number": number, "sub": sub}
        self.clock = clock
        self.key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
        self.lock = threading.Lock()
        self.codes: dict[str, _Grant] = {}
        self.tokens: dict[str, _AccessToken] = {}

    def url(self, path: str) -> str:
        return self.issuer.rstrip("/") + path

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("/authorize"),
            "token_endpoint": self.url("/token"),
            "userinfo_endpoint": self.url("/userinfo"),
            "jwks_uri": self.url("/jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                                 *PROFILE_CLAIMS, "identity_number"],
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": ["vi"],
        }

    def claims(self, person: Mapping[str, Any], scope: list[str]) -> dict[str, Any]:
        claims = {"sub": person["sub"], "identity_number": person["identity_number"]}
        if "profile" in scope:
            claims.update({name: person[name] for name in PROFILE_CLAIMS if person.get(name)})
        return claims

    def id_token(self, grant: _Grant, client_id: str, access_token: str, now: float) -> str:
        person = self.people[grant.sub]
        digest = hashlib.sha256(access_token.encode("ascii")).digest()
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": client_id, "iat": int(now), "exp": int(now) + ID_TOKEN_TTL,
            "auth_time": int(now), "at_hash": _b64(digest[: len(digest) // 2]),
            **self.claims(person, grant.scope),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key, algorithms=["RS256"])

    def forget_expired(self, now: float) -> None:
        for code in [c for c, g in self.codes.items() if g.expires_at + CODE_TTL < now]:
            del self.codes[code]
        for token in [t for t, a in self.tokens.items() if a.expires_at < now]:
            del self.tokens[token]


def _client(client_id: str, config: Mapping[str, Any]) -> dict[str, Any]:
    uris = list(config.get("redirect_uris") or [])
    if not uris:
        raise ValueError(f"client {client_id} needs at least one redirect_uri")
    return {"client_secret": config.get("client_secret") or None, "redirect_uris": uris,
            "name": config.get("name") or client_id}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def _with_params(uri: str, params: Mapping[str, str | None]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def create_provider_app(issuer: str, clients: dict[str, dict], people: list[dict], *,
                        clock: Callable[[], float] = time.time) -> Flask:
    """The provider as a Flask app.

    ``clients``: ``{client_id: {"client_secret": str | None, "redirect_uris": [...], "name": str}}``;
    no secret means a public client (PKCE only). ``people``: ``[{"identity_number", "name", "birthdate"}]``.
    """
    app = Flask(__name__)
    # Never share the relying party's cookie on the same host (cookies ignore ports); no session is used anyway.
    app.config.update(SESSION_COOKIE_NAME="devoidc_session")
    state = ProviderState(issuer, clients, people, clock)
    app.extensions["devoidc"] = state

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.errorhandler(OAuthProblem)
    def _problem(problem: OAuthProblem) -> Response:
        response = jsonify(error=problem.error, error_description=problem.description)
        response.status_code = problem.status
        response.headers.update(problem.headers)
        return _no_store(response)

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify(state.metadata())

    @app.get("/jwks")
    def jwks() -> Response:
        return jsonify(keys=[state.key.as_dict(private=False)])

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        params = request.args if request.method == "GET" else request.form
        checked = _check_authorization_request(state, params)
        if not isinstance(checked, tuple):
            return checked
        client, redirect_uri, scope = checked
        reply_state = params.get("state")
        if request.method == "POST" and params.get("action") == "cancel":
            return redirect(_with_params(redirect_uri, {"error": "access_denied",
                                                        "error_description": "the user cancelled",
                                                        "state": reply_state, "iss": state.issuer}))
        if request.method == "POST":
            person = state.people.get(params.get("person", ""))
            if person is not None:
                code = secrets.token_urlsafe(32)
                with state.lock:
                    now = state.clock()
                    state.forget_expired(now)
                    state.codes[code] = _Grant(
                        client_id=params["client_id"], redirect_uri=redirect_uri, sub=person["sub"], scope=scope,
                        nonce=params.get("nonce") or None, code_challenge=params["code_challenge"],
                        expires_at=now + CODE_TTL)
                return redirect(_with_params(redirect_uri, {"code": code, "state": reply_state,
                                                            "iss": state.issuer}))
        hidden = {name: params[name] for name in _AUTHORIZE_PARAMS if params.get(name)}
        page = render_template("authorize.html", client_name=client["name"], hidden=hidden,
                               people=[_for_page(p) for p in state.people.values()],
                               unknown_person=request.method == "POST")
        return _no_store(Response(page, status=400 if request.method == "POST" else 200))

    @app.post("/token")
    def token() -> Response:
        client_id = _authenticate_client(state)
        for name in _TOKEN_PARAMS:
            if len(request.form.getlist(name)) > 1:
                raise OAuthProblem("invalid_request", f"{name} is repeated")
        grant_type = request.form.get("grant_type")
        if not grant_type:
            raise OAuthProblem("invalid_request", "grant_type is missing")
        if grant_type != "authorization_code":
            raise OAuthProblem("unsupported_grant_type", "only authorization_code is supported")
        code, redirect_uri = request.form.get("code"), request.form.get("redirect_uri")
        verifier = request.form.get("code_verifier")
        if not code or not redirect_uri or not verifier:
            raise OAuthProblem("invalid_request", "code, redirect_uri and code_verifier are required")
        with state.lock:
            now = state.clock()
            grant = state.codes.get(code)
            if grant is None:
                raise OAuthProblem("invalid_grant", "unknown authorization code")
            if grant.used:
                # RFC 6749 section 4.1.2: a replayed code revokes what it already gave.
                for issued in grant.access_tokens:
                    if issued in state.tokens:
                        state.tokens[issued].revoked = True
                raise OAuthProblem("invalid_grant", "the authorization code was already used")
            grant.used = True  # one attempt per code, whatever happens next
            if now > grant.expires_at:
                raise OAuthProblem("invalid_grant", "the authorization code expired")
            if grant.client_id != client_id:
                raise OAuthProblem("invalid_grant", "the code was issued to another client")
            if redirect_uri != grant.redirect_uri:
                raise OAuthProblem("invalid_grant", "redirect_uri does not match the authorization request")
            if not _UNRESERVED.match(verifier) or not hmac.compare_digest(s256(verifier), grant.code_challenge):
                raise OAuthProblem("invalid_grant", "code_verifier does not match the code_challenge")
            access_token = secrets.token_urlsafe(32)
            state.tokens[access_token] = _AccessToken(sub=grant.sub, client_id=client_id, scope=grant.scope,
                                                      expires_at=now + ACCESS_TOKEN_TTL)
            grant.access_tokens.append(access_token)
            id_token = state.id_token(grant, client_id, access_token, now)
        return _no_store(jsonify(access_token=access_token, token_type="Bearer", expires_in=ACCESS_TOKEN_TTL,
                                 scope=" ".join(grant.scope), id_token=id_token))

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> Response:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise OAuthProblem("invalid_request", "a Bearer access token is required", 401,
                               {"WWW-Authenticate": 'Bearer realm="devoidc"'})
        with state.lock:
            issued = state.tokens.get(value.strip())
            valid = issued is not None and not issued.revoked and issued.expires_at >= state.clock()
        if not valid or issued is None:
            raise OAuthProblem("invalid_token", "the access token is unknown, expired or revoked", 401,
                               {"WWW-Authenticate": 'Bearer realm="devoidc", error="invalid_token"'})
        return _no_store(jsonify(state.claims(state.people[issued.sub], issued.scope)))

    return app


def _check_authorization_request(state: ProviderState, params: Mapping[str, Any]) -> Any:
    """``(client, redirect_uri, scopes)``, or the response to send instead.

    Until client and redirect_uri are known good, errors are shown here and never redirected
    (RFC 6749 section 4.1.2.1): an open redirector is how codes get stolen.
    """
    getlist = getattr(params, "getlist", None)
    repeated = [n for n in _AUTHORIZE_PARAMS if getlist is not None and len(getlist(n)) > 1]
    client = state.clients.get(params.get("client_id", ""))
    if client is None:
        return _error_page("Ứng dụng yêu cầu đăng nhập chưa được đăng ký (client_id không hợp lệ).")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client["redirect_uris"] or "redirect_uri" in repeated:
        return _error_page("Địa chỉ quay lại (redirect_uri) không khớp với địa chỉ đã đăng ký.")

    def back(error: str, description: str) -> Response:
        return redirect(_with_params(redirect_uri, {"error": error, "error_description": description,
                                                    "state": params.get("state"), "iss": state.issuer}))

    if repeated:
        return back("invalid_request", f"{repeated[0]} is repeated")
    if params.get("response_type") != "code":
        return back("unsupported_response_type", "only response_type=code is supported")
    scope = (params.get("scope") or "").split()
    if "openid" not in scope:
        return back("invalid_scope", "the openid scope is required")
    if any(s not in SCOPES for s in scope):
        return back("invalid_scope", f"supported scopes: {' '.join(SCOPES)}")
    if params.get("code_challenge_method") != "S256" or not _UNRESERVED.match(params.get("code_challenge") or ""):
        return back("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
    return client, redirect_uri, scope


def _authenticate_client(state: ProviderState) -> str:
    """client_secret_basic, client_secret_post, or a public client (``client_id`` only, PKCE)."""
    basic = request.authorization if request.headers.get("Authorization", "").lower().startswith("basic ") else None
    form_id, form_secret = request.form.get("client_id"), request.form.get("client_secret")
    challenge = {"WWW-Authenticate": 'Basic realm="devoidc"'}
    if basic is not None and form_secret is not None:
        raise OAuthProblem("invalid_request", "use one client authentication method, not two")
    if basic is not None:
        client_id, secret = basic.username or "", basic.password or ""
    elif form_id:
        client_id, secret = form_id, form_secret
    else:
        raise OAuthProblem("invalid_client", "client authentication is required", 401, challenge)
    client = state.clients.get(client_id) or state.clients.get(unquote_plus(client_id))
    if client is None:
        raise OAuthProblem("invalid_client", "unknown client", 401, challenge)
    expected = client["client_secret"]
    if expected is None:
        if secret:
            raise OAuthProblem("invalid_client", "this client has no secret", 401, challenge)
    elif secret is None or not any(hmac.compare_digest(candidate.encode(), expected.encode())
                                   for candidate in (secret, unquote_plus(secret))):
        raise OAuthProblem("invalid_client", "client authentication failed", 401, challenge)
    return next(c for c in (client_id, unquote_plus(client_id)) if c in state.clients)


def _error_page(message: str) -> Response:
    return _no_store(Response(render_template("error.html", message=message), status=400))


def _for_page(person: Mapping[str, Any]) -> dict[str, Any]:
    birthdate = str(person.get("birthdate") or "")
    shown = "/".join(reversed(birthdate.split("-"))) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", birthdate) else birthdate
    return {**person, "birthdate_shown": shown}
