"""Posted fields back to JSON data, and the "add item" / "remove item" buttons that work without JavaScript.

Parsing is driven by the schema, never by the posted names, so a request can only fill fields the form
has. Values get their JSON type when they parse (``"1995"`` -> 1995) and stay the posted string when
they do not, so that server-side validation reports a clear type error at the right field. Empty
inputs are left out, so ``required`` fires; an optional group left wholly empty is left out too,
while a required one comes back as ``{}`` so each of its own required fields is reported.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from webapp.formui.paths import Path, field_name
from webapp.formui.schema import MAX_DEPTH, Node, as_text, root_node

MAX_ITEMS = 100  # items read per array, whatever a request claims (raised up to 1000 by a larger maxItems)

_MISSING, _WEAK, _STRONG = 0, 1, 2  # nothing posted / only "not ticked" answers / something entered
_INDEX = re.compile(r"[0-9]{1,6}")
_ACTION_PATH = re.compile(r"[^\s.:]+(?:\.[^\s.:]+)*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s.\-()]+")  # what people type inside an ID or phone number


def parse_form(form: Any, formdata: Any, *, prefix: str = "f", keep_blank_items: bool | None = None,
               only: Sequence[str] | None = None, base: Mapping[str, Any] | None = None) -> dict:
    """JSON data from the fields ``render_form(form, ..., prefix=prefix)`` posts (a werkzeug MultiDict).

    ``only`` (top-level field names, as given to ``render_form``) reads just those fields; the others
    come from ``base`` (e.g. the saved draft) unchanged, so the answers of other steps are kept.

    Wholly blank array items are dropped on an ordinary submission and kept (as ``{}`` or ``None``)
    when the post is an add/remove action, so the re-rendered page shows every group the person
    added; ``keep_blank_items`` overrides that choice.
    """
    if keep_blank_items is None:
        keep_blank_items = array_action(formdata, prefix=prefix) is not None
    parser = _Parser(formdata, prefix, keep_blank_items, None if only is None else set(only))
    value, _ = parser.object(root_node(form), (), required=True)
    value = value if isinstance(value, dict) else {}
    if only is None:
        return value
    kept = {k: copy.deepcopy(v) for k, v in (base or {}).items() if k not in only}
    return {**kept, **value}


def array_action(formdata: Any, *, prefix: str = "f") -> tuple[str, str, int] | None:
    """``("add", "con", n)`` or ``("remove", "con", i)`` when an add/remove button was pressed, else None.

    The buttons are ``<button name="_add" value="f.con">`` and ``<button name="_remove" value="f.con:1">``;
    the returned path has no prefix. For "add", ``n`` is the number of items shown before (the index the
    new item gets), or -1 when the form did not say.
    """
    head = prefix + "."
    for raw in formdata.getlist("_add"):
        path = raw[len(head):] if isinstance(raw, str) and raw.startswith(head) else ""
        if _ACTION_PATH.fullmatch(path):
            count = formdata.get(f"{raw}._count", "")
            return "add", path, int(count) if isinstance(count, str) and _INDEX.fullmatch(count) else -1
    for raw in formdata.getlist("_remove"):
        target, sep, index = raw.rpartition(":") if isinstance(raw, str) else ("", "", "")
        path = target[len(head):] if target.startswith(head) else ""
        if sep and _ACTION_PATH.fullmatch(path) and _INDEX.fullmatch(index):
            return "remove", path, int(index)
    return None


def apply_array_action(data: Mapping[str, Any] | None, action: tuple[str, str, int] | None) -> dict:
    """A copy of ``data`` with one blank item added (``None``: rendered as empty fields) or item ``i`` removed."""
    result: dict = copy.deepcopy(dict(data)) if isinstance(data, Mapping) else {}
    if action is None:
        return result
    verb, path, index = action
    parts = path.split(".")
    container: Any = result
    for part in parts[:-1]:
        container = _step(container, part, create=verb == "add")
        if container is None:
            return result
    last = parts[-1]
    if isinstance(container, dict):
        current = container.get(last)
        if verb == "add" and current is None:
            current = container[last] = []
    elif isinstance(container, list) and _INDEX.fullmatch(last) and int(last) < len(container):
        current = container[int(last)]
        if verb == "add" and current is None:
            current = container[int(last)] = []
    else:
        return result
    if not isinstance(current, list):
        return result
    if verb == "add" and len(current) < MAX_ITEMS:
        current.append(None)
    elif verb == "remove" and 0 <= index < len(current):
        del current[index]
    return result


def _step(container: Any, part: str, *, create: bool) -> Any:
    if isinstance(container, dict):
        if container.get(part) is None and create:
            container[part] = {}
        return container.get(part)
    if isinstance(container, list) and _INDEX.fullmatch(part) and int(part) < len(container):
        index = int(part)
        if container[index] is None and create:
            container[index] = {}
        return container[index]
    return None


class _Parser:
    def __init__(self, formdata: Any, prefix: str, keep_blank_items: bool, only: set[str] | None = None):
        self.formdata = formdata
        self.prefix = prefix
        self.keep = keep_blank_items
        self.only = only  # top-level fields read; None for all

    def value(self, node: Node, path: Path) -> tuple[Any, int]:
        if node.depth > MAX_DEPTH:
            return None, _MISSING
        widget = node.widget
        if widget == "object":
            return self.object(node, path, required=node.required)
        if widget == "array":
            return self.array(node, path)
        posted = [v for v in self.formdata.getlist(field_name(self.prefix, path)) if isinstance(v, str)]
        if widget == "checkboxes":
            assert node.item is not None
            chosen = [_convert(node.item, v) for v in posted if v.strip()]
            return (chosen, _STRONG) if chosen else (None, _MISSING)
        if widget == "checkbox":
            if "true" in posted:
                return True, _STRONG
            return (False, _WEAK) if posted else (None, _MISSING)
        raw = next((v for v in posted if v.strip()), None)
        if raw is None:
            return None, _MISSING
        return _convert(node, raw), _STRONG

    def object(self, node: Node, path: Path, *, required: bool) -> tuple[Any, int]:
        out: dict[str, Any] = {}
        strong = False
        for child in node.fields():
            if child.key is None or (not path and self.only is not None and child.key not in self.only):
                continue
            value, strength = self.value(child, (*path, child.key))
            if strength != _MISSING:
                out[child.key] = value
                strong = strong or strength == _STRONG
        if strong:
            return out, _STRONG
        return (out, _WEAK) if required else (None, _MISSING)

    def array(self, node: Node, path: Path) -> tuple[Any, int]:
        item = node.item
        if item is None:
            return None, _MISSING
        items: list[Any] = []
        strong = False
        for index in range(self._count(node, path)):
            item_path = (*path, index)
            if item.widget == "object":
                value, strength = self.object(item, item_path, required=True)
            else:
                value, strength = self.value(item, item_path)
            if strength == _STRONG:
                items.append(value)
                strong = True
            elif self.keep:
                items.append(value if strength != _MISSING else None)
        if not items:
            return None, _MISSING
        return items, _STRONG if strong or self.keep else _WEAK

    def _count(self, node: Node, path: Path) -> int:
        """How many items were shown: the form's hidden count, or the highest index posted, whichever is more."""
        name = field_name(self.prefix, path)
        head = name + "."
        count = 0
        declared = self.formdata.get(f"{name}._count", "")
        if isinstance(declared, str) and _INDEX.fullmatch(declared):
            count = int(declared)
        for key in self.formdata:
            if isinstance(key, str) and key.startswith(head):
                segment = key[len(head):].split(".", 1)[0]
                if _INDEX.fullmatch(segment):
                    count = max(count, int(segment) + 1)
        limit = min(max(MAX_ITEMS, node.int_keyword("maxItems") or 0), 1000)
        return min(count, limit)


def _convert(node: Node, raw: str) -> Any:
    """One posted string to its JSON value; the (tidied) string itself when it does not parse."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    options = node.declared_values
    if node.kind == "boolean" and options is None:
        options = [True, False]
    if options is not None:
        for option in options:
            if as_text(option) == text:
                return option
    kind = node.kind
    if kind == "integer":
        compact = _SPACES.sub("", text)
        if _INTEGER.fullmatch(compact):
            try:
                return int(compact)
            except ValueError:  # more digits than Python converts
                return text
        return text
    if kind == "number":
        compact = _SPACES.sub("", text)
        if _NUMBER.fullmatch(compact):
            if _INTEGER.fullmatch(compact):
                try:
                    return int(compact)
                except ValueError:
                    return text
            number = float(compact.replace(",", "."))
            return number if math.isfinite(number) else text
        return text
    if kind == "string" and options is None and node.widget == "input" and node.input_style in ("cccd", "tel"):
        return _SEPARATORS.sub("", text)
    return text
