from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request

from webapp.api import bp
from webapp.api.auth import principal
from webapp.api.dossiers import iso, raise_api
from webapp.api.errors import ApiError
from webapp.dossiers import service
from webapp.dossiers.documents import store_document
from webapp.dossiers.models import Dossier
from webapp.extensions import db


@bp.post("/dossiers/<code>/documents")
def upload_document(code: str) -> tuple[dict[str, Any], int]:
    caller = principal()
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or not service.can_read(caller, dossier):
        raise ApiError(404, "not_found")
    upload = request.files.get("file")
    component = request.form.get("component", "")
    if upload is None or not upload.filename:
        raise ApiError(400, "bad_request", "send the file as the multipart field 'file' with 'component'")
    try:
        document = store_document(dossier, component=component, filename=upload.filename, data=upload.read(),
                                  actor_id=caller.account_id)
    except service.DossierError as err:
        db.session.rollback()
        raise raise_api(err) from None
    db.session.commit()
    return {"id": document.id, "component": document.component, "filename": document.filename,
            "content_type": document.content_type, "size": document.size, "sha256": document.sha256,
            "uploaded_at": iso(document.uploaded_at)}, 201
