"""Downloading the signed result: the applicant from the portal, officers of the units involved."""

from __future__ import annotations

import io
import logging
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from engine.runtime import VN_TZ
from webapp.accounts import service as accounts
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.accounts.oidc import current_citizen
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers import service as dossiers
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.pdf.template import TemplateError
from webapp.results import service as results
from webapp.results import templated

bp = Blueprint("results", __name__)
log = logging.getLogger(__name__)


def _ready_result(dossier: Dossier | None, principal: accounts.Principal | None) -> Document:
    """The result a reader may have; 404 alike for a missing dossier, someone else's, or no result yet."""
    if dossier is None or principal is None or not dossiers.can_read(principal, dossier):
        abort(404)
    if dossier.status not in results.READY:
        abort(404)
    document = results.get(dossier)
    if document is None:
        abort(404)
    return document


def _send(document: Document) -> ResponseReturnValue:
    response = send_file(io.BytesIO(results.content_of(document)), mimetype="application/pdf", as_attachment=True,
                         download_name=document.filename)
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never in a shared cache
    return response


@bp.get("/ho-so/<code>/ket-qua.pdf")
def citizen_download(code: str) -> ResponseReturnValue:
    citizen = current_citizen()
    if citizen is None:
        return redirect(url_for("oidc.login", next=request.path))
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    document = _ready_result(dossier, accounts.principal_for(citizen))
    assert dossier is not None
    record(Event.DOSSIER_RESULT_DOWNLOADED, actor_id=citizen.id, dossier_id=dossier.id, object_type="document",
           object_id=document.id)
    db.session.commit()
    return _send(document)


@bp.get("/can-bo/ho-so/<code>/ket-qua.pdf")
@officer_required
def officer_download(code: str) -> ResponseReturnValue:
    officer = current_officer()
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    document = _ready_result(dossier, officer)
    assert dossier is not None and officer is not None
    record(Event.DOSSIER_RESULT_DOWNLOADED, actor_id=officer.account_id, dossier_id=dossier.id, object_type="document",
           object_id=document.id)
    db.session.commit()
    return _send(document)


@bp.get("/can-bo/ho-so/<code>/ket-qua-du-thao.pdf")
@officer_required
def officer_preview(code: str) -> ResponseReturnValue:
    """The result documents as they will be signed, for the leader to read before approving."""
    officer = current_officer()
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or officer is None or not dossiers.can_read(officer, dossier) or not templated.declared(dossier):
        abort(404)
    try:
        pdf = templated.render_pdf(dossier, templated.preview_signing(dossier, account_id=officer.account_id,
                                                                      now=datetime.now(VN_TZ)))
    except TemplateError as err:
        log.error("result documents of %s cannot be rendered: %s", code, err)  # a file and a key, no personal data
        return render_template("pdf_error.html", form=dossier.procedure_version.procedure.slug, message=str(err)), 500
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                         download_name=f"du-thao-ket-qua-{code}.pdf")
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never in a shared cache
    return response


def init_results(app: Flask) -> None:
    app.register_blueprint(bp)
    # Pages show the download link when there is something to download.
    app.jinja_env.globals["result_document"] = lambda dossier: (
        results.get(dossier) if dossier.status in results.READY else None)
