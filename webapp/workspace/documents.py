"""The dossier's documents for officers: see each one (images and PDFs open in the browser) and,
at the receiving desk, add the scans of paper components a citizen brought in person."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers import documents, service
from webapp.dossiers.documents import store_document
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.workspace.intake import DESK_ROLE
from webapp.workspace.routes import bp
from webapp.workspace.slips import dossier_for_officer

_REFUSALS = {
    "unknown_component": ("Chọn thành phần hồ sơ.", "Choose the dossier component."),
    "file_type_not_allowed": ("Loại tệp không được nhận cho thành phần này.", "This file type is not accepted here."),
    "empty_file": ("Tệp rỗng.", "The file is empty."),
    "file_too_large": ("Tệp vượt quá dung lượng cho phép.", "The file is larger than allowed."),
    "content_mismatch": ("Nội dung tệp không đúng loại tệp (ví dụ: đổi đuôi tệp).",
                         "The content does not match the file type (a renamed file?)."),
}


@bp.route("/ho-so/<code>/giay-to", methods=["GET", "POST"])
@officer_required
def dossier_documents(code: str) -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    dossier = dossier_for_officer(code)
    may_add = officer.has(DESK_ROLE, dossier.receiving_unit_id) and dossier.finished_at is None
    error = None
    if request.method == "POST":
        if not may_add:
            abort(403)
        upload = request.files.get("tep")
        component = request.form.get("thanh_phan", "")
        if upload is None or not upload.filename:
            error = "Choose the scanned file." if current_lang() == "en" else "Chọn tệp bản quét."
        else:
            try:
                store_document(dossier, component=component, filename=upload.filename, data=upload.read(),
                               actor_id=officer.account_id)
                db.session.commit()
                flash(f"Đã thêm {Path(upload.filename).name}.", "info")
                return redirect(url_for("workspace.dossier_documents", code=code))
            except service.DossierError as err:
                db.session.rollback()
                vi, en = _REFUSALS.get(err.code, ("Không nhận được tệp.", "The file was not accepted."))
                error = en if current_lang() == "en" else vi
    documents = db.session.scalars(sa.select(Document).where(Document.dossier_id == dossier.id)
                                   .order_by(Document.component, Document.id)).all()
    components = dossier.procedure_version.meta.get("components") or []
    return render_template("workspace/documents.html", dossier=dossier, documents=documents,
                           components=components, may_add=may_add, error=error), 422 if error else 200


@bp.get("/giay-to/<int:document_id>")
@officer_required
def view_document(document_id: int) -> ResponseReturnValue:
    """The file itself, inline (a PDF or image opens in the browser), to officers of the units involved."""
    officer = current_officer()
    assert officer is not None
    document = db.session.get(Document, document_id)
    dossier = db.session.get(Dossier, document.dossier_id) if document else None
    if document is None or dossier is None or not service.can_read(officer, dossier):
        abort(404)
    path = Path(current_app.instance_path) / document.storage_key
    if not path.is_file():
        abort(404)
    record(Event.DOCUMENT_VIEWED, actor_id=officer.account_id, dossier_id=dossier.id, object_type="document",
           object_id=document.id)
    db.session.commit()
    data = path.read_bytes()  # at most the component's size limit: read whole, no file left open
    response = send_file(io.BytesIO(data), mimetype=document.content_type, download_name=document.filename,
                         as_attachment=not documents.served_inline(document.content_type, data), max_age=0)
    # Never let an uploaded file run as a page of this site.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = documents.SANDBOX_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response
