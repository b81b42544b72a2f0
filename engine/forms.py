"""JSON Schema forms: loading with ``$ref`` to shared fragments, checking, and validating data.

Every form document of a package (``forms/<slug>/`` and ``forms/common/``) is registered
under a fixed, fake base URI, so a relative ``$ref`` such as ``../common/nguoi.schema.json``
resolves to another document of the same package and never to the network.
Errors come back as ``{path, message}`` with dotted paths and Vietnamese (or English)
sentences built from each field's ``title``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from engine.messages import render

FORMS_BASE = "https://forms.motcua.local/"
_FORMAT_CHECKER = FormatChecker()


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str
    code: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class FormInvalid(Exception):
    """Submitted data does not satisfy the step's form; nothing was changed."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__(f"{len(errors)} field error(s)")


def uri_for(form_path: str) -> str:
    """``khai-sinh/to-khai.schema.json`` -> its registry URI."""
    return FORMS_BASE + form_path


def load_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def build_registry(documents: Mapping[str, Any]) -> Registry:
    """A registry holding every form document of a package, keyed by path under ``forms/``."""
    resources = [
        (uri_for(path), Resource.from_contents(doc, default_specification=DRAFT202012))
        for path, doc in documents.items()
        if isinstance(doc, dict)
    ]
    return Registry().with_resources(resources).crawl()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def schema_problems(path: str, schema: Any, registry: Registry) -> list[tuple[str, dict[str, Any]]]:
    """(code, params) for everything wrong with one schema document: validity and dangling refs."""
    name = path
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "(gốc)"
        return [("form_schema_invalid", {"name": name, "detail": f"{where}: {err.message}"})]
    resolver = registry.resolver(base_uri=uri_for(path))
    problems = []
    for ref in _refs(schema):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            problems.append(("form_ref_unresolved", {"name": name, "ref": ref}))
    return problems


@dataclass(frozen=True)
class CompiledForm:
    """A form ready to render and validate: schema, UI schema and a bound validator."""

    path: str
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    validator: Draft202012Validator
    resolver: Any  # referencing.Resolver, bound to this form's URI
    fast: Any = None  # jsonschema_rs validator: answers "valid?" ~100x faster; errors come from `validator`


def build_fast_registry(documents: Mapping[str, Any]) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(uri_for(path), doc) for path, doc in documents.items() if isinstance(doc, dict)])


def compile_form(
    path: str, registry: Registry, ui_schema: dict[str, Any] | None = None,
    *, fast_registry: jsonschema_rs.Registry | None = None,
) -> CompiledForm:
    schema = registry.contents(uri_for(path))
    # The root document must know its own URI so relative refs resolve against it.
    rooted = {**schema, "$id": uri_for(path)}
    validator = Draft202012Validator(rooted, registry=registry, format_checker=_FORMAT_CHECKER)
    fast = None
    if fast_registry is not None:
        try:
            fast = jsonschema_rs.validator_for(rooted, registry=fast_registry, validate_formats=True)
        except (ValueError, jsonschema_rs.ReferencingError):  # e.g. a regex only Python's re accepts
            fast = None
    return CompiledForm(path, schema, ui_schema or {}, validator, registry.resolver(base_uri=uri_for(path)), fast)


def validate(form: CompiledForm, data: Any, lang: str = "vi") -> list[FieldError]:
    """One error per field (the most basic one: wrong type before wrong value), sorted by path."""
    if form.fast is not None and form.fast.is_valid(data):
        return []  # the common case, without walking the schema in Python
    best: dict[str, FieldError] = {}
    for error in form.validator.iter_errors(data):
        field_error = _translate(form, error, lang)
        current = best.get(field_error.path)
        if current is None or _rank(field_error) < _rank(current):
            best[field_error.path] = field_error
    return sorted(best.values(), key=lambda e: e.path)


_BASIC_FIRST = ("field_type", "field_required", "field_additional")


def _rank(error: FieldError) -> int:
    return _BASIC_FIRST.index(error.code) if error.code in _BASIC_FIRST else len(_BASIC_FIRST)


def _dotted(parts: Iterator[Any] | list[Any]) -> str:
    return ".".join(str(p) for p in parts)


def _title_at(form: CompiledForm, path: list[Any]) -> str | None:
    """Best-effort ``title`` of the field at ``path``, following $ref, allOf and items."""

    def candidates(schema: Any, resolver: Any) -> Iterator[tuple[dict[str, Any], Any]]:
        if not isinstance(schema, dict):
            return
        yield schema, resolver  # first, so a local title wins over the fragment's own
        if isinstance(schema.get("$ref"), str):
            try:
                resolved = resolver.lookup(schema["$ref"])
            except Unresolvable:
                return
            yield from candidates(resolved.contents, resolved.resolver)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                yield from candidates(sub, resolver)
        for key in ("then", "else"):
            if key in schema:
                yield from candidates(schema[key], resolver)

    level = [(form.schema, form.resolver)]
    for part in path:
        following = []
        for schema, res in level:
            for candidate, cres in candidates(schema, res):
                if isinstance(part, int) and "items" in candidate:
                    following.append((candidate["items"], cres))
                elif isinstance(part, str) and part in candidate.get("properties", {}):
                    following.append((candidate["properties"][part], cres))
        if not following:
            return None
        level = following
    for schema, res in level:
        for candidate, _ in candidates(schema, res):
            if isinstance(candidate.get("title"), str):
                return candidate["title"]
    return None


def _translate(form: CompiledForm, error: ValidationError, lang: str) -> FieldError:
    path = list(error.absolute_path)
    kind = error.validator
    value = error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = [*path, missing]
    if kind == "dependentRequired":
        missing = next((m for m in _dependent_missing(error) if m), "")
        path = [*path, missing]
    label = _title_at(form, path) or (str(path[-1]) if path else render("this_field", lang))
    params: dict[str, Any] = {"label": label}
    code = {
        "required": "field_required",
        "dependentRequired": "field_required",
        "enum": "field_enum",
        "const": "field_const",
        "minLength": "field_min_length",
        "maxLength": "field_max_length",
        "pattern": "field_pattern",
        "minimum": "field_minimum",
        "maximum": "field_maximum",
        "exclusiveMinimum": "field_exclusive_minimum",
        "exclusiveMaximum": "field_exclusive_maximum",
        "minItems": "field_min_items",
        "maxItems": "field_max_items",
        "uniqueItems": "field_unique_items",
        "oneOf": "field_one_of",
        "anyOf": "field_any_of",
        "type": "field_type",
        "format": "field_format",
        "additionalProperties": "field_additional",
        "unevaluatedProperties": "field_additional",
    }.get(str(kind), "field_invalid")
    if code in {"field_min_length", "field_max_length", "field_minimum", "field_maximum",
                "field_exclusive_minimum", "field_exclusive_maximum", "field_min_items", "field_max_items"}:
        params["limit"] = value
    elif code == "field_type":
        expected = value[0] if isinstance(value, list) else value
        params["expected"] = render(f"type_{expected}", lang)
    elif code == "field_format":
        if value == "date":
            code = "field_format_date"
        params["format"] = value
    elif code == "field_additional":
        extra = _unexpected(error)
        params = {"name": extra}
        path = [*path, extra]
    return FieldError(path=_dotted(path), message=render(code, lang, **params), code=code)


def _dependent_missing(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    missing: list[str] = []
    for needed in (error.validator_value or {}).values():
        missing.extend(name for name in needed if name not in instance)
    return missing


def _unexpected(error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, dict) else {}
    known = set((error.schema or {}).get("properties", {}))
    extras = sorted(set(instance) - known)
    return extras[0] if extras else ""
