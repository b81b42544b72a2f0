"""A form's top-level fields as a plain table a non-programmer can edit, and back to JSON Schema + UI schema.

A row is one top-level property. The simple kinds (text, long text, number, date, choice, yes/no) are
edited in place; anything else (a ``$ref`` to a forms/common fragment, an inline group, a list) is a
*group* row: it can be moved, removed or made required, but its schema is kept exactly as it was, by
reference. Keywords the table does not show (``maxLength``, ``pattern``, ``x-prefill``, conditions...)
are kept while a field keeps its kind, so editing a label never loses a rule written in JSON mode.

Pure functions on dicts: the page posts the rows and the JSON they were read from, and gets them back.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("text", "longtext", "number", "date", "select", "yesno")
KIND_LABELS = {
    "text": ("Chữ (một dòng)", "Text (one line)"),
    "longtext": ("Đoạn văn (nhiều dòng)", "Long text"),
    "number": ("Số", "Number"),
    "date": ("Ngày", "Date"),
    "select": ("Chọn một trong danh sách", "Choice from a list"),
    "yesno": ("Có / Không", "Yes / no"),
    "group": ("Nhóm trường (giữ nguyên)", "Group of fields (kept as is)"),
}
MAX_ROWS = 200
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
# What a kind owns in the schema: switching kinds drops these so nothing of the old kind lingers.
_KIND_KEYWORDS = ("type", "format", "enum", "oneOf", "anyOf", "const", "minimum", "maximum", "exclusiveMinimum",
                  "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern")
_ROW_FIELDS = ("key", "original", "label", "kind", "help", "options")


@dataclass
class Row:
    key: str
    label: str = ""
    kind: str = "text"
    help: str = ""
    required: bool = False
    options: str = ""  # one choice a line: "value = Label"
    original: str = ""  # the key this row was read as; empty for a new row
    note: str = ""  # for group rows: where the fields come from

    @property
    def editable(self) -> bool:
        return self.kind in KINDS


@dataclass
class RowProblem:
    index: int | None
    vi: str
    en: str

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


# --- schema -> rows --------------------------------------------------------------------------------

def rows_from_schema(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> list[Row]:
    properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    rows = []
    for key in _ordered(list(properties), ui.get("ui:order")):
        prop = properties[key] if isinstance(properties[key], Mapping) else {}
        entry = ui.get(key) if isinstance(ui.get(key), Mapping) else {}
        kind = kind_of(prop, entry)
        help_text = entry.get("ui:help") if isinstance(entry.get("ui:help"), str) else prop.get("description")
        row = Row(key=key, original=key, label=str(prop.get("title") or ""), kind=kind,
                  help=help_text if isinstance(help_text, str) else "", required=key in required)
        if kind == "select":
            row.options = "\n".join(f"{value} = {label}" for value, label in _choices(prop, entry))
        if kind == "group":
            ref = prop.get("$ref")
            row.note = ref.split("#", 1)[0].removeprefix("../") if isinstance(ref, str) else ""
        rows.append(row)
    return rows


def _ordered(names: list[str], order: Any) -> list[str]:
    """``ui:order`` first (skipping names it does not have), then the rest in schema order."""
    if not isinstance(order, list):
        return names
    first = [n for n in order if isinstance(n, str) and n in names]
    return list(dict.fromkeys(first + [n for n in names if n not in first]))


def kind_of(prop: Mapping[str, Any], ui_entry: Mapping[str, Any]) -> str:
    if "$ref" in prop or "properties" in prop or "items" in prop or "allOf" in prop:
        return "group"
    kind = prop.get("type")
    if kind == "boolean":
        return "yesno"
    if kind in ("number", "integer"):
        return "number"
    if kind != "string":
        return "group"
    if "enum" in prop or _const_list(prop.get("oneOf")):
        return "select"
    if prop.get("format") == "date":
        return "date"
    if ui_entry.get("ui:widget") == "textarea":
        return "longtext"
    return "text"


def _const_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(o, Mapping) and "const" in o for o in value)


def _choices(prop: Mapping[str, Any], entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    if _const_list(prop.get("oneOf")):
        return [(str(o["const"]), str(o.get("title") or o["const"])) for o in prop["oneOf"]]
    values = [str(v) for v in prop.get("enum") or []]
    names = entry.get("ui:enumNames")
    if isinstance(names, list) and len(names) == len(values):
        return list(zip(values, (str(n) for n in names), strict=True))
    return [(v, v) for v in values]


# --- posted rows -------------------------------------------------------------------------------------

def rows_from_post(form: Mapping[str, Any]) -> list[Row]:
    """Rows as posted: ``rows-<i>-key`` ... for i below ``rows-count`` (a werkzeug MultiDict or a dict)."""
    try:
        count = min(int(str(form.get("rows-count", "0"))), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for index in range(max(count, 0)):
        values = {name: str(form.get(f"rows-{index}-{name}", "") or "").strip() for name in _ROW_FIELDS}
        if not any(values.values()):
            continue
        kind = values["kind"] if values["kind"] in (*KINDS, "group") else "text"
        rows.append(Row(key=values["key"], original=values["original"], label=values["label"], kind=kind,
                        help=values["help"], options=values["options"].replace("\r\n", "\n"),
                        required=form.get(f"rows-{index}-required") in ("on", "true", "1")))
    return rows


def row_action(form: Mapping[str, Any]) -> tuple[str, int] | None:
    """("add", -1), ("remove", i), ("up", i) or ("down", i) when one of the table's buttons was pressed."""
    if form.get("row-add") is not None:
        return "add", -1
    raw = str(form.get("row-action") or "")
    verb, _, index = raw.partition(":")
    if verb in ("remove", "up", "down") and index.isdigit():
        return verb, int(index)
    return None


def apply_action(rows: list[Row], action: tuple[str, int]) -> list[Row]:
    verb, index = action
    rows = list(rows)
    if verb == "add":
        if len(rows) < MAX_ROWS:
            rows.append(Row(key="", kind="text"))
        return rows
    if not 0 <= index < len(rows):
        return rows
    if verb == "remove":
        del rows[index]
    elif verb == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return rows


# --- rows -> schema ---------------------------------------------------------------------------------

def make_key(label: str, taken: set[str]) -> str:
    """A snake_case key from a Vietnamese label: "Ngày cấp" -> "ngay_cap" (unique in ``taken``)."""
    text = label.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    key = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:50] or "truong"
    if not key[0].isalpha():
        key = "truong_" + key
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}_{n}", n + 1
    return candidate


def parse_options(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """"value = Label" lines (or just "Label": the value is made from it) and the lines that are wrong."""
    choices: list[tuple[str, str]] = []
    bad: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        value, sep, label = line.partition("=")
        value, label = value.strip(), label.strip()
        if not sep:
            value, label = make_key(line, {v for v, _ in choices}), line
        if not value or not label:
            bad.append(line)
        else:
            choices.append((value, label))
    return choices, bad


def build(schema: Mapping[str, Any], ui: Mapping[str, Any], rows: list[Row]) -> Table:
    """New (schema, ui) for ``rows`` over the documents they were read from; ``problems`` when rows are wrong.

    Returns the rows with generated keys filled in; the caller calls :func:`apply` when there is no problem.
    """
    table = Table()
    taken: set[str] = set()
    base_properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    for index, row in enumerate(rows):
        row = copy.copy(row)
        number = index + 1
        if row.kind == "group" and row.original not in base_properties:
            table.problems.append(RowProblem(index, f"Dòng {number}: nhóm trường “{row.key}” không còn trong biểu mẫu.",
                                             f"Row {number}: the group “{row.key}” is no longer in the form."))
        if row.kind == "group":
            row.key = row.original
        if not row.label and row.kind != "group":
            table.problems.append(RowProblem(index, f"Dòng {number}: nhập tên trường (nhãn người dân đọc).",
                                             f"Row {number}: enter the field's label."))
        if not row.key and row.label:
            row.key = make_key(row.label, taken | {r.key for r in rows})
        if not KEY_PATTERN.fullmatch(row.key or ""):
            table.problems.append(RowProblem(
                index,
                f"Dòng {number}: mã trường “{row.key}” chỉ gồm chữ thường không dấu, số và dấu _, bắt đầu bằng chữ.",
                f"Row {number}: the key “{row.key}” must be lower-case letters, digits and _, starting with a letter."))
        elif row.key in taken:
            table.problems.append(RowProblem(index, f"Dòng {number}: mã trường “{row.key}” bị trùng.",
                                             f"Row {number}: the key “{row.key}” is used twice."))
        taken.add(row.key)
        if row.kind == "select":
            choices, bad = parse_options(row.options)
            if not choices:
                table.problems.append(RowProblem(index, f"Dòng {number}: trường chọn cần ít nhất một lựa chọn.",
                                                 f"Row {number}: a choice field needs at least one option."))
            for line in bad:
                table.problems.append(RowProblem(index, f"Dòng {number}: lựa chọn “{line}” phải có dạng “mã = Nhãn”.",
                                                 f"Row {number}: the option “{line}” must read “value = Label”."))
            if len({v for v, _ in choices}) != len(choices):
                table.problems.append(RowProblem(index, f"Dòng {number}: hai lựa chọn trùng mã.",
                                                 f"Row {number}: two options have the same value."))
        table.rows.append(row)
    return table


def apply(schema: Mapping[str, Any], ui: Mapping[str, Any], rows: list[Row]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schema and UI schema with exactly ``rows`` as top-level fields (rows already checked by :func:`build`)."""
    new_schema = copy.deepcopy(dict(schema))
    new_ui = copy.deepcopy(dict(ui))
    base_properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    properties: dict[str, Any] = {}
    keys = [r.key for r in rows]
    for row in rows:
        base = base_properties.get(row.original)
        base = copy.deepcopy(dict(base)) if isinstance(base, Mapping) else {}
        entry = new_ui.pop(row.original, None) if row.original else None
        entry = dict(entry) if isinstance(entry, Mapping) else {}
        if row.kind == "group":  # kept by reference; only its own title (next to a $ref, it wins) changes
            if row.label:
                base["title"] = row.label
            properties[row.key] = base
        else:
            properties[row.key] = _field_schema(base, entry, row)
            entry = _field_ui(entry, base, row)
        if entry:
            new_ui[row.key] = entry
    removed_keys = set(base_properties) - {r.original for r in rows}
    for removed in removed_keys:
        new_ui.pop(removed, None)
    _forget_in_conditions(new_schema, removed_keys)
    new_schema["type"] = "object"
    new_schema["properties"] = properties
    # Names required at the top but defined elsewhere (e.g. only under a condition) are not rows: keep them.
    elsewhere = [k for k in schema.get("required") or [] if isinstance(k, str) and k not in base_properties]
    required = list(dict.fromkeys([r.key for r in rows if r.required] + elsewhere))
    if required:
        new_schema["required"] = required
    else:
        new_schema.pop("required", None)
    new_ui["ui:order"] = keys
    renamed = {r.original: r.key for r in rows if r.original}
    if isinstance(new_ui.get("ui:steps"), list):
        for step in new_ui["ui:steps"]:
            if isinstance(step, dict) and isinstance(step.get("fields"), list):
                step["fields"] = [renamed[f] for f in step["fields"] if f in renamed]
    return new_schema, new_ui


_BRANCHES = ("then", "else")
_GROUPS = ("allOf", "anyOf", "oneOf")


def _forget_in_conditions(schema: dict[str, Any], removed: set[str]) -> None:
    """A removed field leaves the conditions that would ask for it or draw it (``then``/``else``
    requiring or describing it, ``dependentRequired``), so no form keeps a ghost of it. A
    condition that *tests* the field (its ``if``) is left alone: the whole rule needs a person."""
    if not removed:
        return
    for branch in _BRANCHES:
        part = schema.get(branch)
        if isinstance(part, dict):
            if isinstance(part.get("required"), list):
                part["required"] = [k for k in part["required"] if k not in removed]
                if not part["required"]:
                    part.pop("required")
            if isinstance(part.get("properties"), dict):
                for key in removed:
                    part["properties"].pop(key, None)
            _forget_in_conditions(part, removed)
    for group in _GROUPS:
        for part in schema.get(group) or []:
            if isinstance(part, dict):
                _forget_in_conditions(part, removed)
    dependent = schema.get("dependentRequired")
    if isinstance(dependent, dict):
        for key in list(dependent):
            if key in removed:
                dependent.pop(key)
            elif isinstance(dependent[key], list):
                dependent[key] = [k for k in dependent[key] if k not in removed]


def _field_schema(base: dict[str, Any], entry: Mapping[str, Any], row: Row) -> dict[str, Any]:
    out = dict(base)
    if kind_of(base, entry) != row.kind if base else True:
        for keyword in _KIND_KEYWORDS:
            out.pop(keyword, None)
    out["title"] = row.label
    if "description" in base and "ui:help" not in entry:  # the help text lives where it was read from
        if row.help:
            out["description"] = row.help
        else:
            out.pop("description")
    if row.kind in ("text", "longtext", "date", "select"):
        out["type"] = "string"
    if row.kind == "date":
        out["format"] = "date"
    elif row.kind == "number":
        out["type"] = out.get("type") if out.get("type") in ("number", "integer") else "number"
    elif row.kind == "yesno":
        out["type"] = "boolean"
    elif row.kind == "select":
        choices, _ = parse_options(row.options)
        out.pop("oneOf", None)
        out["enum"] = [value for value, _ in choices]
    return out


def _field_ui(entry: dict[str, Any], base: Mapping[str, Any], row: Row) -> dict[str, Any]:
    entry = dict(entry)
    if not ("description" in base and "ui:help" not in entry):
        if row.help:
            entry["ui:help"] = row.help
        else:
            entry.pop("ui:help", None)
    if row.kind == "longtext":
        entry["ui:widget"] = "textarea"
    elif entry.get("ui:widget") == "textarea":
        del entry["ui:widget"]
    if row.kind == "select":
        choices, _ = parse_options(row.options)
        entry["ui:enumNames"] = [label for _, label in choices]
    else:
        entry.pop("ui:enumNames", None)
    if row.kind == "yesno" and entry.get("ui:widget") not in ("checkbox", "radio"):
        entry["ui:widget"] = "radio"
    if row.kind != "yesno" and entry.get("ui:widget") in ("checkbox",):
        del entry["ui:widget"]
    return entry
