"""The audit log's hash chains: each entry carries the hash of the entry before it in its chain and a
hash of that plus its own content, so a row changed, deleted or inserted by hand breaks the chain.

One chain per dossier, and one for entries without a dossier (sign-ins, roles, procedures). Per
dossier rather than global: a dossier's page verifies its own chain without reading the whole log,
and writers queue only behind writers of the same dossier (which its optimistic lock serialises
anyway) instead of every audited transaction of the site behind one lock. Entries are chained as they
are inserted: on PostgreSQL under a transaction-scoped advisory lock per chain, so concurrent
transactions never both extend the same tail; SQLite has one writer at a time. The last entry of a
chain can still be deleted unseen (every hash chain without an outside anchor has that limit); the
database triggers (migration 0018) refuse UPDATE and DELETE on audit_log besides.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.models import utcnow

GENESIS = "0" * 64
_TAILS = "motcua_audit_tails"  # session.info: the chains' tails this transaction already extended
_LOCK_BASE = 0x6D6F7463  # advisory lock keys: this + the dossier id (0 for the chain without dossier)


def entry_hash(prev: str, entry: AuditEntry) -> str:
    at = entry.at.astimezone(UTC)
    content = {"prev": prev, "at": at.isoformat(timespec="microseconds"), "actor": entry.actor_id,
               "action": str(entry.action), "dossier": entry.dossier_id, "object_type": entry.object_type,
               "object_id": entry.object_id, "detail": entry.detail or {}}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same_chain(dossier_id: int | None) -> sa.ColumnElement[bool]:
    column = AuditEntry.__table__.c.dossier_id
    return column.is_(None) if dossier_id is None else column == dossier_id


@event.listens_for(AuditEntry, "before_insert")
def _link(mapper: Any, connection: sa.Connection, target: AuditEntry) -> None:
    if target.at is None:
        target.at = utcnow()
    session = sa.orm.object_session(target)
    tails: dict[int | None, str] = session.info.setdefault(_TAILS, {}) if session is not None else {}
    chain = target.dossier_id
    prev = tails.get(chain)
    if prev is None:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_BASE + (chain or 0)})
        table = AuditEntry.__table__
        prev = connection.execute(sa.select(table.c.hash).where(_same_chain(chain), table.c.hash.is_not(None))
                                  .order_by(table.c.id.desc()).limit(1)).scalar() or GENESIS
    target.prev_hash = prev
    target.hash = entry_hash(prev, target)
    tails[chain] = target.hash


@event.listens_for(Session, "after_transaction_end")
def _forget_tails(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_TAILS, None)


@dataclass(frozen=True)
class Break:
    entry_id: int
    dossier_id: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    entries: int
    unsealed: int  # entries from before the chain existed (migration 0018), at the start of their chain
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify(*, dossier_id: int | None = None, every_chain: bool = True) -> Verification:
    """Walk the chains (every one, or ``dossier_id``'s alone with ``every_chain=False``) in id order."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    if not every_chain:
        query = query.where(_same_chain(dossier_id))
    tails: dict[int | None, str | None] = {}
    count = unsealed = 0
    for entry in db.session.scalars(query):
        count += 1
        chain = entry.dossier_id
        if entry.hash is None:
            if tails.get(chain) is None:
                unsealed += 1
                continue
            return Verification(count, unsealed, Break(entry.id, chain, "no hash after sealed entries"))
        expected = tails.get(chain) or GENESIS
        if entry.prev_hash != expected:
            return Verification(count, unsealed, Break(entry.id, chain, "does not follow the entry before it "
                                                                       "(an entry was deleted or inserted)"))
        if entry_hash(entry.prev_hash, entry) != entry.hash:
            return Verification(count, unsealed, Break(entry.id, chain, "its content was changed"))
        tails[chain] = entry.hash
    return Verification(count, unsealed, None)
