"""JSON Schema forms: loading with ``$ref`` to shared fragments, checking, and validating data.

Every form document of a package (``forms/<slug>/`` and ``forms/common/``) is registered
under a fixed, fake base URI, so a relative ``$ref`` such as ``../common/nguoi.schema.json``
resolves to another document of the same package and never to the network.
Errors come back as ``{path, message}`` with dotted paths and Vietnamese (or English)
sentences built from each field's ``title``.

A form comes from an untrusted package, so checking it and validating data against it is
bounded (the limits are below and in the README):

* regular expressions (``pattern``, ``patternProperties``, ``format: regex``) run on RE2 in
  Python and on Rust's ``regex`` crate in jsonschema_rs, both linear in time; a pattern RE2
  cannot compile (backreferences, lookaround) or longer than ``MAX_PATTERN_CHARS`` is refused;
* ``maxLength``/``maxItems``/``maxProperties``/``maxContains`` (and their ``min`` twins) above
  the ceilings are refused, and submitted data is held to the ceilings even where the form
  sets no limit;
* a schema nests at most ``MAX_SCHEMA_DEPTH`` levels, ``$schema`` is draft 2020-12, ``$id``
  stays under the package's base, every ``$ref``/``$dynamicRef`` resolves inside the package,
  and references never loop back without going into the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema_rs
import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from engine import safe_parse
from engine.messages import render

FORMS_BASE = "https://forms.motcua.local/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Ceilings. A form may set lower limits, never higher; data is held to them whatever the form says.
MAX_SCHEMA_DEPTH = 32  # objects/arrays nested in one schema document (the library's deepest form has 9)
MAX_STRING_CHARS = 100_000  # one text field (and maxLength/minLength)
MAX_ITEMS = 1_000  # one list (and maxItems/minItems/maxContains/minContains)
MAX_PROPERTIES = 1_000  # one group of fields (and maxProperties/minProperties)
MAX_DATA_DEPTH = 32  # objects/arrays nested in submitted data
MAX_PATTERN_CHARS = 1_000  # one regular expression

CEILINGS = {
    "maxLength": MAX_STRING_CHARS, "minLength": MAX_STRING_CHARS,
    "maxItems": MAX_ITEMS, "minItems": MAX_ITEMS, "maxContains": MAX_ITEMS, "minContains": MAX_ITEMS,
    "maxProperties": MAX_PROPERTIES, "minProperties": MAX_PROPERTIES,
}
REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


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
    """A form file's JSON, depth-bounded (raises ValueError, InputTooDeep included)."""
    return safe_parse.load_json(data)


# --- linear-time regular expressions ----------------------------------------------------------

def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    return options


_RE2_OPTIONS = _re2_options()


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, _RE2_OPTIONS)


def pattern_problem(pattern: str) -> str | None:
    """Why RE2 refuses ``pattern`` (None when it compiles and is short enough)."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"> {MAX_PATTERN_CHARS}"
    try:
        _compiled(pattern)
    except re2.error as err:
        detail = err.args[0] if err.args else err
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return None


def _search(pattern: str, text: str) -> bool:
    """ECMA-262 ``pattern`` semantics (unanchored search) on RE2; a pattern RE2 refuses matches nothing."""
    if pattern_problem(pattern) is not None:
        return False
    return _compiled(pattern).search(text) is not None


def _is_regex(instance: object) -> bool:
    return not isinstance(instance, str) or pattern_problem(instance) is None


_FORMAT_CHECKER = FormatChecker()
_FORMAT_CHECKER.checks("regex")(_is_regex)  # a field holding a regex is compiled by RE2 too


def _kw_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not _search(pattern, instance):
        yield ValidationError(f"does not match {pattern!r}")


def _kw_pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _extras(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Keys neither in ``properties`` nor matched by a ``patternProperties`` pattern."""
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [key for key in instance if key not in known and not any(_search(p, key) for p in patterns)]


def _kw_additional_properties(validator: Any, additional: Any, instance: Any, schema: Any
                              ) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    extras = _extras(instance, schema)
    if isinstance(additional, dict):
        for key in extras:
            yield from validator.descend(instance[key], additional, path=key)
    elif additional is False and extras:
        yield ValidationError(f"Additional properties are not allowed ({', '.join(map(repr, sorted(extras)))})")


def _is_valid_under(validator: Any, instance: Any, subschema: Any) -> bool:
    return next(validator.descend(instance, subschema), None) is None


def _evaluated_keys(validator: Any, instance: dict[str, Any], schema: Any) -> set[str]:
    """Keys some keyword of ``schema`` (or of its in-place subschemas) looked at: what
    ``unevaluatedProperties`` leaves alone. Same rules as jsonschema's, patterns on RE2."""
    if not isinstance(schema, dict):
        return set()
    keys: set[str] = set()
    for keyword in ("$ref", "$dynamicRef"):
        if isinstance(schema.get(keyword), str):
            resolved = validator._resolver.lookup(schema[keyword])
            inner = validator.evolve(schema=resolved.contents, _resolver=resolved.resolver)
            keys |= _evaluated_keys(inner, instance, resolved.contents)
    if isinstance(schema.get("properties"), dict):
        keys |= schema["properties"].keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if keyword in schema:
            keys |= {k for k, v in instance.items() if _is_valid_under(validator, v, schema[keyword])}
    for pattern in schema.get("patternProperties", {}):
        keys |= {k for k in instance if _search(pattern, k)}
    for name, subschema in schema.get("dependentSchemas", {}).items():
        if name in instance:
            keys |= _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if _is_valid_under(validator, instance, subschema):
                keys |= _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        branch = "then" if _is_valid_under(validator, instance, schema["if"]) else "else"
        if branch == "then":
            keys |= _evaluated_keys(validator, instance, schema["if"])
        keys |= _evaluated_keys(validator, instance, schema.get(branch, {}))
    return keys


def _kw_unevaluated_properties(validator: Any, unevaluated: Any, instance: Any, schema: Any
                               ) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    evaluated = _evaluated_keys(validator, instance, schema)
    rejected = sorted(k for k, v in instance.items()
                      if k not in evaluated and not _is_valid_under(validator, v, unevaluated))
    if rejected:
        yield ValidationError(f"Unevaluated properties are not allowed ({', '.join(map(repr, rejected))})")


# Draft 2020-12 with every keyword that runs a regular expression moved to RE2.
FormValidator = validators.extend(Draft202012Validator, {  # type: ignore[no-untyped-call]  # unannotated in the stubs
    "pattern": _kw_pattern,
    "patternProperties": _kw_pattern_properties,
    "additionalProperties": _kw_additional_properties,
    "unevaluatedProperties": _kw_unevaluated_properties,
})


def build_registry(documents: Mapping[str, Any]) -> Registry:
    """A registry holding every form document of a package, keyed by path under ``forms/``.

    Only documents :func:`document_problems` passed belong here: a malformed one can crash the crawl."""
    resources = [
        (uri_for(path), Resource.from_contents(doc, default_specification=DRAFT202012))
        for path, doc in documents.items()
        if isinstance(doc, dict)
    ]
    return Registry().with_resources(resources).crawl()


@dataclass(frozen=True)
class CompiledForm:
    """A form ready to render and validate: schema, UI schema and a bound validator."""

    path: str
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    validator: Any  # a FormValidator (Draft 2020-12, regexes on RE2)
    resolver: Any  # referencing.Resolver, bound to this form's URI
    fast: Any = None  # jsonschema_rs validator: answers "valid?" ~100x faster; errors come from `validator`


def _no_network(uri: str) -> Any:
    """jsonschema_rs's retriever: a form never reaches outside its package, whatever it refers to."""
    raise ValueError(f"{uri} is not part of the package")


def build_fast_registry(documents: Mapping[str, Any]) -> jsonschema_rs.Registry | None:
    """jsonschema_rs's registry (it resolves every reference now); None when one points outside the
    package, which only a form stored before the checks can do: the Python validator alone then runs."""
    try:
        return jsonschema_rs.Registry(
            [(uri_for(path), doc) for path, doc in documents.items() if isinstance(doc, dict)], retriever=_no_network)
    except (ValueError, jsonschema_rs.ReferencingError):
        return None


def compile_form(
    path: str, registry: Registry, ui_schema: dict[str, Any] | None = None,
    *, fast_registry: jsonschema_rs.Registry | None = None,
) -> CompiledForm:
    schema = registry.contents(uri_for(path))
    # The root document must know its own URI so relative refs resolve against it.
    rooted = {**schema, "$id": uri_for(path)}
    validator = FormValidator(rooted, registry=registry, format_checker=_FORMAT_CHECKER)
    fast = None
    if fast_registry is not None:
        try:  # RegexOptions: Rust's linear `regex` crate, not the backtracking fancy-regex
            fast = jsonschema_rs.validator_for(rooted, registry=fast_registry, validate_formats=True,
                                               pattern_options=jsonschema_rs.RegexOptions(), retriever=_no_network)
        except (ValueError, jsonschema_rs.ReferencingError):  # e.g. a regex only RE2 accepts: Python alone checks
            fast = None
    return CompiledForm(path, schema, ui_schema or {}, validator, registry.resolver(base_uri=uri_for(path)), fast)


def validate(form: CompiledForm, data: Any, lang: str = "vi") -> list[FieldError]:
    """One error per field (the most basic one: wrong type before wrong value), sorted by path.

    Data beyond the ceilings (too long, too many items, too deep) is refused before any schema runs."""
    try:
        oversized = _bounds_errors(form, data, lang)
        if oversized:
            return oversized
        if form.fast is not None and form.fast.is_valid(data):
            return []  # the common case, without walking the schema in Python
        best: dict[str, FieldError] = {}
        for error in form.validator.iter_errors(data):
            field_error = _translate(form, error, lang)
            current = best.get(field_error.path)
            if current is None or _rank(field_error) < _rank(current):
                best[field_error.path] = field_error
    except Unresolvable as err:  # a form stored before references were checked: a clear error, never a 500
        return [FieldError("", render("form_unresolvable", lang, ref=str(getattr(err, "ref", err))),
                           "form_unresolvable")]
    except RecursionError:  # likewise for references that loop
        return [FieldError("", render("form_too_complex", lang), "form_too_complex")]
    return sorted(best.values(), key=lambda e: e.path)


def _bounds_errors(form: CompiledForm, data: Any, lang: str) -> list[FieldError]:
    """The ceilings, whatever the form says: walked without recursion, one error per field, at most 20."""
    found: list[FieldError] = []
    pending: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while pending and len(found) < 20:
        value, path = pending.pop()
        code, limit = _over_ceiling(value, len(path))
        if code is None:
            if isinstance(value, dict):
                pending.extend((v, (*path, k)) for k, v in value.items())
            elif isinstance(value, list):
                pending.extend((v, (*path, i)) for i, v in enumerate(value))
            continue
        label = _title_at(form, list(path)) or (str(path[-1]) if path else render("this_field", lang))
        found.append(FieldError(_dotted(path), render(code, lang, label=label, limit=limit), code))
    return sorted(found, key=lambda e: e.path)


def _over_ceiling(value: Any, depth: int) -> tuple[str | None, int]:
    if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
        return "field_too_long", MAX_STRING_CHARS
    if isinstance(value, dict | list) and depth >= MAX_DATA_DEPTH:
        return "field_too_deep", MAX_DATA_DEPTH
    if isinstance(value, list) and len(value) > MAX_ITEMS:
        return "field_too_many", MAX_ITEMS
    if isinstance(value, dict):
        if len(value) > MAX_PROPERTIES:
            return "field_too_many", MAX_PROPERTIES
        if any(len(str(key)) > MAX_STRING_CHARS for key in value):
            return "field_too_long", MAX_STRING_CHARS
    return None, 0


_BASIC_FIRST = ("field_type", "field_required", "field_additional")


def _rank(error: FieldError) -> int:
    return _BASIC_FIRST.index(error.code) if error.code in _BASIC_FIRST else len(_BASIC_FIRST)


def _dotted(parts: Iterable[Any]) -> str:
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
            title = candidate.get("title")
            if isinstance(title, str):
                return title
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
    dependencies = error.validator_value if isinstance(error.validator_value, dict) else {}
    for needed in dependencies.values():
        missing.extend(name for name in needed if name not in instance)
    return missing


def _unexpected(error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, dict) else {}
    schema = error.schema if isinstance(error.schema, dict) else {}
    extras = sorted(_extras(instance, schema))
    return extras[0] if extras else ""
