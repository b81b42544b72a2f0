"""Officer sessions: username + password (Argon2id; older scrypt hashes are upgraded at sign-in),
the account id kept in the signed session."""

from __future__ import annotations

from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts import service as accounts
from webapp.accounts.models import Account
from webapp.accounts.passwords import needs_rehash, scheme_of, upgrade, verify_password
from webapp.accounts.service import Principal
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db

F = TypeVar("F")
SESSION_KEY = "officer_id"


def authenticate(username: str, password: str) -> Account | None:
    account = accounts.find_account(username.strip())
    stored = account.password_hash if account is not None and account.kind == "officer" and account.active else None
    if not verify_password(password, stored) or account is None or stored is None:  # unknown: same work
        return None
    if needs_rehash(stored):  # an older scheme: replace it now that the password is known (the caller commits)
        account.password_hash = upgrade(password)
        record(Event.OFFICER_PASSWORD_REHASHED, actor_id=account.id, object_type="account", object_id=account.id,
               previous=scheme_of(stored), scheme=scheme_of(account.password_hash))
    return account


def current_officer() -> Principal | None:
    if "officer" not in g:
        account_id = session.get(SESSION_KEY)
        account = db.session.get(Account, account_id) if account_id else None
        g.officer = accounts.principal_for(account) if account is not None and account.active else None
    return g.officer


def officer_required(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_officer() is None:
            return redirect(url_for("workspace.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapper
