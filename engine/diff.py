"""What changed between two versions of a procedure, in words a designer or a leader reads:
steps, form fields, dossier components, processing time and fees (not only XML lines).

Each change is a ``Change(kind, subject, vi, en)``; ``kind`` is added / removed / changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.compiler import Procedure
from engine.model import HUMAN_TASK_TAGS


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    area: str  # step | field | component | deadline | fee
    subject: str  # element id, field path, component or fee key
    vi: str
    en: str


def _text(value: Any) -> str:
    return value.get("vi", "") if isinstance(value, dict) else str(value or "")


def compare(old: Procedure, new: Procedure) -> list[Change]:
    return [*_steps(old, new), *_fields(old, new), *_components(old, new), *_deadline(old, new), *_fees(old, new)]


def _human_steps(procedure: Procedure) -> dict[str, Any]:
    return {e.id: e for e in procedure.elements.values() if e.tag in HUMAN_TASK_TAGS}


def _steps(old: Procedure, new: Procedure) -> list[Change]:
    before, after = _human_steps(old), _human_steps(new)
    out = []
    for key in sorted(before.keys() - after.keys()):
        out.append(Change("removed", "step", key, f"Bỏ bước “{before[key].label}”.",
                          f"Step “{before[key].label}” removed."))
    for key in sorted(after.keys() - before.keys()):
        out.append(Change("added", "step", key, f"Thêm bước “{after[key].label}” ({after[key].lane or '-'}).",
                          f"Step “{after[key].label}” added ({after[key].lane or '-'})."))
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if a.label != b.label:
            out.append(Change("changed", "step", key, f"Đổi tên bước “{a.label}” thành “{b.label}”.",
                              f"Step “{a.label}” renamed to “{b.label}”."))
        if a.lane != b.lane:
            out.append(Change("changed", "step", key, f"Bước “{b.label}” chuyển từ làn {a.lane} sang {b.lane}.",
                              f"Step “{b.label}” moved from lane {a.lane} to {b.lane}."))
        deadline_a, deadline_b = a.properties.get("stepDeadline"), b.properties.get("stepDeadline")
        if deadline_a != deadline_b:
            out.append(Change("changed", "step", key,
                              f"Hạn của bước “{b.label}”: {deadline_a or 'không có'} → {deadline_b or 'không có'}.",
                              f"Deadline of step “{b.label}”: {deadline_a or 'none'} → {deadline_b or 'none'}."))
    return out


def _field_map(schema: Any, prefix: str = "") -> dict[str, tuple[str, bool]]:
    """Every field written in the form itself: path -> (title, required)."""
    out: dict[str, tuple[str, bool]] = {}
    if not isinstance(schema, dict):
        return out
    required = set(schema.get("required") or [])
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        path = f"{prefix}{name}"
        out[path] = (str(prop.get("title") or name), name in required)
        out.update(_field_map(prop, path + "."))
    return out


def _own_forms(procedure: Procedure) -> dict[str, Any]:
    """The procedure's own forms by name (``to-khai``); shared fragments are compared where used."""
    prefix = procedure.slug + "/"
    return {path.removeprefix(prefix).removesuffix(".schema.json"): form
            for path, form in procedure.forms.items() if path.startswith(prefix)}


def _fields(old: Procedure, new: Procedure) -> list[Change]:
    out = []
    old_forms, new_forms = _own_forms(old), _own_forms(new)
    for form_name in sorted(set(old_forms) | set(new_forms)):
        if form_name not in new_forms:
            out.append(Change("removed", "field", form_name, f"Bỏ biểu mẫu {form_name}.", f"Form {form_name} removed."))
            continue
        if form_name not in old_forms:
            out.append(Change("added", "field", form_name, f"Thêm biểu mẫu {form_name}.", f"Form {form_name} added."))
            continue
        before, after = _field_map(old_forms[form_name].schema), _field_map(new_forms[form_name].schema)
        for path in sorted(before.keys() - after.keys()):
            out.append(Change("removed", "field", f"{form_name}:{path}",
                              f"Biểu mẫu {form_name}: bỏ trường “{before[path][0]}”.",
                              f"Form {form_name}: field “{before[path][0]}” removed."))
        for path in sorted(after.keys() - before.keys()):
            out.append(Change("added", "field", f"{form_name}:{path}",
                              f"Biểu mẫu {form_name}: thêm trường “{after[path][0]}”"
                              f"{' (bắt buộc)' if after[path][1] else ''}.",
                              f"Form {form_name}: field “{after[path][0]}” added"
                              f"{' (required)' if after[path][1] else ''}."))
        for path in sorted(before.keys() & after.keys()):
            if before[path][1] != after[path][1]:
                now = ("bắt buộc", "required") if after[path][1] else ("không bắt buộc", "optional")
                out.append(Change("changed", "field", f"{form_name}:{path}",
                                  f"Biểu mẫu {form_name}: trường “{after[path][0]}” nay {now[0]}.",
                                  f"Form {form_name}: field “{after[path][0]}” is now {now[1]}."))
    return out


def _components(old: Procedure, new: Procedure) -> list[Change]:
    before = {c["key"]: c for c in old.metadata.get("components", [])}
    after = {c["key"]: c for c in new.metadata.get("components", [])}
    out = []
    for key in sorted(before.keys() - after.keys()):
        name = _text(before[key]["name"])
        out.append(Change("removed", "component", key, f"Bỏ thành phần hồ sơ “{name}”.",
                          f"Dossier component “{name}” removed."))
    for key in sorted(after.keys() - before.keys()):
        name = _text(after[key]["name"])
        out.append(Change("added", "component", key, f"Thêm thành phần hồ sơ “{name}”.",
                          f"Dossier component “{name}” added."))
    for key in sorted(before.keys() & after.keys()):
        if before[key].get("required") != after[key].get("required"):
            name = _text(after[key]["name"])
            now = ("bắt buộc", "required") if after[key].get("required") else ("không bắt buộc", "optional")
            out.append(Change("changed", "component", key, f"Thành phần “{name}” nay {now[0]}.",
                              f"Component “{name}” is now {now[1]}."))
    return out


def _deadline(old: Procedure, new: Procedure) -> list[Change]:
    a, b = old.metadata.get("processing_time") or {}, new.metadata.get("processing_time") or {}
    if (a.get("amount"), a.get("unit")) == (b.get("amount"), b.get("unit")):
        return []
    units = {"working_days": ("ngày làm việc", "working days"), "working_hours": ("giờ làm việc", "working hours")}
    unit_a, unit_b = units.get(str(a.get("unit")), ("", "")), units.get(str(b.get("unit")), ("", ""))
    return [Change("changed", "deadline", "processing_time",
                   f"Thời hạn giải quyết: {a.get('amount')} {unit_a[0]} → {b.get('amount')} {unit_b[0]}.",
                   f"Processing time: {a.get('amount')} {unit_a[1]} → {b.get('amount')} {unit_b[1]}.")]


def _fees(old: Procedure, new: Procedure) -> list[Change]:
    before = {f["key"]: f for f in old.metadata.get("fees", [])}
    after = {f["key"]: f for f in new.metadata.get("fees", [])}
    out = []
    for key in sorted(before.keys() - after.keys()):
        out.append(Change("removed", "fee", key, f"Bỏ khoản phí “{_text(before[key]['name'])}”.",
                          f"Fee “{_text(before[key]['name'])}” removed."))
    for key in sorted(after.keys() - before.keys()):
        name, amount = _text(after[key]["name"]), after[key]["amount"]
        out.append(Change("added", "fee", key, f"Thêm khoản phí “{name}”: {amount} đồng.",
                          f"Fee “{name}” added: {amount} VND."))
    for key in sorted(before.keys() & after.keys()):
        for field, vi, en in FEE_FIELDS:
            a, b = _amount(before[key].get(field)), _amount(after[key].get(field))
            if a != b:
                name = _text(after[key]["name"])
                out.append(Change("changed", "fee", key, f"“{name}”, {vi}: {a} → {b} đồng.",
                                  f"“{name}”, {en}: {a} → {b} VND."))
    return out


FEE_FIELDS = (("amount", "mức thu", "amount"), ("online_amount", "mức thu trực tuyến", "online amount"))


def _amount(value: Any) -> str:
    return "-" if value is None else str(value)
