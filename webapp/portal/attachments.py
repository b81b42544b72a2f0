"""Attachments on the portal: the procedure's dossier components (thành phần hồ sơ), a file per
component stored against the citizen's draft, checked by content, and carried to the dossier on
submission. A component marked ``reusable`` can instead be chosen from the citizen's documents:
those of their earlier dossiers (here) and those of the data store on the portal (``citizen_store``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import url_for

from webapp.accounts.models import Account
from webapp.dossiers import documents
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.i18n import current_lang, text
from webapp.portal.models import Draft, DraftAttachment
from webapp.procedures.models import ProcedureVersion

if TYPE_CHECKING:  # (citizen_store imports this module)
    from webapp.portal.citizen_store import StoredDocument

_TYPE_NAMES = {"pdf": "PDF", "jpg": "JPG", "png": "PNG"}
_MESSAGES = {
    "empty": ("Tệp rỗng, hãy chọn lại tệp.", "The file is empty; choose it again."),
    "too_large": ("Tệp lớn hơn {limit} MB, hãy chọn tệp nhỏ hơn.",
                  "The file is larger than {limit} MB; choose a smaller one."),
    "wrong_type": ("Tệp phải là {types}; nội dung tệp này không phải.",
                   "The file must be {types}; this file's content is not."),
    "not_yours": ("Không tìm thấy giấy tờ đã chọn trong kho dữ liệu của bạn.",
                  "The chosen document is not in your data store."),
    "missing": ("Chưa đính kèm: {name}.", "Not attached yet: {name}."),
}


def _message(code: str, **values: Any) -> str:
    vi, en = _MESSAGES[code]
    return (en if current_lang() == "en" else vi).format(**values)


@dataclass
class Component:
    """A component the citizen attaches online, with what is attached and any error, for the page."""

    key: str
    rule: dict[str, Any]
    attachment: DraftAttachment | None = None
    error: str | None = None
    choices: list[tuple[Document, str]] = field(default_factory=list)  # (document, its dossier's code)
    store_choices: list[StoredDocument] = field(default_factory=list)  # what the portal's data store holds
    answers: dict[str, Any] = field(default_factory=dict)  # the declaration so far, for ``required_when``

    @property
    def types(self) -> list[str]:
        kinds = [("jpg" if t == "jpeg" else t) for t in self.rule.get("file_types", [])]
        return [t for t in dict.fromkeys(kinds) if t in _TYPE_NAMES]

    @property
    def type_names(self) -> str:
        return ", ".join(_TYPE_NAMES[t] for t in self.types)

    @property
    def accept(self) -> str:
        """The file picker's hint; the server still checks the content."""
        return ",".join(documents.content_type_of(t) for t in self.types)

    @property
    def max_mb(self) -> float:
        return float(self.rule.get("max_size_mb", 10))

    @property
    def required(self) -> bool:
        return bool(self.rule.get("required")) or required_by_answers(self.rule, self.answers)


def required_by_answers(rule: dict[str, Any], answers: dict[str, Any]) -> bool:
    """``required_when``: every listed field of the declaration holds one of the listed answers."""
    conditions = rule.get("required_when") or {}
    return bool(conditions) and all(_answer(answers, path) in allowed for path, allowed in conditions.items())


def _answer(answers: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        answers = answers.get(part) if isinstance(answers, dict) else None
    return answers


def uploadable(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Components sent as files: not the declaration filled in online, and with accepted file types."""
    return [c for c in meta.get("components", []) if c.get("kind") != "electronic"
            and any(("jpg" if t == "jpeg" else t) in _TYPE_NAMES for t in c.get("file_types", []))]


def at_desk(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Components only shown on paper at the desk (no file types declared)."""
    return [c for c in meta.get("components", []) if c.get("kind") != "electronic" and not c.get("file_types")]


def attached(draft: Draft) -> dict[str, DraftAttachment]:
    rows = db.session.scalars(sa.select(DraftAttachment).where(DraftAttachment.draft_id == draft.id)
                              .order_by(DraftAttachment.id))
    return {row.component: row for row in rows}


def components_for(meta: dict[str, Any], draft: Draft) -> list[Component]:
    have = attached(draft)
    return [Component(key=c["key"], rule=c, attachment=have.get(c["key"]), answers=draft.data or {})
            for c in uploadable(meta)]


def missing_required(meta: dict[str, Any], draft: Draft) -> list[Component]:
    return [c for c in components_for(meta, draft) if c.required and c.attachment is None]


def missing_errors(slug: str, missing: list[Component]) -> list[dict[str, str]]:
    """For the check page: each missing component links to its file input on the attachments page."""
    page = url_for("portal.attachments", slug=slug)
    return [{"href": f"{page}#file-{c.key}", "message": _message("missing", name=text(c.rule.get("name")))}
            for c in missing]


class AttachmentError(Exception):
    pass


def check_file(component: Component, data: bytes) -> str:
    """The file's type, sniffed from its first bytes (never its name); AttachmentError when refused."""
    if not data:
        raise AttachmentError(_message("empty"))
    if len(data) > component.max_mb * 1024 * 1024:
        raise AttachmentError(_message("too_large", limit=f"{component.max_mb:g}"))
    kind = documents.sniff(data)
    if kind not in component.types:
        raise AttachmentError(_message("wrong_type", types=component.type_names))
    return kind


def _replace(draft: Draft, component: str, row: DraftAttachment) -> None:
    db.session.execute(sa.delete(DraftAttachment).where(DraftAttachment.draft_id == draft.id,
                                                        DraftAttachment.component == component))
    db.session.add(row)


def attach_upload(draft: Draft, component: Component, filename: str, data: bytes) -> DraftAttachment:
    kind = check_file(component, data)
    digest, key = documents.put_blob(data)
    row = DraftAttachment(draft_id=draft.id, component=component.key, filename=Path(filename).name[:255] or kind,
                          content_type=documents.content_type_of(kind), size=len(data), sha256=digest, storage_key=key)
    _replace(draft, component.key, row)
    return row


def data_store(citizen: Account, component: Component) -> list[tuple[Document, str]]:
    """Documents of the citizen's earlier dossiers this component accepts, newest first, each content once."""
    if not component.rule.get("reusable"):
        return []
    types = [documents.content_type_of(t) for t in component.types]
    rows = db.session.execute(
        sa.select(Document, Dossier.code).join(Dossier, Dossier.id == Document.dossier_id)
        .where(Dossier.applicant_id == citizen.id, Document.content_type.in_(types),
               Document.size <= component.max_mb * 1024 * 1024)
        .order_by((Document.component == component.key).desc(), Document.uploaded_at.desc()).limit(50))
    seen: dict[str, tuple[Document, str]] = {}
    for document, code in rows:
        seen.setdefault(document.sha256, (document, code))
    return list(seen.values())[:10]


def attach_chosen(draft: Draft, citizen: Account, component: Component, document_id: str) -> DraftAttachment:
    chosen = next((d for d, _ in data_store(citizen, component) if str(d.id) == document_id), None)
    if chosen is None:
        raise AttachmentError(_message("not_yours"))
    row = DraftAttachment(draft_id=draft.id, component=component.key, filename=chosen.filename,
                          content_type=chosen.content_type, size=chosen.size, sha256=chosen.sha256,
                          storage_key=chosen.storage_key, source_document_id=chosen.id, reused=True)
    _replace(draft, component.key, row)
    return row


def after_form(version: ProcedureVersion) -> str:
    """Where the last step of the declaration leads: the attachments page when there is a file to attach."""
    slug = version.procedure.slug
    return url_for("portal.attachments" if uploadable(version.meta) else "portal.check", slug=slug)


def discard(draft: Draft) -> None:
    db.session.execute(sa.delete(DraftAttachment).where(DraftAttachment.draft_id == draft.id))


def carry_to_dossier(draft: Draft, dossier: Dossier, *, actor_id: int) -> bool:
    """On submission: each draft attachment becomes a dossier document (the bytes are not copied).
    Returns whether one of them was used again (an earlier dossier's, or from the data store)."""
    rows = attached(draft).values()
    for row in rows:
        documents.attach_stored(dossier, component=row.component, filename=row.filename,
                                content_type=row.content_type, size=row.size, sha256=row.sha256,
                                storage_key=row.storage_key, actor_id=actor_id)
    return any(row.reused for row in rows)
