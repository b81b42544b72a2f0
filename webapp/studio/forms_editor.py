"""The form editor: a version's forms, each edited as a list of fields (no JavaScript needed, every button
is a round trip) or as its two JSON documents, with a preview drawn by the citizen's own renderer.

Nothing is kept on the server between round trips: the page posts the rows and the JSON they were read
from. Saving checks the whole package (JSON Schema meta-validation, references, the BPMN steps that use
the form) and stores it as a new draft version; on any problem nothing is stored and every problem is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from engine import safe_parse
from engine.problems import PackageInvalid
from engine.safe_parse import InputTooDeep
from webapp.accounts.officer_auth import officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.formui import render_form
from webapp.formui.schema import root_node
from webapp.i18n import current_lang
from webapp.procedures import service as procedures
from webapp.procedures.models import ProcedureVersion
from webapp.studio import drafts, fieldlist
from webapp.studio.routes import bp, designer_or_403, version_or_404

MAX_JSON_CHARS = 500_000


@dataclass
class Editor:
    """One round trip of the editor page."""

    mode: str  # "fields" or "json"
    schema: Any
    ui: Any
    schema_text: str = ""
    ui_text: str = ""
    rows: list[fieldlist.Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the whole form
    row_problems: dict[int, list[str]] = field(default_factory=dict)  # about one row of the field list

    @property
    def has_problems(self) -> bool:
        return bool(self.problems or self.row_problems)

    @property
    def summary(self) -> list[tuple[str, str | None]]:
        """Every problem with the id of the row it is about (the summary links to it), if any."""
        rows = [(m, f"row-{i}") for i, messages in sorted(self.row_problems.items()) for m in messages]
        return [(m, None) for m in self.problems] + rows


def _t(vi: str, en: str) -> str:
    return en if current_lang() == "en" else vi


@bp.get("/<slug>/phien-ban/<int:number>/")
@officer_required
def version_page(slug: str, number: int) -> ResponseReturnValue:
    """What a version holds that the studio edits: its forms (with the steps using each) and its metadata."""
    designer_or_403()
    version = version_or_404(slug, number)
    compiled = procedures.compiled(version)
    used_by: dict[str, list[str]] = {}
    for element in compiled.elements.values():
        if element.form:
            used_by.setdefault(element.form.removesuffix(drafts.FORM_SUFFIX), []).append(element.label)
    return render_template("studio/form_list.html", version=version, slug=slug, forms=drafts.form_names(version),
                           used_by=used_by, published=version.procedure.published_version_id == version.id)


@bp.route("/<slug>/phien-ban/<int:number>/bieu-mau/<name>", methods=["GET", "POST"])
@officer_required
def form_editor(slug: str, number: int, name: str) -> ResponseReturnValue:
    officer = designer_or_403()
    version = version_or_404(slug, number)
    if name not in drafts.form_names(version):
        abort(404)
    if request.method == "GET":
        editor = _from_version(version, name, "json" if request.args.get("che-do") == "json" else "fields")
        return _page(version, name, editor)
    editor = _from_post(request.form)
    if request.form.get("save") is not None and not editor.has_problems:
        stored = _save(version, name, editor, officer.account_id)
        if stored is not None:
            return stored
    return _page(version, name, editor, status=422 if editor.has_problems else 200)


@bp.post("/<slug>/phien-ban/<int:number>/bieu-mau/<name>/xem-truoc")
@officer_required
def form_preview(slug: str, number: int, name: str) -> ResponseReturnValue:
    """Only the preview, for the page's script to refresh it as the designer types."""
    designer_or_403()
    version = version_or_404(slug, number)
    if name not in drafts.form_names(version):
        abort(404)
    editor = _from_post(request.form)
    return render_template("studio/_form_preview.html", **_preview(version, name, editor))


# --- reading the editor's state -------------------------------------------------------------------

def _from_version(version: ProcedureVersion, name: str, mode: str) -> Editor:
    schema_path, ui_path = drafts.form_paths(version, name)
    files = version.files
    schema = safe_parse.load_json(files[schema_path])
    ui = safe_parse.load_json(files[ui_path]) if ui_path in files else {}
    editor = Editor(mode, schema, ui, drafts.dump_json(schema), drafts.dump_json(ui))
    editor.rows = fieldlist.rows_from_schema(schema, ui if isinstance(ui, dict) else {})
    return editor


def _parse_json(text: str, what: str) -> tuple[Any, str | None]:
    if len(text) > MAX_JSON_CHARS:
        return None, _t(f"{what}: quá dài (tối đa {MAX_JSON_CHARS} ký tự).",
                        f"{what}: too long (at most {MAX_JSON_CHARS} characters).")
    try:
        value = safe_parse.load_json(text)  # depth-bounded: the designer's text is not trusted
    except InputTooDeep as err:
        return None, f"{what}: {err.message(current_lang())}"
    except ValueError as err:
        line, column = getattr(err, "lineno", "?"), getattr(err, "colno", "?")
        return None, _t(f"{what}, dòng {line}, cột {column}: JSON không hợp lệ ({getattr(err, 'msg', err)}).",
                        f"{what}, line {line}, column {column}: not valid JSON ({getattr(err, 'msg', err)}).")
    if not isinstance(value, dict):
        return None, _t(f"{what}: phải là một đối tượng JSON ({{...}}).", f"{what}: must be a JSON object ({{...}}).")
    return value, None


def _from_post(form: Any) -> Editor:
    mode = "json" if form.get("mode") == "json" else "fields"
    schema_label, ui_label = _t("Lược đồ biểu mẫu (schema)", "Form schema"), _t("Lược đồ giao diện (UI schema)",
                                                                                  "UI schema")
    schema, schema_problem = _parse_json(str(form.get("schema_json", "")), schema_label)
    ui, ui_problem = _parse_json(str(form.get("ui_json", "") or "{}"), ui_label)
    editor = Editor(mode, schema, ui, str(form.get("schema_json", "")), str(form.get("ui_json", "")))
    editor.problems = [p for p in (schema_problem, ui_problem) if p]
    if mode == "json":
        if form.get("to-fields") is not None and not editor.problems:
            editor.mode = "fields"
            editor.rows = fieldlist.rows_from_schema(schema, ui)
        return editor
    if editor.problems:  # the page's own hidden copy is broken: nothing to edit the rows against
        editor.rows = fieldlist.rows_from_post(form)
        return editor
    table = fieldlist.build(schema, ui, fieldlist.rows_from_post(form))
    action = fieldlist.row_action(form)
    if table.problems:
        for problem in table.problems:
            if problem.index is None:
                editor.problems.append(problem.message(current_lang()))
            else:
                editor.row_problems.setdefault(problem.index, []).append(problem.message(current_lang()))
        editor.rows = fieldlist.apply_action(table.rows, action) if action else table.rows
        return editor
    editor.schema, editor.ui = fieldlist.apply(schema, ui, table.rows)
    editor.schema_text, editor.ui_text = drafts.dump_json(editor.schema), drafts.dump_json(editor.ui)
    editor.rows = fieldlist.rows_from_schema(editor.schema, editor.ui)
    if action:
        editor.rows = fieldlist.apply_action(editor.rows, action)
    if form.get("to-json") is not None:
        editor.mode = "json"
    return editor


# --- saving ---------------------------------------------------------------------------------------

def _save(version: ProcedureVersion, name: str, editor: Editor, actor_id: int) -> ResponseReturnValue | None:
    schema_path, ui_path = drafts.form_paths(version, name)
    before = _from_version(version, name, editor.mode)
    if (editor.schema, editor.ui) == (before.schema, before.ui):  # only the layout of the JSON would differ
        flash(_t("Không có thay đổi nào để lưu.", "Nothing changed; nothing to save."), "info")
        return redirect(url_for("studio.form_editor", slug=version.procedure.slug, number=version.number, name=name))
    changes = {schema_path: drafts.dump_json(editor.schema), ui_path: drafts.dump_json(editor.ui)}
    try:
        stored, created = drafts.store_edit(version, changes, actor_id=actor_id)
    except PackageInvalid as err:
        db.session.rollback()
        editor.problems = [p.format(current_lang()) for p in err.problems]
        return None
    record(Event.STUDIO_FORM_EDITED, actor_id=actor_id, object_type="procedure_version", object_id=stored.id,
           slug=version.procedure.slug, form=name, from_number=version.number, number=stored.number)
    db.session.commit()
    if created:
        flash(_t(f"Đã lưu biểu mẫu {name} thành bản nháp phiên bản {stored.number}.",
                 f"Saved the form {name} as draft version {stored.number}."), "info")
    else:
        flash(_t(f"Không có thay đổi: giống hệt phiên bản {stored.number}.",
                 f"Nothing changed: identical to version {stored.number}."), "info")
    return redirect(url_for("studio.form_editor", slug=version.procedure.slug, number=stored.number, name=name,
                            **({"che-do": "json"} if editor.mode == "json" else {})))


# --- showing --------------------------------------------------------------------------------------

def _preview(version: ProcedureVersion, name: str, editor: Editor) -> dict[str, Any]:
    if editor.schema is None or editor.ui is None:
        return {"preview": Markup(""), "preview_problems": editor.problems, "groups": {}}
    compiled, problems = drafts.preview_form(version, name, editor.schema, editor.ui, current_lang())
    if compiled is None:
        return {"preview": Markup(""), "preview_problems": problems, "groups": {}}
    groups: dict[str, list[str]] = {}
    root = root_node(compiled)
    for row in editor.rows:
        child = root.child(row.key) if row.kind == "group" and row.key else None
        if child is not None:
            groups[row.key] = [str(n.title(current_lang())[0]) for n in child.fields()]
    return {"preview": render_form(compiled, None, lang=current_lang(), prefix="xem-truoc"),
            "preview_problems": [], "groups": groups}


def _page(version: ProcedureVersion, name: str, editor: Editor, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "studio/form_editor.html", version=version, slug=version.procedure.slug, name=name, editor=editor,
        kinds=fieldlist.KINDS, kind_labels=fieldlist.KIND_LABELS, **_preview(version, name, editor)), status
