"""Read-only view of a dossier's form data, labelled with the form's own titles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.forms import CompiledForm


@dataclass
class Row:
    label: str
    value: str = ""
    children: list[Row] = field(default_factory=list)


def rows(form: CompiledForm | None, data: dict[str, Any]) -> list[Row]:
    schema, resolver = (form.schema, form.resolver) if form else ({}, None)
    return _object_rows(schema, resolver, data)


def _resolve(schema: dict[str, Any], resolver: Any) -> tuple[dict[str, Any], Any]:
    """Follow $ref (a local title next to the $ref wins) and merge allOf branches' properties."""
    merged = dict(schema)
    while isinstance(merged.get("$ref"), str) and resolver is not None:
        try:
            resolved = resolver.lookup(merged.pop("$ref"))
        except Exception:  # noqa: BLE001 - an unresolvable ref shows raw keys rather than failing the page
            break
        merged = {**resolved.contents, **merged}
        resolver = resolved.resolver
    properties = dict(merged.get("properties", {}))
    for branch in merged.get("allOf", []) + [merged.get("then", {}), merged.get("else", {})]:
        if isinstance(branch, dict):
            properties.update(branch.get("properties", {}))
    merged["properties"] = properties
    return merged, resolver


def _object_rows(schema: dict[str, Any], resolver: Any, data: dict[str, Any]) -> list[Row]:
    schema, resolver = _resolve(schema, resolver)
    result = []
    for key, value in data.items():
        sub = schema["properties"].get(key, {})
        sub_resolved, sub_resolver = _resolve(sub, resolver) if isinstance(sub, dict) else ({}, resolver)
        label = str(sub.get("title") or sub_resolved.get("title") or key)
        if isinstance(value, dict):
            result.append(Row(label, children=_object_rows(sub_resolved, sub_resolver, value)))
        elif isinstance(value, list):
            items = sub_resolved.get("items", {})
            children = [Row(f"{index + 1}", children=_object_rows(items, sub_resolver, item))
                        if isinstance(item, dict) else Row(f"{index + 1}", _plain(item, items))
                        for index, item in enumerate(value)]
            result.append(Row(label, children=children))
        else:
            result.append(Row(label, _plain(value, sub_resolved)))
    return result


def _plain(value: Any, schema: dict[str, Any]) -> str:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    for option in schema.get("oneOf", []):  # enums labelled with oneOf: [{const, title}]
        if isinstance(option, dict) and option.get("const") == value and option.get("title"):
            return str(option["title"])
    return "" if value is None else str(value)
