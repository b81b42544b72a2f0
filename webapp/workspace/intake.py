"""Intake at the desk (channel 1): an officer files for a citizen who came in person, and
hands over the receipt (form 01)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine import forms
from engine.bindings import Bindings
from webapp import formui
from webapp.accounts.models import Account, Unit
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers import service
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.pdf import slips
from webapp.procedures import service as procedures
from webapp.workspace import identity_check
from webapp.workspace.routes import bp

DESK_ROLE = "tiep_nhan"


def _desk_units() -> list[Unit]:
    officer = current_officer()
    assert officer is not None
    ids = [unit for unit, role in officer.roles if role == DESK_ROLE]
    return list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code))) if ids else []


@bp.get("/tiep-nhan-truc-tiep")
@officer_required
def intake_choose() -> ResponseReturnValue:
    if not _desk_units():
        abort(403)
    return render_template("workspace/intake_choose.html", versions=procedures.catalogue())


@bp.route("/tiep-nhan-truc-tiep/<slug>", methods=["GET", "POST"])
@officer_required
def intake(slug: str) -> ResponseReturnValue:
    units = _desk_units()
    version = procedures.published_version(slug)
    if not units:
        abort(403)
    if version is None:
        abort(404)
    form = procedures.compiled(version).start_form
    lang = current_lang()
    data: dict = {}
    errors: list = []
    applicant = {"identity_number": "", "name": ""}
    confirm = False  # the population database disagreed: the officer must confirm having checked the card
    nonce = request.form.get("nonce") or secrets.token_urlsafe(16)
    if request.method == "POST" and form is not None:
        applicant = {"identity_number": "".join(request.form.get("identity_number", "").split()),
                     "name": request.form.get("applicant_name", "").strip()}
        data = formui.parse_form(form, request.form)
        action = formui.array_action(request.form)
        if action:
            data = formui.apply_array_action(data, action)
        else:
            # Left blank: the requester the declaration names (the package's fields:, engine/bindings.py).
            bindings = Bindings.for_metadata(version.meta)
            applicant["identity_number"] = applicant["identity_number"] or "".join(
                bindings.text(data, "applicant_id_number").split())
            applicant["name"] = applicant["name"] or bindings.text(data, "applicant_name")
            errors = forms.validate(form, data, lang)
            if len(applicant["identity_number"]) != 12 or not applicant["identity_number"].isdigit():
                errors.insert(0, forms.FieldError("identity_number", "Số định danh cá nhân phải có 12 chữ số."
                                                  if lang == "vi" else "The identity number has 12 digits.",
                                                  "field_pattern"))
            confirmed = request.form.get("identity_confirmed") == "1"
            checked = None if errors else identity_check.check(applicant["identity_number"], applicant["name"] or None)
            if checked is not None and checked.needs_confirmation and not confirmed:
                errors.insert(0, forms.FieldError("identity_number", checked.message(lang), "identity_unverified"))
                confirm = True
            if not errors:
                unit = next((u for u in units if u.code == request.form.get("unit")), units[0])
                try:
                    dossier, _ = service.submit(
                        current_officer(),
                        service.Submission(procedure=slug, data=data, unit=unit.code, channel=1,
                                           applicant_identity=applicant["identity_number"],
                                           applicant_name=applicant["name"] or None),
                        idempotency_key=f"desk-{nonce}", lang=lang)
                    record(Event.DOSSIER_IDENTITY_CHECKED, actor_id=current_officer().account_id, dossier_id=dossier.id,
                           object_type="dossier", object_id=dossier.code, outcome=checked.outcome,
                           confirmed_by_officer=confirmed and checked.needs_confirmation)
                    db.session.commit()
                except service.DossierError as err:
                    db.session.rollback()
                    errors = err.fields or [forms.FieldError("", str(err), err.code)]
                else:
                    return redirect(url_for("workspace.receipt", code=dossier.code))
    return render_template(
        "workspace/intake.html", version=version, units=units, applicant=applicant, nonce=nonce, confirm=confirm,
        form_html=formui.render_form(form, data or None, [e for e in errors if e.path != "identity_number"],
                                     lang=lang) if form else None,
        summary=formui.error_summary(errors, lang=lang), id_error=next(
            (e.message for e in errors if e.path == "identity_number"), None), has_errors=bool(errors),
    ), 422 if errors else 200


def _receipt_dossier(code: str) -> Dossier:
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None or not service.can_read(current_officer(), dossier):
        abort(404)
    return dossier


@bp.get("/ho-so/<code>/phieu-tiep-nhan")
@officer_required
def receipt(code: str) -> ResponseReturnValue:
    """Form 01: receipt and appointment slip, printed or handed over."""
    dossier = _receipt_dossier(code)
    return render_template("workspace/receipt.html", dossier=dossier, meta=dossier.procedure_version.meta,
                           unit=db.session.get(Unit, dossier.receiving_unit_id),
                           applicant=db.session.get(Account, dossier.applicant_id),
                           officer=db.session.get(Account, dossier.submitted_by_id))


@bp.get("/ho-so/<code>/phieu-tiep-nhan.pdf")
@officer_required
def receipt_pdf(code: str) -> ResponseReturnValue:
    """Form 01 as PDF, with a QR code to the dossier's page on the portal."""
    dossier = _receipt_dossier(code)
    officer = current_officer()
    assert officer is not None
    return slips.download("01", slips.receipt_context(dossier), file_name=f"mau-01-{dossier.code}.pdf",
                          actor_id=officer.account_id, dossier=dossier)
