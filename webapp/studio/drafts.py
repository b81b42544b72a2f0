"""Editing in the studio without ever changing a version: an edit is the files of the version it started
from with some files replaced, stored as a new draft version after the whole package passes every check
(the same checks as an import). Nothing is stored when one fails."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine import form_checks, forms, safe_parse
from engine.forms import CompiledForm
from engine.messages import render
from engine.package import PackageSource
from webapp.procedures import service as procedures
from webapp.procedures.models import ProcedureVersion

FORM_SUFFIX = ".schema.json"
UI_SUFFIX = ".uischema.json"


def form_names(version: ProcedureVersion) -> list[str]:
    """The procedure's own forms (``to-khai`` for ``forms/<slug>/to-khai.schema.json``); shared fragments excluded."""
    prefix = f"forms/{version.procedure.slug}/"
    return sorted(p.removeprefix(prefix).removesuffix(FORM_SUFFIX) for p in version.files
                  if p.startswith(prefix) and p.endswith(FORM_SUFFIX) and "/" not in p.removeprefix(prefix))


def form_paths(version: ProcedureVersion, name: str) -> tuple[str, str]:
    prefix = f"forms/{version.procedure.slug}/{name}"
    return prefix + FORM_SUFFIX, prefix + UI_SUFFIX


def store_edit(version: ProcedureVersion, changes: Mapping[str, str], *, actor_id: int | None
               ) -> tuple[ProcedureVersion, bool]:
    """The version's files with ``changes`` as a new draft (or the identical version that exists).

    Raises engine.problems.PackageInvalid with every problem of the whole package."""
    files = {path: text.encode("utf-8") for path, text in {**version.files, **changes}.items()}
    return procedures.store_package(PackageSource(version.procedure.slug, files), actor_id=actor_id)


def dump_json(document: Any) -> str:
    """How the studio writes a form file: readable, Vietnamese kept as is, a newline at the end."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def preview_form(version: ProcedureVersion, name: str, schema: Any, ui: Any, lang: str = "vi"
                 ) -> tuple[CompiledForm | None, list[str]]:
    """The form compiled as the citizen would get it, with the package's shared fragments; or the problems.

    Only this form is compiled (cheap enough to run on every change); saving checks the whole package."""
    schema_path, _ = form_paths(version, name)
    if not isinstance(schema, dict):
        return None, ["The form must be a JSON object ({...})." if lang == "en"
                      else "Biểu mẫu phải là một đối tượng JSON ({...})."]
    documents: dict[str, Any] = {}
    for path, text in version.files.items():
        if path.startswith("forms/") and path.endswith(FORM_SUFFIX):
            try:
                documents[path.removeprefix("forms/")] = safe_parse.load_json(text)
            except ValueError:
                continue  # a broken fragment is reported when the package is checked
    key = schema_path.removeprefix("forms/")
    documents[key] = schema
    registry, found = form_checks.check_documents(documents)  # bounds, regexes, references, as an import would
    problems = [render(code, lang, **params) for code, params in found[key]]
    if problems:
        return None, problems
    return forms.compile_form(key, registry, ui if isinstance(ui, dict) else {}), []
