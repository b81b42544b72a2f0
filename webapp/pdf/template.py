"""Desk-form layouts as data: one YAML file per form (``templates/mau_01.yaml`` ... ``mau_07.yaml``).

A province changes the wording or layout of a form by putting its own ``mau_NN.yaml`` in the
folder named by MOTCUA_PDF_TEMPLATES; forms it does not override come from this package. Every
file is checked against :data:`SCHEMA` when loaded, and every text is a Jinja template filled in
Jinja's sandbox (``{{ dossier.code }}``, ``{{ reason|upper }}``, ``{% if note %}...{% endif %}``):
names are looked up in the plain dicts of strings the code puts in the context, never as
attributes of objects, an unknown name is an error (never an empty string), and anything the
sandbox refuses (``{{ ''.__class__ }}``) is an error too, so a template can only show what the
code chose to give it. Every mistake raises :class:`TemplateError` naming the file and the key.

Templates written before Jinja used ``{name}`` and ``{{`` for a literal brace. A province file
that still has ``{name}`` placeholders and no Jinja tags is converted when loaded, with a
deprecation note (``motcua pdf-templates check`` prints it and the log has it once); a file that
mixes both forms is refused, since ``{{x}}`` means a brace in one and a value in the other.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jsonschema
import yaml
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from engine import result_documents

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
FORMS = ("01", "02", "03", "04", "05", "06", "07")

log = logging.getLogger(__name__)

# The syntax before Jinja: {name} or {name.sub.key}; "{{" and "}}" stood for literal braces.
_LEGACY_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_LEGACY_PLACEHOLDER = re.compile(r"(?<!\{)\{\s*[a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*\s*\}(?!\})")
_JINJA_TAG = re.compile(r"\{\{\s|\{%|\{#")
_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*")
_NOT_TEXT = frozenset({"form", "document", "orientation", "when", "style", "align", "items", "rows"})  # names
MAX_TEXT = 20_000  # characters one filled text may have: '*' cannot blow a form up

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


# A result document's template (procedure.yaml result.documents): the same layout, named by the
# package instead of a desk-form number (``document:`` is optional, a label for people).
DOCUMENT_SCHEMA: dict[str, Any] = {
    **SCHEMA,
    "required": ["title", "header", "blocks"],
    "properties": {**{k: v for k, v in SCHEMA["properties"].items() if k != "form"},
                   "document": {"type": "string"}},
}


class TemplateError(ValueError):
    """A desk-form template that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SlipTemplate:
    form: str
    source: str  # the file it came from, for error messages
    data: dict[str, Any]  # texts in Jinja syntax (a legacy file's already converted)
    notes: tuple[str, ...] = ()  # deprecations: the file works, but should be changed

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


def load(form: str, override_dir: str | Path | None = None, *, log_notes: bool = True) -> SlipTemplate:
    """The form's template, checked; its deprecation notes go to the log unless the caller shows them."""
    path = template_path(form, override_dir)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise TemplateError(f"{path.name}: cannot read the template ({err})") from err
    loaded = parse(data, source=path.name, form=form)
    for note in loaded.notes if log_notes else ():
        _note_once(path, note)
    return loaded


_noted: set[tuple[Path, float]] = set()


def _note_once(path: Path, note: str) -> None:
    """A deprecation goes to the log once per file version and process, not at every PDF."""
    try:
        key = (path, path.stat().st_mtime)
    except OSError:
        return
    if key not in _noted:
        _noted.add(key)
        log.warning("%s", note)


def parse_document(data: Any, *, source: str) -> SlipTemplate:
    """A result document's template (engine/result_documents.py), checked like a desk form's."""
    return parse(data, source=source, schema=DOCUMENT_SCHEMA)


def parse(data: Any, *, source: str, form: str | None = None, schema: dict[str, Any] = SCHEMA) -> SlipTemplate:
    """Check a template's shape and the syntax of its texts (not the names: those need the form's context)."""
    _check(data, schema, source, "")
    for index, block in enumerate(data["blocks"]):
        kinds = [k for k in block if k in _BLOCKS]
        if len(kinds) != 1:
            raise TemplateError(f"{source}: blocks[{index}]: one of {', '.join(_BLOCKS)} expected, "
                                f"found {', '.join(map(str, block)) or 'nothing'}")
        _check(block, _BLOCKS[kinds[0]], source, f"blocks[{index}]")
    if form is not None and data["form"] != form:
        raise TemplateError(f"{source}: form: says {data['form']!r}, the file is for form {form!r}")
    notes: tuple[str, ...] = ()
    texts = list(_texts(data))
    legacy = [key for key, text in texts if _LEGACY_PLACEHOLDER.search(text)]
    if legacy:
        jinja = [key for key, text in texts if _JINJA_TAG.search(text)]
        if jinja:
            raise TemplateError(f"{source}: {legacy[0]}: an old {{name}} placeholder in a file that uses Jinja "
                                f"(at {jinja[0]}); write {{{{ name }}}} (a literal brace: {{{{ '{{' }}}})")
        data = _convert(data, source, "")
        notes = (f"{source}: placeholders in the old {{name}} form are deprecated; they are read as "
                 f"{{{{ name }}}} (Jinja) for now: write them that way ({legacy[0]}, ...)",)
    for key, text in _texts(data):
        _compiled(text, f"{source}: {key}")  # a syntax error is named when the file is loaded
    return SlipTemplate(form=str(data.get("form") or data.get("document") or ""), source=source, data=data,
                        notes=notes)


def _texts(data: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) for every text of a template that is filled (not names such as ``when``)."""
    if isinstance(data, str):
        yield key, data
    elif isinstance(data, Mapping):
        for name, value in data.items():
            if name not in _NOT_TEXT:
                yield from _texts(value, f"{key}.{name}" if key else str(name))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _texts(value, f"{key}[{index}]")


def _convert(data: Any, source: str, key: str) -> Any:
    """A legacy template with each text rewritten in Jinja syntax."""
    if isinstance(data, str):
        return from_legacy(data, where=f"{source}: {key}")
    if isinstance(data, Mapping):
        return {name: value if name in _NOT_TEXT else _convert(value, source, f"{key}.{name}" if key else str(name))
                for name, value in data.items()}
    if isinstance(data, list):
        return [_convert(value, source, f"{key}[{index}]") for index, value in enumerate(data)]
    return data


def from_legacy(text: str, *, where: str) -> str:
    """``{name.key}`` -> ``{{ name.key }}``; ``{{`` and ``}}`` (literal braces) -> ``{{ '{' }}`` and ``{{ '}' }}``."""

    def token(match: re.Match[str]) -> str:
        found = match.group(0)
        if found in ("{{", "}}"):
            return "{{ '" + found[0] + "' }}"
        name = match.group(1)
        if name is None or not _NAME.fullmatch(name.strip()):
            raise TemplateError(f"{where}: {found!r} is not a placeholder (write {{{{ or }}}} for a brace)")
        return "{{ " + name.strip() + " }}"

    return _LEGACY_TOKEN.sub(token, text)


def _check(data: Any, schema: dict[str, Any], source: str, prefix: str) -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is None:
        return
    key = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    raise TemplateError(f"{source}: {key.lstrip('.') or '(top level)'}: {error.message}")


def fill(text: str, context: Mapping[str, Any], *, where: str) -> str:
    """``text`` (a Jinja template) filled from ``context`` in the sandbox; any mistake is a :class:`TemplateError`."""
    template = _compiled(text, where)
    try:
        filled = template.render({name: _wrap(value, name) for name, value in context.items()})
    except _GroupValue as err:
        raise TemplateError(f"{where}: {{{{ {err} }}}} is a group of values, not a text") from None
    except SecurityError as err:
        raise TemplateError(f"{where}: refused by the template sandbox: {err}") from None
    except jinja2.UndefinedError as err:
        raise TemplateError(f"{where}: {err.message}") from None
    except jinja2.TemplateError as err:
        raise TemplateError(f"{where}: {err.message or type(err).__name__}") from None
    except Exception as err:  # noqa: BLE001 - '1 + "a"', a filter on the wrong value... (no data in the message)
        raise TemplateError(f"{where}: an expression failed ({type(err).__name__})") from None
    if len(filled) > MAX_TEXT:
        raise TemplateError(f"{where}: more than {MAX_TEXT} characters once filled")
    return filled


def _printable(value: str) -> str:
    """Tabs and control characters typed into a reason have no glyph: print a space instead."""
    return "".join(ch if ch == "\n" or ch.isprintable() else " " for ch in value)


class _GroupValue(Exception):
    """A placeholder that names a group (a dict or a list) where a text is expected."""


class _Group(Mapping[str, Any]):
    """A dict of the context seen from a template: knows its dotted path, for error messages."""

    __slots__ = ("_data", "path")

    def __init__(self, data: Mapping[str, Any], path: str):
        self._data, self.path = data, path

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key], f"{self.path}.{key}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class _List(Sequence[Any]):
    """A list of the context (``components``, ``rows``) seen from a template."""

    __slots__ = ("_data", "path")

    def __init__(self, data: Sequence[Any], path: str):
        self._data, self.path = data, path

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return _List(self._data[index], self.path)
        return _wrap(self._data[index], f"{self.path}[{index}]")

    def __len__(self) -> int:
        return len(self._data)


def _wrap(value: Any, path: str) -> Any:
    if isinstance(value, Mapping):
        return _Group(value, path)
    if isinstance(value, (list, tuple)):
        return _List(value, path)
    return value


class _Undefined(jinja2.StrictUndefined):
    """Using a name the context lacks fails at once, naming it as the template wrote it."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:  # the sandbox's own refusal ("access to attribute ... is unsafe")
            return self._undefined_hint
        owner = self._undefined_obj
        if owner is jinja2.utils.missing:
            return f"unknown placeholder {{{{ {self._undefined_name} }}}}"
        if isinstance(owner, (_Group, _List)):
            return f"unknown placeholder {{{{ {owner.path}.{self._undefined_name} }}}}"
        return f"a {type(owner).__name__} value has no {self._undefined_name!r}"


def _finalize(value: Any) -> str:
    """What ``{{ ... }}`` prints: a text (None prints nothing), never a group of values."""
    if value is None:
        return ""
    if isinstance(value, (_Group, _List)):
        raise _GroupValue(value.path)
    if isinstance(value, (Mapping, list, tuple)):
        raise _GroupValue("...")
    return _printable(str(value))


class _FormEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, narrowed: dicts give their items only (``dossier.items`` is a key, not
    the method), attributes are read from strings (``applicant.upper()``) and ``loop`` only, and
    ``*`` cannot build a text or list longer than a form can hold."""

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping):
            return obj[argument] if argument in obj else self.undefined(obj=obj, name=str(argument))
        return super().getitem(obj, argument)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return isinstance(obj, (str, LoopContext)) and super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("'**' is not available in desk-form templates")
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, (str, _List, list, tuple)) and isinstance(count, int):
                if len(sequence) * count > MAX_TEXT:
                    raise SecurityError(f"'*' would make more than {MAX_TEXT} characters or items")
                return (list(sequence) if isinstance(sequence, _List) else sequence) * count
        return left * right


_ENVIRONMENT = _FormEnvironment(autoescape=False, undefined=_Undefined, finalize=_finalize,
                                keep_trailing_newline=True, auto_reload=False)
_ENVIRONMENT.globals.clear()  # the context is the whole vocabulary (no range, dict, lipsum...)
_ENVIRONMENT.filters.update(result_documents.FILTERS)  # |ngay, |ngay_chu, |dia_chi, |so_tien


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> jinja2.Template:
    return _ENVIRONMENT.from_string(text)


def _compiled(text: str, where: str) -> jinja2.Template:
    try:
        return _compile(text)
    except jinja2.TemplateSyntaxError as err:
        line = f" (line {err.lineno})" if "\n" in text.strip() else ""
        raise TemplateError(f"{where}: {err.message}{line}") from None


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
