from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow

UNIT_KINDS = ("province_department", "district", "commune", "police", "social_insurance", "other")
ACCOUNT_KINDS = ("citizen", "officer")
# Roles that are not BPMN lanes: they act on the system rather than on a dossier step.
SYSTEM_ROLES = ("designer", "admin")


class Unit(db.Model):
    """An agency (đơn vị): a provincial department, a commune People's Committee, police..."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # national unit code, e.g. G09.20
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(30))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Account(db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    # Citizens log in with the national identity; the 12-digit number links their dossiers.
    identity_number: Mapped[str | None] = mapped_column(sa.String(12), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))  # officers only; citizens use OIDC
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Bumped by logout and a new password: the sessions signed with an older one end (accounts/sessions.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="account", cascade="all, delete-orphan")


class RoleAssignment(db.Model):
    """An officer may act as ``role`` for ``unit`` (one row per pair)."""

    __tablename__ = "role_assignments"
    __table_args__ = (sa.UniqueConstraint("account_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(sa.String(40))

    account: Mapped[Account] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship()


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    account: Mapped[Account] = relationship()


class AttemptThrottle(db.Model):
    """Failed attempts per key (an account name, a client address, a lookup client), in the database
    so every gunicorn worker sees the same counts (webapp/accounts/throttle.py). The key is an HMAC:
    the table must not become a list of the names and addresses people typed."""

    __tablename__ = "attempt_throttles"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
