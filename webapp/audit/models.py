from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class AuditEntry(db.Model):
    """One action. ``detail`` holds ids, codes and element names only, never form data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60))
    dossier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The hash chain (webapp/audit/chain.py): the previous entry's hash in this entry's chain, and
    # the hash of that and this entry's content. Empty on entries from before the chain existed.
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries are never changed or deleted")
