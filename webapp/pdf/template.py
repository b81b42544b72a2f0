"""Desk-form layouts as data: one YAML file per form (``templates/mau_01.yaml`` ... ``mau_07.yaml``).

A province changes the wording or layout of a form by putting its own ``mau_NN.yaml`` in the
folder named by MOTCUA_PDF_TEMPLATES; forms it does not override come from this package. Every
file is checked against :data:`SCHEMA` when loaded, and placeholders such as ``{dossier.code}``
are looked up in a plain dict of strings (never attributes of objects), so a template can only
show what the code chose to put in its context. Every mistake raises :class:`TemplateError`
naming the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
FORMS = ("01", "02", "03", "04", "05", "06", "07")

# {name} or {name.sub.key}; "{{" and "}}" stand for literal braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*")

_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT}
_BLOCKS: dict[str, Any] = {
    "heading": {"type": "object", "required": ["heading"], "additionalProperties": False,
                "properties": {"heading": _TEXT, "when": _TEXT}},
    "paragraph": {"type": "object", "required": ["paragraph"], "additionalProperties": False,
                  "properties": {"paragraph": _TEXT, "when": _TEXT,
                                 "style": {"enum": ["", "B", "I", "BI"]},
                                 "align": {"enum": ["left", "center", "right", "justify"]}}},
    "numbered": {"type": "object", "required": ["numbered"], "additionalProperties": False,
                 "properties": {"numbered": {**_TEXTS, "minItems": 1}, "when": _TEXT,
                                "start": {"type": "integer", "minimum": 0}}},
    "fields": {"type": "object", "required": ["fields"], "additionalProperties": False,
               "properties": {"when": _TEXT, "fields": {"type": "array", "minItems": 1, "items": {
                   "type": "object", "required": ["label", "value"], "additionalProperties": False,
                   "properties": {"label": _TEXT, "value": _TEXT}}}}},
    "list": {"type": "object", "required": ["list"], "additionalProperties": False, "properties": {
        "when": _TEXT, "list": {"type": "object", "required": ["items", "text"], "additionalProperties": False,
                                "properties": {"items": _TEXT, "text": _TEXT, "empty": _TEXT,
                                               "numbered": {"type": "boolean"}}}}},
    "table": {"type": "object", "required": ["table"], "additionalProperties": False, "properties": {
        "when": _TEXT, "table": {"type": "object", "required": ["rows", "columns"], "additionalProperties": False,
                                 "properties": {"rows": _TEXT, "empty": _TEXT, "font_size": {"type": "number"},
                                                "columns": {"type": "array", "minItems": 1, "items": {
                                                    "type": "object", "required": ["header", "value"],
                                                    "additionalProperties": False,
                                                    "properties": {"header": _TEXT, "value": _TEXT,
                                                                   "width": {"type": "number",
                                                                             "exclusiveMinimum": 0}}}}}}}},
    "signatures": {"type": "object", "required": ["signatures"], "additionalProperties": False, "properties": {
        "when": _TEXT, "signatures": {"type": "array", "minItems": 1, "maxItems": 3, "items": {
            "type": "object", "required": ["title"], "additionalProperties": False,
            "properties": {"title": _TEXT, "note": _TEXT, "name": _TEXT}}}}},
    "qr": {"type": "object", "required": ["qr"], "additionalProperties": False, "properties": {
        "when": _TEXT, "qr": {"type": "object", "required": ["url"], "additionalProperties": False,
                              "properties": {"url": _TEXT, "caption": _TEXT,
                                             "size": {"type": "number", "minimum": 15, "maximum": 60}}}}},
    "spacer": {"type": "object", "required": ["spacer"], "additionalProperties": False,
               "properties": {"spacer": {"type": "number", "minimum": 0, "maximum": 100}}},
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["form", "title", "header", "blocks"],
    "additionalProperties": False,
    "properties": {
        "form": {"enum": list(FORMS)},
        "title": _TEXT,
        "subtitle": _TEXT,
        "orientation": {"enum": ["portrait", "landscape"]},
        "header": {"type": "object", "required": ["left", "right"], "additionalProperties": False,
                   "properties": {"left": {**_TEXTS, "minItems": 1, "maxItems": 4},
                                  "right": {**_TEXTS, "minItems": 1, "maxItems": 4},
                                  "form_label": _TEXT, "number": _TEXT, "place_date": _TEXT}},
        "blocks": {"type": "array", "items": {"type": "object", "minProperties": 1}},
    },
}


class TemplateError(ValueError):
    """A desk-form template that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SlipTemplate:
    form: str
    source: str  # the file it came from, for error messages
    data: dict[str, Any]

    def where(self, key: str) -> str:
        return f"{self.source}: {key}"


def template_path(form: str, override_dir: str | Path | None = None) -> Path:
    """The province's own file when MOTCUA_PDF_TEMPLATES has one, else the built-in one."""
    if form not in FORMS:
        raise TemplateError(f"no desk form {form!r} (forms are {', '.join(FORMS)})")
    name = f"mau_{form}.yaml"
    if override_dir:
        own = Path(override_dir) / name
        if own.is_file():
            return own
    return BUILTIN_DIR / name


def load(form: str, override_dir: str | Path | None = None) -> SlipTemplate:
    path = template_path(form, override_dir)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise TemplateError(f"{path.name}: cannot read the template ({err})") from err
    return parse(data, source=path.name, form=form)


def parse(data: Any, *, source: str, form: str | None = None) -> SlipTemplate:
    """Check a template's shape (not its placeholders: those need the form's context)."""
    _check(data, SCHEMA, source, "")
    for index, block in enumerate(data["blocks"]):
        kinds = [k for k in block if k in _BLOCKS]
        if len(kinds) != 1:
            raise TemplateError(f"{source}: blocks[{index}]: one of {', '.join(_BLOCKS)} expected, "
                                f"found {', '.join(map(str, block)) or 'nothing'}")
        _check(block, _BLOCKS[kinds[0]], source, f"blocks[{index}]")
    if form is not None and data["form"] != form:
        raise TemplateError(f"{source}: form: says {data['form']!r}, the file is for form {form!r}")
    return SlipTemplate(form=data["form"], source=source, data=data)


def _check(data: Any, schema: dict[str, Any], source: str, prefix: str) -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is None:
        return
    key = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    raise TemplateError(f"{source}: {key.lstrip('.') or '(top level)'}: {error.message}")


def fill(text: str, context: Mapping[str, Any], *, where: str) -> str:
    """Replace each ``{name.key}`` with its value from ``context``; an unknown name is an error."""

    def value(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None or not _NAME.fullmatch(name.strip()):
            raise TemplateError(f"{where}: {token!r} is not a placeholder (write {{{{ or }}}} for a brace)")
        found = lookup(context, name.strip())
        if found is _MISSING:
            raise TemplateError(f"{where}: unknown placeholder {{{name.strip()}}}")
        if isinstance(found, (Mapping, list, tuple)):
            raise TemplateError(f"{where}: {{{name.strip()}}} is a group of values, not a text")
        return "" if found is None else _printable(str(found))

    return _PLACEHOLDER.sub(value, text)


def _printable(value: str) -> str:
    """Tabs and control characters typed into a reason have no glyph: print a space instead."""
    return "".join(ch if ch == "\n" or ch.isprintable() else " " for ch in value)


_MISSING = object()


def lookup(context: Mapping[str, Any], name: str) -> Any:
    current: Any = context
    for part in name.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def known(context: Mapping[str, Any], name: str) -> bool:
    return lookup(context, name) is not _MISSING
