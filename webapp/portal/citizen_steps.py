"""Steps the process gives the citizen (a supplement request, form 02): the request with the
exact items beside the step's own generated form; answering resumes the dossier."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.bindings import Bindings
from webapp import formui
from webapp.accounts import service as accounts
from webapp.dossiers import service as dossiers
from webapp.dossiers.models import StepRecord, WorkItem
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.portal.routes import bp, citizen_or_login
from webapp.procedures import service as procedures

ASKED = {"items": "supplement_items", "reason": "supplement_reason"}  # what the desk's step wrote, by concept


@bp.route("/ho-so/<code>/buoc/<int:item_id>", methods=["GET", "POST"])
def citizen_step(code: str, item_id: int) -> ResponseReturnValue:
    citizen, login = citizen_or_login()
    if login:
        return login
    item = db.session.get(WorkItem, item_id)
    if item is None or item.dossier.code != code or item.assignee_id != citizen.id:
        abort(404)
    if item.state != "ready":
        return redirect(url_for("portal.dossier", code=code))
    compiled = procedures.compiled(item.dossier.procedure_version)
    element = compiled.element(item.element_id)
    form = compiled.form_for(element) if element else None  # None: a confirmation step, it sends no data
    lang = current_lang()
    data, errors = {}, []
    if request.method == "POST":
        data = formui.parse_form(form, request.form) if form is not None else {}
        action = formui.array_action(request.form) if form is not None else None
        if action:
            data = formui.apply_array_action(data, action)
        else:
            try:
                dossiers.complete(accounts.principal_for(citizen), item.id, data, lang=lang)
                db.session.commit()
                return redirect(url_for("portal.dossier", code=code))
            except dossiers.DossierError as err:
                db.session.rollback()
                if err.fields is None:
                    return redirect(url_for("portal.dossier", code=code))
                errors = err.fields
    return render_template(
        "portal/citizen_step.html", item=item, dossier=item.dossier, asked=_what_was_asked(item),
        instructions=element.instructions if element else None,
        form_html=formui.render_form(form, data or None, errors, lang=lang) if form is not None else "",
        summary=formui.error_summary(errors, lang=lang), has_errors=bool(errors)), 422 if errors else 200


def _what_was_asked(item: WorkItem) -> dict[str, str]:
    """The latest officer step before this one that wrote a request (form 02's items and reason), read
    through the package's fields: (engine/bindings.py)."""
    bindings = Bindings.for_metadata(item.dossier.procedure_version.meta)
    records = db.session.scalars(sa.select(StepRecord).where(
        StepRecord.dossier_id == item.dossier_id, StepRecord.kind == "completed").order_by(StepRecord.id.desc()))
    for record in records:
        found = {key: bindings.text(record.data, concept) for key, concept in ASKED.items()}
        if any(found.values()):
            return {key: text for key, text in found.items() if text}
    return {}
