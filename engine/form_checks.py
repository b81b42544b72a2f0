"""Checking a package's form documents before they are used (package validation, studio saves).

Bounded because a form comes from an untrusted package: a schema nests at most
``MAX_SCHEMA_DEPTH`` levels, ``$schema`` is draft 2020-12, ``$id`` stays under the package's
base, limits stay under the ceilings, every pattern compiles on RE2, every
``$ref``/``$dynamicRef`` resolves inside the package, and references never loop back without
going into the data. Validating data against a checked form is :mod:`engine.forms`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry

from engine import safe_parse
from engine.forms import (
    CEILINGS,
    DIALECT,
    FORMS_BASE,
    MAX_PATTERN_CHARS,
    MAX_SCHEMA_DEPTH,
    REF_KEYWORDS,
    build_registry,
    pattern_problem,
    uri_for,
)

_SUBSCHEMA = ("additionalProperties", "unevaluatedProperties", "items", "contains", "propertyNames", "not",
              "if", "then", "else", "unevaluatedItems", "contentSchema")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")  # applied to the same instance


@dataclass(frozen=True)
class _Node:
    schema: dict[str, Any]
    field: str  # where, for people: "nguoi.ho_ten", "$defs.dia_chi", "(gốc)"
    base: str  # the URI relative references resolve against


def _label(parent: str, step: str) -> str:
    return step if parent == "(gốc)" else f"{parent}.{step}"


def _children(node: _Node) -> Iterator[tuple[Any, str]]:
    """Every subschema of ``node`` with its field label; data (const, enum, default...) is not walked."""
    schema = node.schema
    for keyword in _SUBSCHEMA:
        if isinstance(schema.get(keyword), dict):
            yield schema[keyword], _label(node.field, "[]" if keyword == "items" else keyword)
    for keyword in _SUBSCHEMA_MAPS:
        if isinstance(schema.get(keyword), dict):
            for key, sub in schema[keyword].items():
                yield sub, _label(node.field, key if keyword == "properties" else f"{keyword}.{key}")
    for keyword in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(keyword), list):
            for index, sub in enumerate(schema[keyword]):
                yield sub, _label(node.field, f"{keyword}[{index}]")


def _nodes(path: str, schema: dict[str, Any]) -> Iterator[_Node]:
    """Every schema object of a document, without recursion, each with the base its ``$id`` gives."""
    pending = [_Node(schema, "(gốc)", uri_for(path))]
    while pending:
        node = pending.pop()
        own_id = node.schema.get("$id")
        if isinstance(own_id, str):
            node = _Node(node.schema, node.field, _join(node.base, own_id))
        yield node
        pending.extend(_Node(sub, field, node.base) for sub, field in _children(node) if isinstance(sub, dict))


def _join(base: str, reference: str) -> str:
    """``reference`` made absolute; "" (outside everything) when it is not even a URI."""
    try:
        return urljoin(base, reference)
    except ValueError:  # e.g. "http://[" (a broken IPv6 host)
        return ""


def _inside(uri: str) -> bool:
    return uri.startswith(FORMS_BASE)


def _node_problems(name: str, node: _Node) -> Iterator[tuple[str, dict[str, Any]]]:
    """What is wrong with one schema object on its own: dialect, $id, ceilings, regexes."""
    schema, where = node.schema, {"name": name, "field": node.field}
    dialect = schema.get("$schema")
    if dialect is not None and str(dialect).rstrip("#") != DIALECT:
        yield "form_dialect_unsupported", {**where, "value": dialect}
    if "$id" in schema and not (isinstance(schema["$id"], str) and _inside(node.base)):
        yield "form_id_outside", {**where, "value": schema["$id"]}
    for keyword, limit in CEILINGS.items():
        value = schema.get(keyword)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > limit:
            yield "form_limit_too_high", {**where, "keyword": keyword, "value": value, "limit": limit}
    patterns = [schema["pattern"]] if isinstance(schema.get("pattern"), str) else []
    patterns += list(schema.get("patternProperties", {}))
    for pattern in patterns:
        detail = pattern_problem(pattern)
        if detail is not None:
            shown = pattern if len(pattern) <= 80 else pattern[:80] + "…"
            yield "form_pattern_unsupported", {**where, "pattern": shown, "detail": detail,
                                               "limit": MAX_PATTERN_CHARS}


def document_problems(path: str, schema: Any) -> list[tuple[str, dict[str, Any]]]:
    """(code, params) for what is wrong with one schema document on its own, checked before it is
    registered: nesting, meta-schema, then every schema object (dialect, $id, ceilings, regexes)."""
    name = path
    if safe_parse.too_deep(schema, MAX_SCHEMA_DEPTH):  # first: the meta-schema check below recurses
        return [("form_too_deep", {"name": name, "limit": MAX_SCHEMA_DEPTH})]
    try:
        # regexes: RE2, below. None turns format checks off; types-jsonschema does not allow it.
        Draft202012Validator.check_schema(schema, format_checker=None)  # type: ignore[arg-type]
    except SchemaError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "(gốc)"
        return [("form_schema_invalid", {"name": name, "detail": f"{where}: {err.message}"})]
    if not isinstance(schema, dict):
        return []
    found = [problem for node in _nodes(path, schema) for problem in _node_problems(name, node)]
    if "$id" in schema and schema["$id"] != uri_for(path) and not any(c == "form_id_outside" for c, _ in found):
        # The form's own $id is replaced by its place in the package (compile_form): another one would
        # make its references resolve differently when it is used through a $ref.
        found.append(("form_id_outside", {"name": name, "field": "(gốc)", "value": schema["$id"]}))
    return found


def _reference_problems(path: str, schema: dict[str, Any], registry: Registry, broken: set[str]
                        ) -> Iterator[tuple[str, dict[str, Any]]]:
    for node in _nodes(path, schema):
        for keyword in REF_KEYWORDS:
            ref = node.schema.get(keyword)
            if not isinstance(ref, str):
                continue
            target = _join(node.base, ref)
            if not _inside(target):
                yield "form_ref_outside", {"name": path, "field": node.field, "keyword": keyword, "ref": ref}
                continue
            if urldefrag(target).url in broken:
                continue  # that document's own problems are reported; a second message would only confuse
            try:
                registry.resolver(base_uri=node.base).lookup(ref)
            except Exception:  # Unresolvable, or a pointer the library chokes on: unresolved either way
                yield "form_ref_unresolved", {"name": path, "ref": ref}


def _in_place_edges(schema: dict[str, Any], resolver: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    """Subschemas applied to the same instance as ``schema`` (so a loop through them never ends)."""
    for keyword in _IN_PLACE:
        value = schema.get(keyword)
        for sub in value if isinstance(value, list) else [value]:
            if isinstance(sub, dict):
                yield sub, resolver
    for sub in (schema.get("dependentSchemas") or {}).values():
        if isinstance(sub, dict):
            yield sub, resolver
    for keyword in ("$ref", "$dynamicRef"):
        if isinstance(schema.get(keyword), str):
            try:
                resolved = resolver.lookup(schema[keyword])
            except Exception:  # reported by _reference_problems
                continue
            if isinstance(resolved.contents, dict):
                yield resolved.contents, resolved.resolver


def _loops_from(start: dict[str, Any], resolver: Any, done: set[int]) -> bool:
    """Whether following in-place subschemas from ``start`` comes back to one on the way (iterative DFS)."""
    on_path = {id(start)}
    stack = [(start, _in_place_edges(start, resolver))]
    while stack:
        schema, edges = stack[-1]
        following = next(edges, None)
        if following is None:
            stack.pop()
            on_path.discard(id(schema))
            done.add(id(schema))
            continue
        child, child_resolver = following
        if id(child) in on_path:
            return True
        if id(child) not in done:
            on_path.add(id(child))
            stack.append((child, _in_place_edges(child, child_resolver)))
    return False


def _cycle_problems(path: str, schema: dict[str, Any], registry: Registry) -> Iterator[tuple[str, dict[str, Any]]]:
    done: set[int] = set()
    for node in _nodes(path, schema):
        if id(node.schema) not in done and _loops_from(node.schema, registry.resolver(base_uri=node.base), done):
            yield "form_ref_cycle", {"name": path, "field": node.field, "keyword": "$ref, allOf, if..."}
            return  # one is enough: the designer fixes it and checks again


def reference_problems(path: str, schema: Any, registry: Registry, broken: set[str] | None = None
                       ) -> list[tuple[str, dict[str, Any]]]:
    """(code, params) for the references of a registered document: outside the package, dangling, looping."""
    if not isinstance(schema, dict):
        return []
    found = list(_reference_problems(path, schema, registry, broken or set()))
    return found or list(_cycle_problems(path, schema, registry))


def schema_problems(path: str, schema: Any, registry: Registry) -> list[tuple[str, dict[str, Any]]]:
    """(code, params) for everything wrong with one schema document (it must be in ``registry``)."""
    return document_problems(path, schema) or reference_problems(path, schema, registry)


def check_documents(documents: Mapping[str, Any]) -> tuple[Registry, dict[str, list[tuple[str, dict[str, Any]]]]]:
    """The registry of the sound schema documents and every problem by path: documents with problems
    of their own stay out of the registry (they could crash it), references are checked against it."""
    problems = {path: document_problems(path, doc) for path, doc in documents.items()}
    sound = {path: doc for path, doc in documents.items() if not problems[path]}
    registry = build_registry(sound)
    broken = {uri_for(path) for path, found in problems.items() if found}
    for path, doc in sound.items():
        problems[path] = reference_problems(path, doc, registry, broken)
    return registry, problems


