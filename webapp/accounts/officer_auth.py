"""Officer sessions: username + password (Argon2id; older scrypt hashes are upgraded at sign-in),
the account id kept in the signed session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts import service as accounts
from webapp.accounts import sessions
from webapp.accounts.models import Account
from webapp.accounts.passwords import needs_rehash, scheme_of, upgrade, verify_password
from webapp.accounts.service import Principal
from webapp.accounts.throttle import Policy, fail, locked_until, succeed
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db

F = TypeVar("F")
SESSION_KEY = "officer_id"
# Brute force: 5 wrong passwords for one account name (existing or not: no enumeration), or 20 from
# one client address, lock it for 1 minute, then 2, 4, ... up to an hour (webapp/accounts/throttle.py).
ACCOUNT_ATTEMPTS = Policy("officer-login:account", max_failures=5, window=timedelta(hours=1),
                          first_lock=timedelta(minutes=1))
CLIENT_ATTEMPTS = Policy("officer-login:client", max_failures=20, window=timedelta(hours=1),
                         first_lock=timedelta(minutes=1))


@dataclass(frozen=True)
class SignIn:
    account: Account | None = None
    locked_until: datetime | None = None  # set: refused without even checking the password


def sign_in(username: str, password: str, *, client: str, now: datetime) -> SignIn:
    """``authenticate`` behind the per-account and per-client throttles; failures and locks are
    audited. The caller commits (a failure too: its count must survive the refusal)."""
    name = username.strip()
    locks = [t for t in (locked_until(ACCOUNT_ATTEMPTS, name, now=now), locked_until(CLIENT_ATTEMPTS, client, now=now))
             if t is not None]
    if locks:
        return SignIn(locked_until=max(locks))
    account = authenticate(username, password)
    if account is not None:
        succeed(ACCOUNT_ATTEMPTS, name)
        return SignIn(account=account)
    known = accounts.find_account(name)
    actor = known.id if known is not None and known.kind == "officer" else None
    # The name only when it is an officer's: a password typed into the name field stays out of the log.
    record(Event.OFFICER_LOGIN_FAILED, actor_id=actor, object_type="account" if actor else None, object_id=actor,
           client=client)
    until = None
    for policy, value in ((ACCOUNT_ATTEMPTS, name), (CLIENT_ATTEMPTS, client)):
        lock = fail(policy, value, now=now)
        if lock is not None:
            record(Event.OFFICER_LOGIN_LOCKED, actor_id=actor if policy is ACCOUNT_ATTEMPTS else None,
                   object_type="account" if actor and policy is ACCOUNT_ATTEMPTS else None,
                   object_id=actor if policy is ACCOUNT_ATTEMPTS else None,
                   scope=policy.scope.split(":")[1], client=client, until=lock.isoformat())
            until = max(until or lock, lock)
    return SignIn(locked_until=until)


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
        if account is not None and not sessions.still_valid(account, timed=True):
            session.clear()  # logged out elsewhere, a new password, too old or idle too long
            account = None
        g.officer = accounts.principal_for(account) if account is not None and account.active else None
    return g.officer


def officer_required(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_officer() is None:
            return redirect(url_for("workspace.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapper
