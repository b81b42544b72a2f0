from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class Procedure(db.Model):
    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    published_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedure_versions.id", use_alter=True, name="fk_procedures_published_version"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    published_version: Mapped[ProcedureVersion | None] = relationship(foreign_keys=[published_version_id])


class ProcedureVersion(db.Model):
    """One immutable version: the package files exactly as validated, keyed by their hash.

    The files are the spec, stored once per version; each process compiles them once
    (engine.compiler.ProcedureCache) and every dossier on the version shares the result.
    """

    __tablename__ = "procedure_versions"
    __table_args__ = (sa.UniqueConstraint("procedure_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("procedures.id"), index=True)
    number: Mapped[int] = mapped_column()  # 1, 2, 3... per procedure, for people
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    # path -> UTF-8 text. Deferred: read only to compile a version a process has not seen yet.
    files: Mapped[dict[str, str]] = mapped_column(sa.JSON, deferred=True)
    meta: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))

    procedure: Mapped[Procedure] = relationship(foreign_keys=[procedure_id])


class VersionIsImmutable(RuntimeError):
    pass


_FROZEN = ("files", "content_hash", "meta", "number", "procedure_id")


@sa.event.listens_for(ProcedureVersion, "before_update")
def _refuse_content_changes(mapper: Any, connection: Any, target: ProcedureVersion) -> None:
    """A version is what dossiers were started on: its content never changes, only its flags."""
    state = sa.inspect(target)
    changed = [name for name in _FROZEN if state.attrs[name].history.has_changes()]
    if changed:
        raise VersionIsImmutable(f"procedure versions are immutable; tried to change {', '.join(changed)}")
