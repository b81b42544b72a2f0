"""Units, accounts, roles and tokens: the functions the CLI, the API and the tests call."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from webapp.accounts.models import ACCOUNT_KINDS, UNIT_KINDS, Account, ApiToken, RoleAssignment, Unit
from webapp.extensions import db
from webapp.models import utcnow

TOKEN_PREFIX = "mc_"


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    """Who is calling, with every (unit, role) pair they hold."""

    account_id: int
    kind: str
    roles: frozenset[tuple[int, str]]

    @property
    def is_citizen(self) -> bool:
        return self.kind == "citizen"

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(unit for unit, _ in self.roles)

    def has(self, role: str, unit_id: int | None = None) -> bool:
        return any(r == role and (unit_id is None or u == unit_id) for u, r in self.roles)


def create_unit(code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    if kind not in UNIT_KINDS:
        raise AccountError(f"unknown unit kind {kind!r}; one of {', '.join(UNIT_KINDS)}")
    if db.session.scalar(sa.select(Unit).where(Unit.code == code)):
        raise AccountError(f"unit {code} exists")
    unit = Unit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    db.session.add(unit)
    db.session.flush()
    return unit


def create_account(username: str, display_name: str, kind: str, identity_number: str | None = None) -> Account:
    if kind not in ACCOUNT_KINDS:
        raise AccountError(f"unknown account kind {kind!r}; one of {', '.join(ACCOUNT_KINDS)}")
    if identity_number is not None and (len(identity_number) != 12 or not identity_number.isdigit()):
        raise AccountError("an identity number has 12 digits")
    if db.session.scalar(sa.select(Account).where(Account.username == username)):
        raise AccountError(f"account {username} exists")
    account = Account(username=username, display_name=display_name, kind=kind, identity_number=identity_number)
    db.session.add(account)
    db.session.flush()
    return account


def grant(account: Account, unit: Unit, role: str) -> None:
    exists = db.session.scalar(sa.select(RoleAssignment).where(
        RoleAssignment.account_id == account.id, RoleAssignment.unit_id == unit.id, RoleAssignment.role == role))
    if exists is None:
        db.session.add(RoleAssignment(account_id=account.id, unit_id=unit.id, role=role))
        db.session.flush()


def issue_token(account: Account, days: int, label: str = "") -> str:
    """Create a bearer token and return it; it is shown once and stored only as a hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(account_id=account.id, token_hash=_hash(token), label=label,
                            expires_at=utcnow() + timedelta(days=days)))
    db.session.flush()
    return token


def principal_for_token(token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.execute(
        sa.select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id)
        .where(ApiToken.token_hash == _hash(token))
    ).first()
    if row is None:
        return None
    api_token, account = row
    if api_token.revoked or api_token.expires_at <= utcnow() or not account.active:
        return None
    return principal_for(account)


def principal_for(account: Account) -> Principal:
    roles = db.session.execute(
        sa.select(RoleAssignment.unit_id, RoleAssignment.role).where(RoleAssignment.account_id == account.id)
    ).all()
    return Principal(account.id, account.kind, frozenset((u, r) for u, r in roles))


def find_account(username: str) -> Account | None:
    return db.session.scalar(sa.select(Account).where(Account.username == username))


def find_unit(code: str) -> Unit | None:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
