from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models import UtcDateTime, utcnow


class Draft(db.Model):
    """A citizen's unfinished declaration, saved on every step so it can be resumed anywhere."""

    __tablename__ = "drafts"
    __table_args__ = (sa.UniqueConstraint("account_id", "procedure_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    procedure_slug: Mapped[str] = mapped_column(sa.String(80))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # "tre_em.ngay_sinh" -> "dan_cu" | "ho_so_truoc": what once-only filled in, to say so.
    prefilled: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class DraftAttachment(db.Model):
    """A file attached to a draft, per dossier component; it becomes a dossier document on submission.

    The bytes live in the same content-addressed storage as dossier documents (``storage_key``);
    ``source_document_id`` is set when the citizen chose a document from an earlier dossier, and
    ``reused`` when the file came from there or from the citizen's data store, not from an upload."""

    __tablename__ = "draft_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    source_document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"))
    reused: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
