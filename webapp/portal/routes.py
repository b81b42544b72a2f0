from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine import forms
from engine import prefill as engine_prefill
from engine.statuses import DossierStatus
from webapp import formui
from webapp.accounts import service as accounts
from webapp.accounts.oidc import current_citizen
from webapp.dossiers import reasons, withdrawal
from webapp.dossiers import service as dossiers
from webapp.dossiers import view as dossier_view
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.feedback import service as feedback
from webapp.i18n import current_lang
from webapp.payments import service as payments
from webapp.pdf import slips as pdf_slips
from webapp.portal import attachments, prefill
from webapp.portal.models import Draft
from webapp.procedures import service as procedures
from webapp.tracking import service as tracking
from webapp.tracking import words as tracking_words

bp = Blueprint("portal", __name__)


def citizen_or_login() -> Any:
    """(citizen, None) when signed in, else (None, a redirect to the identity provider and back)."""
    citizen = current_citizen()
    if citizen is None:
        return None, redirect(url_for("oidc.login", next=request.full_path.rstrip("?")))
    return citizen, None


def my_draft(citizen: Any, slug: str) -> Draft | None:
    """The citizen's unfinished declaration for the procedure, if there is one (one per procedure)."""
    return db.session.scalar(sa.select(Draft).where(Draft.account_id == citizen.id, Draft.procedure_slug == slug))


def _draft(citizen: Any, slug: str, form: Any) -> tuple[Draft, bool]:
    """The citizen's draft; a new one starts with what once-only knows. Returns (draft, registry down?)."""
    draft = my_draft(citizen, slug)
    if draft is not None:
        return draft, False
    known = prefill.for_citizen(citizen, form)
    draft = Draft(account_id=citizen.id, procedure_slug=slug, data=known.data, prefilled=known.sources)
    db.session.add(draft)
    return draft, known.registry_unavailable


def prefilled_fields(form: Any, draft: Draft, fields: list[str] | None, lang: str) -> list[tuple[str, str]]:
    """(field title, source name) of the prefilled fields shown on this page, in form order."""
    english = lang == "en"
    shown = []
    for path, source in (draft.prefilled or {}).items():
        if fields is not None and path.split(".")[0] not in fields:
            continue
        name = engine_prefill.SOURCE_NAMES[source][1 if english else 0]
        shown.append((formui.title_at(form, path, lang), name))
    return shown


def _step_number(raw: str | None, count: int) -> int:
    """``?buoc=N`` (from 1) as an index; anything unknown is the first step."""
    if raw and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= count:
        return int(raw) - 1
    return 0


@bp.route("/thu-tuc/<slug>/nop", methods=["GET", "POST"])
def fill(slug: str) -> ResponseReturnValue:
    """The declaration, one ``ui:steps`` step per page (``?buoc=N``); every POST saves the draft first."""
    version = procedures.published_version(slug)
    if version is None:
        abort(404)
    citizen, login = citizen_or_login()
    if login:
        return login
    form = procedures.compiled(version).start_form
    if form is None:
        abort(404)
    lang = current_lang()
    all_steps = formui.steps(form, lang)
    index = _step_number(request.args.get("buoc"), len(all_steps))
    step = all_steps[index]
    draft, registry_down = _draft(citizen, slug, form)
    data, errors = dict(draft.data or {}), []
    if request.method == "POST":
        data = formui.parse_form(form, request.form, only=step.fields, base=data)
        action = formui.array_action(request.form)
        if action:
            data = formui.apply_array_action(data, action)
        draft.data = data
        db.session.commit()  # saved, whatever happens next: resume later on any device
        if not action:
            errors = formui.errors_in(forms.validate(form, data, lang), all_steps, index)
            if not errors:
                if index + 1 < len(all_steps):
                    return redirect(url_for("portal.fill", slug=slug, buoc=index + 2))
                return redirect(attachments.after_form(version))
    else:
        db.session.commit()
    return render_template(
        "portal/fill.html", version=version, steps=all_steps, index=index, step=step,
        form_html=formui.render_form(form, data or None, errors, lang=lang, only=step.fields),
        summary=formui.error_summary(errors, lang=lang), has_errors=bool(errors), registry_down=registry_down,
        prefilled=prefilled_fields(form, draft, step.fields, lang)), 422 if errors else 200


@bp.route("/thu-tuc/<slug>/kiem-tra", methods=["GET", "POST"])
def check(slug: str) -> ResponseReturnValue:
    """Check your answers, then submit. Submitting twice (a double click) makes one dossier."""
    version = procedures.published_version(slug)
    if version is None:
        abort(404)
    citizen, login = citizen_or_login()
    if login:
        return login
    draft = my_draft(citizen, slug)
    form = procedures.compiled(version).start_form
    if draft is None or form is None:
        return redirect(url_for("portal.fill", slug=slug))
    errors = forms.validate(form, draft.data or {})
    if errors:  # back to the first step that is not complete
        form_steps = formui.steps(form)
        first = min(formui.step_of(form_steps, e.path) for e in errors)
        return redirect(url_for("portal.fill", slug=slug, buoc=first + 1))
    missing = attachments.missing_errors(slug, attachments.missing_required(version.meta, draft))
    if request.method == "POST" and not missing:
        principal = accounts.principal_for(citizen)
        key = f"draft-{draft.id}-{draft.updated_at.timestamp()}"
        try:
            dossier, created = dossiers.submit(principal, dossiers.Submission(procedure=slug, data=draft.data),
                                               idempotency_key=key, lang=current_lang())
        except dossiers.DossierError:
            db.session.rollback()
            return redirect(url_for("portal.fill", slug=slug))
        if created:
            reused_document = attachments.carry_to_dossier(draft, dossier, actor_id=citizen.id)
            # Data the State already held: prefilled from the registry, or a document used again.
            dossier.reused_data = bool(draft.prefilled) or reused_document
        attachments.discard(draft)
        db.session.delete(draft)
        db.session.commit()
        return redirect(url_for("portal.dossier", code=dossier.code))
    return render_template("portal/check.html", version=version, rows=dossier_view.rows(form, draft.data),
                           files=attachments.components_for(version.meta, draft),
                           missing=missing), 422 if missing and request.method == "POST" else 200


@bp.get("/ho-so/<code>/giay-tiep-nhan.pdf")
def receipt_pdf(code: str) -> ResponseReturnValue:
    """Form 01 for the citizen whose dossier it is (the same check as the dossier page)."""
    citizen, login = citizen_or_login()
    if login:
        return login
    found = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if found is None or not dossiers.can_read(accounts.principal_for(citizen), found):
        abort(404)
    if found.status == DossierStatus.REFUSED:  # not received: there is no appointment (form 03 says why)
        abort(404)
    return pdf_slips.download("01", pdf_slips.receipt_context(found), file_name=f"mau-01-{found.code}.pdf",
                              actor_id=citizen.id, dossier=found)


@bp.get("/ho-so/<code>")
def dossier(code: str) -> ResponseReturnValue:
    citizen, login = citizen_or_login()
    if login:
        return login
    found = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if found is None or not dossiers.can_read(accounts.principal_for(citizen), found):
        abort(404)
    mine = tracking.expected_now(dossier_ids=[found.id], account_id=citizen.id)[found.id]
    fee_due = payments.due_for(found) if found.status == DossierStatus.PAYMENT_REQUESTED else None
    return render_template("portal/dossier.html", dossier=found, my_steps=mine,
                           events=tracking.timeline(found, with_details=True), reasons=reasons.for_dossier(found),
                           can_withdraw=withdrawal.can_withdraw(found), can_rate=feedback.can_rate(found),
                           rating=feedback.get(dossier_id=found.id), fee_due=fee_due,
                           paid=[p for p in payments.list_(found) if p.state == "paid"],
                           **tracking_words.template_helpers(current_lang()))
