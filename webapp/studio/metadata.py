"""Editing procedure.yaml through a form the citizen's renderer (webapp/formui) draws from the metadata's own
JSON Schema (engine/schemas/procedure.schema.json) and the UI schema next to this module.

The form covers what a designer changes (name, code, level, fees, deadline, components, legal basis...);
the lane routing, the slug and an applied overlay are kept as they are (the lanes must match the BPMN,
which the diagram editor owns). Saving validates the form, then the whole package, and stores a new draft.
The YAML is rewritten from the data, so comments in the file are not kept.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import yaml
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine import forms
from engine.forms import CompiledForm
from engine.metadata import load_mapping, metadata_validator, schema_problems
from engine.package import METADATA_NAMES
from engine.problems import PackageInvalid
from webapp.accounts.officer_auth import officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.formui import apply_array_action, array_action, error_summary, parse_form, render_form
from webapp.i18n import current_lang
from webapp.procedures.models import ProcedureVersion
from webapp.studio import drafts
from webapp.studio.routes import bp, designer_or_403, version_or_404

# What the form edits; everything else in procedure.yaml is carried over untouched.
EDITABLE = ("name", "code", "field", "level", "service_level", "agency", "applicants", "processing_time", "fees",
            "components", "steps", "result", "legal_basis", "delivery", "tags")
_FORM_PATH = "__studio__/procedure.schema.json"


@cache
def metadata_form() -> CompiledForm:
    """The metadata schema cut down to the editable properties, compiled like any procedure form."""
    schema = copy.deepcopy(metadata_validator().schema)
    schema.pop("$id", None)
    schema["properties"] = {k: schema["properties"][k] for k in EDITABLE}
    schema["required"] = [k for k in schema["required"] if k in EDITABLE]
    ui = json.loads(resources.files("webapp.studio").joinpath("procedure.uischema.json").read_text("utf-8"))
    return forms.compile_form(_FORM_PATH, forms.build_registry({_FORM_PATH: schema}), ui)


def _metadata_path(version: ProcedureVersion) -> str:
    prefix = f"bpmn/{version.procedure.slug}/"
    path = next((prefix + n for n in METADATA_NAMES if prefix + n in version.files), None)
    if path is None:
        abort(404)
    return path


def _dump(path: str, data: dict[str, Any]) -> str:
    if path.endswith(".json"):
        return drafts.dump_json(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


@bp.route("/<slug>/phien-ban/<int:number>/thong-tin", methods=["GET", "POST"])
@officer_required
def metadata_editor(slug: str, number: int) -> ResponseReturnValue:
    officer = designer_or_403()
    version = version_or_404(slug, number)
    path = _metadata_path(version)
    current = load_mapping(path, version.files[path].encode("utf-8"))
    form, lang = metadata_form(), current_lang()
    if request.method == "GET":
        data = {k: v for k, v in current.items() if k in EDITABLE}
        return _page(version, data, [], [])
    data = parse_form(form, request.form)
    action = array_action(request.form)
    if action:  # "add a fee", "remove a component"...: show the form again, nothing checked yet
        return _page(version, apply_array_action(data, action), [], [])
    errors = forms.validate(form, data, lang)
    if errors:
        return _page(version, data, errors, [], 422)
    _keep_unshown(current, data)
    merged = {**{k: v for k, v in current.items() if k not in EDITABLE}, **data}
    merged = {k: merged[k] for k in [*current, *data] if k in merged}  # the file's own order, new keys last
    problems = [p.format(lang) for p in schema_problems(metadata_validator(), merged, path, "metadata_invalid")]
    if not problems and merged == current:
        flash("Nothing changed; nothing to save." if lang == "en" else "Không có thay đổi nào để lưu.", "info")
        return redirect(url_for("studio.version_page", slug=slug, number=number))
    if not problems:
        try:
            stored, created = drafts.store_edit(version, {path: _dump(path, merged)}, actor_id=officer.account_id)
        except PackageInvalid as err:
            db.session.rollback()
            problems = [p.format(lang) for p in err.problems]
        else:
            record(Event.STUDIO_METADATA_EDITED, actor_id=officer.account_id, object_type="procedure_version",
                   object_id=stored.id, slug=slug, from_number=number, number=stored.number)
            db.session.commit()
            flash((f"Saved the procedure information as draft version {stored.number}." if lang == "en" else
                   f"Đã lưu thông tin thủ tục thành bản nháp phiên bản {stored.number}.") if created else
                  (f"Nothing changed: identical to version {stored.number}." if lang == "en" else
                   f"Không có thay đổi: giống hệt phiên bản {stored.number}."), "info")
            return redirect(url_for("studio.version_page", slug=slug, number=stored.number))
    return _page(version, data, [], problems, 422)


# Parts of a component the generated form cannot show (a map of answers): kept, matched by the component's key.
_COMPONENT_KEPT = ("required_when",)


def _keep_unshown(current: dict[str, Any], data: dict[str, Any]) -> None:
    before = {c.get("key"): c for c in current.get("components") or [] if isinstance(c, dict)}
    for component in data.get("components") or []:
        old = before.get(component.get("key"), {})
        component.update({k: old[k] for k in _COMPONENT_KEPT if k in old and k not in component})
    # A result document's field map is a map too: kept, matched by the document's key (the whole
    # list when the form does not show the documents at all).
    old_result, new_result = current.get("result"), data.get("result")
    if not (isinstance(old_result, dict) and isinstance(new_result, dict) and old_result.get("documents")):
        return
    if "documents" not in new_result:
        new_result["documents"] = old_result["documents"]
        return
    documents = {d.get("key"): d for d in old_result["documents"] if isinstance(d, dict)}
    for document in new_result["documents"]:
        old = documents.get(document.get("key"), {})
        if isinstance(document, dict) and old.get("fields") and not document.get("fields"):
            document["fields"] = old["fields"]


def _page(version: ProcedureVersion, data: dict[str, Any], errors: list[Any], problems: list[str],
          status: int = 200) -> ResponseReturnValue:
    lang = current_lang()
    form = metadata_form()
    return render_template("studio/metadata.html", version=version, slug=version.procedure.slug,
                           summary=error_summary(errors, lang=lang), fields=render_form(form, data, errors, lang=lang),
                           problems=problems, has_errors=bool(errors or problems)), status
