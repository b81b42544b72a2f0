"""Editing a version's diagram in the browser (bpmn-js), on the studio blueprint.

Saving never changes a version (versions are immutable): the edited ``process.bpmn`` replaces
the one in the version the page was opened on, and the whole package goes through the same
checks as an imported zip. Valid: it is stored as a new draft version. Not valid: nothing is
stored and every problem comes back with the BPMN element it is about, so the page can mark
the element on the diagram. Without JavaScript the same form takes a ``.bpmn`` file.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.package import PROCESS_FILE, PackageSource
from engine.problems import PackageInvalid, Problem
from engine.roles import KNOWN_ROLES
from engine.xmlsafe import MalformedXml, UnsafeXml, parse_xml
from webapp.accounts.officer_auth import officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.procedures import service as procedures
from webapp.procedures.models import Procedure, ProcedureVersion
from webapp.studio.routes import bp, designer_or_403, version_or_404


def _newest(slug: str) -> ProcedureVersion:
    """The version a designer most likely wants to go on from: the newest one, draft or not."""
    number = db.session.scalar(
        sa.select(sa.func.max(ProcedureVersion.number)).join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .where(Procedure.slug == slug))
    if number is None:
        abort(404)
    return version_or_404(slug, number)


def _diagram_path(slug: str) -> str:
    return f"bpmn/{slug}/{PROCESS_FILE}"


@bp.get("/<slug>/so-do")
@officer_required
def edit_diagram(slug: str) -> ResponseReturnValue:
    """The editor for the newest version's diagram, or ``?phien-ban=<n>`` for another one."""
    designer_or_403()
    number = request.args.get("phien-ban", type=int)
    version = version_or_404(slug, number) if number is not None else _newest(slug)
    return render_template("studio/modeler.html", **_page(slug, version, problems=[]))


@bp.get("/<slug>/phien-ban/<int:number>/so-do.bpmn")
@officer_required
def diagram_xml(slug: str, number: int) -> ResponseReturnValue:
    """The version's diagram as stored, for the editor (and for anyone who wants the file)."""
    designer_or_403()
    xml = version_or_404(slug, number).files.get(_diagram_path(slug))
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "no-store"})


@bp.post("/<slug>/phien-ban/<int:number>/so-do")
@officer_required
def save_diagram(slug: str, number: int) -> ResponseReturnValue:
    """Check the new diagram with the rest of version ``number`` and store it as a new draft.

    Answers JSON to the editor (``Accept: application/json``) and a page to a plain form.
    Nothing is stored when there is any problem; every attempt is audited.
    """
    officer = designer_or_403()
    base = version_or_404(slug, number)
    path = _diagram_path(slug)
    upload = request.files.get("so_do")
    data = upload.read() if upload is not None and upload.filename else b""
    problems = (_hostile_xml_problems(path, data) if data
                else [Problem(path, None, "missing_file", {"name": PROCESS_FILE})])
    stored: ProcedureVersion | None = None
    created = False
    if not problems:
        files = {p: text.encode("utf-8") for p, text in base.files.items()}
        files[path] = data
        try:
            stored, created = procedures.store_package(PackageSource(slug, files), actor_id=officer.account_id)
        except PackageInvalid as err:
            db.session.rollback()
            problems = err.problems
    # One audit entry per save, stored or refused (a refusal is committed on its own).
    record(Event.STUDIO_DIAGRAM_SAVED if stored else Event.STUDIO_DIAGRAM_REFUSED, actor_id=officer.account_id,
           object_type="procedure_version", object_id=stored.id if stored else base.id, slug=slug,
           base_number=number, number=stored.number if stored else None, new=created,
           problems=[p.code for p in problems][:50])
    db.session.commit()
    lang = current_lang()
    wants_json = request.accept_mimetypes.best == "application/json"
    if stored is not None:
        message = (_t(f"Đã lưu sơ đồ thành {slug} phiên bản {stored.number} (bản nháp).",
                      f"The diagram is stored as {slug} version {stored.number} (draft).") if created else
                   _t(f"Sơ đồ không đổi: giống hệt {slug} phiên bản {stored.number}.",
                      f"Nothing changed: the same as {slug} version {stored.number}."))
        target = url_for("studio.edit_diagram", slug=slug, **{"phien-ban": stored.number})
        if wants_json:
            return jsonify(ok=True, number=stored.number, created=created, message=message, url=target,
                           save_url=url_for("studio.save_diagram", slug=slug, number=stored.number))
        flash(message, "info")
        return redirect(target)
    shown = [{**p.as_dict(lang), "element": p.element if p.file == path else None} for p in problems]
    if wants_json:
        return jsonify(ok=False, problems=shown), 422
    return render_template("studio/modeler.html", **_page(slug, base, problems=shown)), 422


def _hostile_xml_problems(path: str, data: bytes) -> list[Problem]:
    """The engine's own safety checks first: a hostile file never reaches anything else."""
    try:
        parse_xml(data)
    except UnsafeXml as err:
        return [Problem(path, None, err.code, dict(err.params))]
    except MalformedXml as err:
        detail = f"dòng/line {err.line}: {err.detail}" if err.line else err.detail
        return [Problem(path, None, "xml_malformed", {"detail": detail})]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return [Problem(path, None, "not_utf8", {})]
    return []


def _page(slug: str, version: ProcedureVersion, *, problems: list[dict[str, Any]]) -> dict[str, Any]:
    if _diagram_path(slug) not in version.files:
        abort(404)
    english = current_lang() == "en"
    connectors = procedures.engine().connectors
    forms = sorted(p.rsplit("/", 1)[1] for p in version.files if p.startswith(f"forms/{slug}/"))
    # What the side panel offers: the roles a lane may name, the package's forms, the connectors.
    choices = {
        "roles": [{"key": r.key, "label": r.en if english else r.vi} for r in KNOWN_ROLES.values()],
        "schemas": [f for f in forms if f.endswith(".schema.json")],
        "uischemas": [f for f in forms if f.endswith(".uischema.json")],
        "connectors": [
            {"name": name, "required": sorted(getattr(c, "required_params", ())),
             "optional": sorted(getattr(c, "optional_params", ()))}
            for name, c in sorted(connectors.connectors.items())],
        "lang": "en" if english else "vi",
    }
    return {"slug": slug, "version": version, "name": version.meta.get("name"), "problems": problems,
            "choices": choices,
            "xml_url": url_for("studio.diagram_xml", slug=slug, number=version.number),
            "save_url": url_for("studio.save_diagram", slug=slug, number=version.number)}


def _t(vi: str, en: str) -> str:
    return en if current_lang() == "en" else vi
