"""Result documents as data in the package: what ``procedure.yaml`` ``result.documents`` declares.

Each document names a template next to ``process.bpmn`` (the same YAML layout as the desk forms,
texts in Jinja: ``{{ ho_ten }}``, ``{{ ngay_sinh|ngay }}``) and the fields that fill it: a
placeholder name and the dotted path in the dossier's data it is read from (a form field such
as ``tre_em.ho_ten``, or a variable a script task assigns). Besides the declared placeholders a
template may use the names the product always gives (:data:`BUILTINS`: the dossier, the unit,
the number and date of issue, the signer).

Validation (:func:`check`) proves, with no web app, that the template exists and parses, that
it uses only declared or built-in names and known filters, and that every declared path exists
in some form of the package or starts with a variable a script assigns. Drawing the PDF is the
web app's part (webapp/pdf), with the filters defined here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

import jinja2
import jinja2.meta
import yaml
from jinja2 import nodes
from referencing import Registry
from referencing.exceptions import Unresolvable

from engine.forms import uri_for
from engine.model import BpmnModel
from engine.package import PackageSource
from engine.problems import Problem

# Names the product puts in every result document's context, whatever the procedure declares.
BUILTINS: dict[str, str] = {
    "dossier": "code, procedure, procedure_code",
    "unit": "name, code",
    "province": "",
    "number": "",
    "issued": "day, month, year, date",
    "signer": "title, name",
    "applicant": "",
    "tracking_url": "",
}
LOOP_NAMES = frozenset({"item", "row"})  # the item of a list block, the row of a table block
NAME_KEYS = frozenset({"when", "items", "rows"})  # keys whose value is a name, not a text
NOT_TEXT = frozenset({"document", "form", "orientation", "style", "align"})
_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


# --- filters: what a template may write after '|' besides Jinja's own --------------------------

def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def day_month_year(value: Any) -> str:
    """``2024-03-05`` -> ``05/03/2024``; anything else as it is (None prints nothing)."""
    if value is None or value == "":
        return ""
    found = _as_date(value)
    return found.strftime("%d/%m/%Y") if found else str(value)


def _tens_and_units(number: int, after_hundreds: bool) -> str:
    tens, units = divmod(number, 10)
    if tens == 0:
        return ("linh " if after_hundreds else "") + _DIGITS[units] if units else ""
    if tens == 1:
        head = "mười"
        tail = {0: "", 5: "lăm"}.get(units, _DIGITS[units])
    else:
        head = _DIGITS[tens] + " mươi"
        tail = {0: "", 1: "mốt", 4: "tư", 5: "lăm"}.get(units, _DIGITS[units])
    return f"{head} {tail}".strip()


def number_in_words(number: int) -> str:
    """0 <= number < 10000, read the Vietnamese way: 2024 -> "hai nghìn không trăm hai mươi tư"."""
    if number == 0:
        return "không"
    thousands, rest = divmod(number, 1000)
    hundreds, below = divmod(rest, 100)
    words = [f"{_DIGITS[thousands]} nghìn"] if thousands else []
    if hundreds or (thousands and below):
        words.append(f"{_DIGITS[hundreds]} trăm")
    if below:
        words.append(_tens_and_units(below, after_hundreds=bool(words)))
    return " ".join(words)


def date_in_words(value: Any) -> str:
    """``2024-03-15`` -> ``ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi tư``."""
    found = _as_date(value)
    if found is None or not 0 < found.year < 10000:
        return "" if value is None else str(value)
    month = "tư" if found.month == 4 else number_in_words(found.month)
    return f"ngày {number_in_words(found.day)} tháng {month} năm {number_in_words(found.year)}"


def address(value: Any) -> str:
    """An address group of the common form fragment (``dia-chi.schema.json``) as one line."""
    if isinstance(value, Mapping):
        parts = (value.get(k) for k in ("dia_chi_chi_tiet", "xa_phuong", "tinh_thanh"))
        return ", ".join(str(p) for p in parts if p)
    return "" if value is None else str(value)


def amount(value: Any) -> str:
    """1500000 -> ``1.500.000`` (the Vietnamese thousands separator)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    return f"{value:,.0f}".replace(",", ".")


FILTERS: dict[str, Callable[[Any], str]] = {
    "ngay": day_month_year, "ngay_chu": date_in_words, "dia_chi": address, "so_tien": amount,
}


# --- what a package declares ---------------------------------------------------------------------

def declared(metadata: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The result documents ``procedure.yaml`` declares (none: the generic result notice)."""
    result = (metadata or {}).get("result") or {}
    documents = result.get("documents") if isinstance(result, Mapping) else None
    return [dict(d) for d in documents or [] if isinstance(d, Mapping)]


def template_path(source: PackageSource, document: Mapping[str, Any]) -> str:
    return source.bpmn_prefix + str(document.get("template") or "")


def load_template(data: bytes) -> Any:
    """The template file's YAML (raises ``yaml.YAMLError`` or ``UnicodeDecodeError``)."""
    return yaml.safe_load(data.decode("utf-8"))


def texts(data: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) for every Jinja text of a template; names (``when``, ``items``) are given as
    ``{{ name }}`` so that one scan finds every name the template reads."""
    if isinstance(data, str):
        yield key, data
    elif isinstance(data, Mapping):
        for name, value in data.items():
            where = f"{key}.{name}" if key else str(name)
            if name in NAME_KEYS and isinstance(value, str):
                yield where, "{{ " + value + " }}"
            elif name not in NOT_TEXT:
                yield from texts(value, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from texts(value, f"{key}[{index}]")


class _AnyName(dict[str, Any]):
    """A filter or test table that knows every name: scanning a template must not fail on an unknown
    filter (Jinja's scan compiles), so that :func:`check` reports it with its own sentence."""

    def __contains__(self, key: object) -> bool:
        return True

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key) or str


_PARSER = jinja2.Environment()
_PARSER.filters = _AnyName(_PARSER.filters)
_PARSER.tests = _AnyName(_PARSER.tests)


def names_used(data: Any) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    """(name -> first key using it, filter -> first key using it, [(key, syntax error)])."""
    names: dict[str, str] = {}
    filters: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    for key, text in texts(data):
        try:
            tree = _PARSER.parse(text)
        except jinja2.TemplateError as err:
            errors.append((key, err.message or "syntax error"))
            continue
        for name in sorted(jinja2.meta.find_undeclared_variables(tree)):
            names.setdefault(name, key)
        for node in tree.find_all(nodes.Filter):
            filters.setdefault(node.name, key)
    return names, filters, errors


_RESULT_VARIABLE = re.compile(rb'resultVariable="([A-Za-z_][A-Za-z0-9_]*)"')


def assigned_by_process(model: BpmnModel, source: PackageSource) -> set[str]:
    """Every variable the process writes besides forms: what a script assigns (a simple scan of the
    assignments) and the result variable of a service task (a connector's answer)."""
    found: set[str] = {match.decode() for path in source.in_bpmn(".bpmn")
                       for match in _RESULT_VARIABLE.findall(source.files[path])}
    for element in model.elements.values():
        for _what, script in element.scripts:
            try:
                tree = ast.parse(script)
            except (SyntaxError, ValueError):
                continue  # reported by the script checks
            found.update(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return found


def _has_path(schema: Any, resolver: Any, parts: list[str], depth: int = 0) -> bool:
    if not parts:
        return True
    if depth > 64 or not isinstance(schema, Mapping):
        return False
    if isinstance(schema.get("$ref"), str):
        try:
            resolved = resolver.lookup(schema["$ref"])
        except (Unresolvable, ValueError):
            resolved = None
        if resolved is not None and _has_path(resolved.contents, resolved.resolver, parts, depth + 1):
            return True
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and parts[0] in properties \
            and _has_path(properties[parts[0]], resolver, parts[1:], depth + 1):
        return True
    if parts[0].isdigit() and _has_path(schema.get("items"), resolver, parts[1:], depth + 1):
        return True
    branches = [s for k in ("allOf", "anyOf", "oneOf") if isinstance(schema.get(k), list) for s in schema[k]]
    branches += [schema[k] for k in ("then", "else") if k in schema]
    return any(_has_path(branch, resolver, parts, depth + 1) for branch in branches)


def path_known(path: str, slug: str, form_docs: Mapping[str, Any], registry: Registry | None,
               script_names: set[str]) -> bool:
    """Whether ``path`` names a field of one of the package's forms or starts with a script's variable."""
    parts = path.split(".")
    if parts[0] in script_names:
        return True
    if registry is None:
        return True  # broken forms are reported on their own; their fields cannot be judged
    own = [(p, s) for p, s in form_docs.items() if p.startswith(slug + "/") and p.endswith(".schema.json")]
    return any(_has_path(schema, registry.resolver(base_uri=uri_for(path)), parts) for path, schema in own)


_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
BLOCK_KINDS = ("heading", "paragraph", "numbered", "fields", "list", "table", "signatures", "qr", "spacer")


def _shape_problem(data: Any) -> str | None:
    """The outline the desk-form layout needs (the web app checks every key when it draws)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("title"), str) \
            or not isinstance(data.get("header"), Mapping) or not isinstance(data.get("blocks"), list):
        return "title, header, blocks expected / cần title, header, blocks"
    for index, block in enumerate(data["blocks"]):
        kinds = [k for k in block if k in BLOCK_KINDS] if isinstance(block, Mapping) else []
        if len(kinds) != 1:
            return f"blocks[{index}]: one of {', '.join(BLOCK_KINDS)} expected / cần một trong các loại trên"
    return None


def check(source: PackageSource, metadata: Mapping[str, Any] | None, form_docs: Mapping[str, Any],
          registry: Registry | None, model: BpmnModel) -> list[Problem]:
    """Every problem with the package's result documents (template, placeholders, paths)."""
    problems: list[Problem] = []
    meta_path = source.metadata_path or source.bpmn_prefix + "procedure.yaml"
    script_names = assigned_by_process(model, source)
    known_filters = set(dict(jinja2.Environment().filters)) | set(FILTERS)
    for document in declared(metadata):
        key = str(document.get("key") or "")
        path = template_path(source, document)
        fields: Mapping[str, Any] = document.get("fields") or {}
        for placeholder, dotted in fields.items():
            if placeholder in BUILTINS or placeholder in LOOP_NAMES:
                problems.append(Problem(meta_path, None, "result_field_reserved",
                                        {"document": key, "placeholder": placeholder,
                                         "reserved": ", ".join(sorted(BUILTINS))}))
            elif not path_known(str(dotted), source.slug, form_docs, registry, script_names):
                problems.append(Problem(meta_path, None, "result_field_unknown",
                                        {"document": key, "placeholder": placeholder, "path": dotted,
                                         "variable": str(dotted).split(".")[0]}))
        if path not in source.files:
            problems.append(Problem(meta_path, None, "result_template_missing",
                                    {"document": key, "template": document.get("template")}))
            continue
        try:
            data = load_template(source.files[path])
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            problems.append(Problem(path, None, "result_template_invalid", {"detail": str(err).splitlines()[0]}))
            continue
        shape = _shape_problem(data)
        if shape:
            problems.append(Problem(path, None, "result_template_invalid", {"detail": shape}))
            continue
        names, filters, errors = names_used(data)
        for where, detail in errors:
            problems.append(Problem(path, None, "result_template_invalid", {"detail": f"{where}: {detail}"}))
        allowed = set(fields) | set(BUILTINS) | LOOP_NAMES
        for name, where in sorted(names.items()):
            if name not in allowed:
                problems.append(Problem(path, None, "result_placeholder_undeclared",
                                        {"document": key, "placeholder": name, "where": where}))
        for name, where in sorted(filters.items()):
            if name not in known_filters:
                problems.append(Problem(path, None, "result_filter_unknown",
                                        {"filter": name, "where": where, "known": ", ".join(sorted(FILTERS))}))
    return problems


# --- filling -------------------------------------------------------------------------------------

def lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``dotted`` in the dossier's data; None where a part is missing."""
    current: Any = data
    for part in dotted.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def values(document: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared placeholder with its value read from the dossier's data."""
    return {name: lookup(data, str(path)) for name, path in (document.get("fields") or {}).items()
            if _IDENTIFIER.match(name)}
