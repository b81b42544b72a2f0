"""Attachment pages: a file input per dossier component (plain multipart, works without JavaScript;
``static/attachments.js`` adds progress and retries), and the files, served only to their owner."""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from webapp import formui
from webapp.accounts.models import Account
from webapp.dossiers import documents
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.i18n import text
from webapp.portal import citizen_store, thumbnails
from webapp.portal.attachments import (
    AttachmentError,
    Component,
    at_desk,
    attach_chosen,
    attach_upload,
    components_for,
    data_store,
)
from webapp.portal.models import Draft, DraftAttachment
from webapp.portal.routes import bp, citizen_or_login, my_draft
from webapp.procedures import service as procedures


def _handle_post(draft: Draft, citizen: Account, components: list[Component]) -> None:
    """Every file sent is checked on its own: a refused one leaves the others (and what was attached) as they were."""
    removing = request.form.get("xoa")
    for component in components:
        upload = request.files.get(f"file.{component.key}")
        chosen = request.form.get(f"chon.{component.key}", "")
        try:
            if removing == component.key:
                db.session.execute(sa.delete(DraftAttachment).where(DraftAttachment.draft_id == draft.id,
                                                                    DraftAttachment.component == component.key))
                component.attachment = None
            elif upload is not None and upload.filename:
                # Read one byte past the limit at most: enough to refuse, never the whole of a huge file.
                data = upload.stream.read(int(component.max_mb * 1024 * 1024) + 1)
                component.attachment = attach_upload(draft, component, upload.filename, data)
            elif chosen.startswith(citizen_store.CHOICE_PREFIX):
                component.attachment = citizen_store.copy_into_draft(draft, citizen, component, chosen)
            elif chosen:
                component.attachment = attach_chosen(draft, citizen, component, chosen)
        except AttachmentError as err:
            component.error = str(err)
        finally:
            if upload is not None:
                upload.close()
        db.session.commit()  # what was accepted is kept, whatever the other files do


@bp.route("/thu-tuc/<slug>/giay-to", methods=["GET", "POST"])
def attachments(slug: str) -> ResponseReturnValue:
    """Attach a file per dossier component; the files stay with the draft until it is submitted."""
    version = procedures.published_version(slug)
    if version is None:
        abort(404)
    citizen, login = citizen_or_login()
    if login:
        return login
    draft = my_draft(citizen, slug)
    if draft is None:
        return redirect(url_for("portal.fill", slug=slug))
    components = components_for(version.meta, draft)
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.method == "POST":
        _handle_post(draft, citizen, components)
        errors = {c.key: c.error for c in components if c.error}
        following = url_for("portal.check", slug=slug) if request.form.get("tiep") else \
            url_for("portal.attachments", slug=slug)
        if wants_json:  # the enhancing script sends one file at a time and shows errors in place
            return jsonify({"errors": errors, "next": following}), 422 if errors else 200
        if not errors:
            return redirect(following, code=303)
    # The portal's data store is asked once per page, only when a component may come from it.
    stored = citizen_store.listing(citizen) if any(c.rule.get("reusable") for c in components) \
        else citizen_store.StoreListing()
    for component in components:
        component.choices = data_store(citizen, component)
        component.store_choices = citizen_store.choices(component, stored, {d.sha256 for d, _ in component.choices})
    errors = [{"path": f"file-{c.key}", "message": f"{text(c.rule.get('name'))}: {c.error}"}
              for c in components if c.error]
    form = procedures.compiled(version).start_form
    back = url_for("portal.fill", slug=slug, buoc=len(formui.steps(form)) if form else 1)
    return render_template("portal/attachments.html", version=version, components=components, back=back,
                           at_desk=at_desk(version.meta), errors=errors,
                           store_unreachable=citizen_store.message("unreachable") if stored.unreachable else None), \
        422 if errors else 200


def _send(storage_key: str, content_type: str, filename: str, *, thumbnail: bool) -> ResponseReturnValue:
    path = documents.blob_path(storage_key)
    if not path.exists():
        abort(404)
    if thumbnail:
        small = thumbnails.thumbnail(path, content_type)
        if small is None:
            abort(404)
        response = Response(small.read_bytes(), mimetype="image/jpeg")
    else:  # at most the component's size limit (10 MB by default): read whole, no file left open
        data = path.read_bytes()
        response = Response(data, mimetype=content_type)
        disposition = "inline" if documents.served_inline(content_type, data) else "attachment"
        response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, max-age=3600" if thumbnail else "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = documents.SANDBOX_CSP
    return response


@bp.get("/thu-tuc/<slug>/giay-to/<int:attachment_id>")
def attachment_file(slug: str, attachment_id: int) -> ResponseReturnValue:
    """A draft's file, only for the citizen whose draft it is (``?thu_nho=1``: a small JPEG preview)."""
    citizen, login = citizen_or_login()
    if login:
        return login
    draft = my_draft(citizen, slug)
    row = db.session.get(DraftAttachment, attachment_id)
    if draft is None or row is None or row.draft_id != draft.id:
        abort(404)
    return _send(row.storage_key, row.content_type, row.filename, thumbnail=bool(request.args.get("thu_nho")))


@bp.get("/ho-so/<code>/giay-to/<int:document_id>")
def dossier_document(code: str, document_id: int) -> ResponseReturnValue:
    """A document of the citizen's own dossier (what they attached, or what they may reuse)."""
    citizen, login = citizen_or_login()
    if login:
        return login
    row = db.session.get(Document, document_id)
    owner = db.session.get(Dossier, row.dossier_id) if row is not None else None
    if row is None or owner is None or owner.code != code or owner.applicant_id != citizen.id:
        abort(404)
    return _send(row.storage_key, row.content_type, row.filename, thumbnail=bool(request.args.get("thu_nho")))


def _documents_of(dossier: Dossier) -> list[Document]:
    return list(db.session.scalars(sa.select(Document).where(Document.dossier_id == dossier.id)
                                   .order_by(Document.id)))


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    # The dossier page lists its documents with one include, without its route knowing about them.
    return {"dossier_documents": _documents_of}
