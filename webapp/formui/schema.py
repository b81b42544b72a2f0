"""A form's JSON Schema (draft 2020-12) and UI schema read as a tree of fields to render and to parse.

A field is a ``Node``: the list of schema objects that describe it, most specific first — the local
object, then what its ``$ref`` points to, then its ``allOf`` members — so a local ``title`` next to a
``$ref`` wins over the fragment's, and ``properties``/``required`` are the union of all of them.

Properties that exist only under ``if/then/else``, ``oneOf``/``anyOf`` options, ``dependentSchemas``
or ``dependentRequired`` become ``Group``s: rendered in their own fieldset, never hidden, so nothing is
unreachable without JavaScript; the server-side validation decides which of them count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from markupsafe import Markup
from referencing.exceptions import Unresolvable

from webapp.formui.html import Text, show
from webapp.formui.words import fmt, word

MAX_REF_DEPTH = 16  # $ref / allOf chains followed per field
MAX_DEPTH = 12  # nesting of objects and arrays rendered (recursive schemas stop here)
MAX_BRANCHES = 64  # conditional branches looked at per object

Pair = tuple[Mapping[str, Any], Any]  # (schema object, referencing.Resolver for its document)

_KINDS = ("object", "array", "string", "integer", "number", "boolean")
_SHAPE_KEYS = ("type", "enum", "const", "properties", "items", "oneOf", "anyOf", "$ref")
_CCCD = re.compile(r"\^(?:\[0-9\]|\\d)\{12\}\$")
_PHONE = re.compile(r"\^\(?(?:0|\\\+84|\\\+?84\|0|0\|\\\+?84)\)?(?:\[0-9\]|\\d)\{\d+(?:,\d+)?\}\$")


def expand(schema: Any, resolver: Any, depth: int = 0) -> list[Pair]:
    """The schema object, then its ``$ref`` target, then its ``allOf`` members, each expanded the same way."""
    if not isinstance(schema, Mapping) or depth > MAX_REF_DEPTH:
        return []
    out: list[Pair] = [(schema, resolver)]
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable:  # the package checker refuses these; a renderer just skips them
            pass
        else:
            out.extend(expand(resolved.contents, resolved.resolver, depth + 1))
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        for sub in all_of:
            out.extend(expand(sub, resolver, depth + 1))
    return out


def localized(value: Any, lang: str) -> Text | None:
    """A UI-schema text: a plain string (Vietnamese) or ``{"vi": ..., "en": ...}``."""
    if isinstance(value, str):
        return value, "vi"
    if isinstance(value, Mapping):
        for key in (lang, "vi"):
            if isinstance(value.get(key), str):
                return value[key], key
    return None


def as_text(value: Any) -> str:
    """How a JSON value is written in an input's ``value``."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_const_list(options: Any) -> bool:
    return isinstance(options, list) and bool(options) and all(
        isinstance(o, Mapping) and "const" in o for o in options)


def apply_order(names: list[str], order: Any) -> list[str]:
    """``ui:order``: listed names first, ``*`` standing for the rest; unlisted names are never dropped."""
    if not isinstance(order, list):
        return names
    known = set(names)
    listed: list[str] = []
    for name in order:
        if (name == "*" or name in known) and name not in listed:
            listed.append(name)
    rest = [n for n in names if n not in listed]
    if "*" not in listed:
        return listed + rest
    star = listed.index("*")
    return listed[:star] + rest + listed[star + 1:]


@dataclass(eq=False)
class Node:
    key: str | None
    parts: tuple[Pair, ...]
    ui: Mapping[str, Any]
    required: bool = False
    depth: int = 0

    # --- plain keywords ---------------------------------------------------------------
    def first(self, key: str, default: Any = None) -> Any:
        for schema, _ in self.parts:
            if key in schema:
                return schema[key]
        return default

    def int_keyword(self, key: str) -> int | None:
        value = self.first(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def ui_options(self) -> Mapping[str, Any]:
        options = self.ui.get("ui:options")
        return options if isinstance(options, Mapping) else {}

    @cached_property
    def declared_values(self) -> list[Any] | None:
        """Allowed values from ``enum``, ``const`` or a ``oneOf``/``anyOf`` of ``{const, title}``."""
        for schema, _ in self.parts:
            if isinstance(schema.get("enum"), list):
                return list(schema["enum"])
            if "const" in schema:
                return [schema["const"]]
            for key in ("oneOf", "anyOf"):
                if _is_const_list(schema.get(key)):
                    return [o["const"] for o in schema[key]]
        return None

    @cached_property
    def kind(self) -> str:
        declared = self.first("type")
        if isinstance(declared, list):
            declared = next((t for t in declared if t != "null"), None)
        if declared in _KINDS:
            return str(declared)
        values = self.declared_values
        if values:
            if all(isinstance(v, bool) for v in values):
                return "boolean"
            if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                return "integer"
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                return "number"
            return "string"
        if any("properties" in s for s, _ in self.parts):
            return "object"
        if any("items" in s for s, _ in self.parts):
            return "array"
        return "string"

    @property
    def is_choice(self) -> bool:
        return self.declared_values is not None

    @cached_property
    def widget(self) -> str:
        """hidden, object, array, checkboxes, checkbox, radio, select, textarea or input."""
        wanted = self.ui.get("ui:widget")
        if wanted == "hidden":
            return "hidden"
        if self.kind == "object":
            return "object"
        if self.kind == "array":
            item = self.item
            return "checkboxes" if item is not None and item.is_choice else "array"
        if self.kind == "boolean" or self.is_choice:
            if self.kind == "boolean" and wanted == "checkbox":
                return "checkbox"
            if wanted == "select":
                return "select"
            if wanted in ("radio", "radios") or self.kind == "boolean":
                return "radio"
            return "radio" if len(self.declared_values or ()) <= 5 else "select"
        max_length = self.int_keyword("maxLength")
        if wanted == "textarea" or (max_length is not None and max_length > 200):
            return "textarea"
        return "input"

    @cached_property
    def input_style(self) -> str:
        """For ``input`` widgets: integer, number, date, email, tel, cccd, url or text."""
        if self.kind in ("integer", "number"):
            return self.kind
        wanted = self.ui.get("ui:widget")
        fmt_ = self.first("format")
        pattern = self.first("pattern")
        pattern = pattern if isinstance(pattern, str) else ""
        if wanted == "date" or fmt_ == "date":
            return "date"
        if wanted == "email" or fmt_ in ("email", "idn-email"):
            return "email"
        if wanted == "cccd" or _CCCD.fullmatch(pattern):
            return "cccd"
        if wanted in ("tel", "phone") or fmt_ in ("tel", "phone") or _PHONE.fullmatch(pattern) \
                or self.ui_options.get("inputmode") == "tel":
            return "tel"
        if wanted == "url" or fmt_ in ("uri", "url", "iri"):
            return "url"
        return "text"

    @property
    def marked_required(self) -> bool:
        """Whether the label says "(bắt buộc)": a checkbox always has an answer unless it must be ticked."""
        if self.widget == "checkbox":
            return self.declared_values == [True]
        return self.required

    # --- texts ------------------------------------------------------------------------
    def _schema_text(self, key: str, lang: str) -> Text | None:
        for schema, _ in self.parts:
            if isinstance(schema.get(key), str):
                if lang != "vi" and isinstance(schema.get(f"x-{key}-{lang}"), str):
                    return schema[f"x-{key}-{lang}"], lang
                return schema[key], "vi"
        return None

    def own_title(self, lang: str) -> Text | None:
        return localized(self.ui.get("ui:title"), lang) or self._schema_text("title", lang)

    def title(self, lang: str) -> Text:
        return self.own_title(lang) or (str(self.key or ""), None)

    def hints(self, lang: str) -> list[Text]:
        """``description`` (or ``ui:description``; an empty one hides it) then ``ui:help``."""
        if "ui:description" in self.ui:
            description = localized(self.ui.get("ui:description"), lang)
        else:
            description = self._schema_text("description", lang)
        out: list[Text] = []
        for text in (description, localized(self.ui.get("ui:help"), lang)):
            if text and text[0].strip() and text not in out:
                out.append(text)
        return out

    def placeholder(self, lang: str) -> str | None:
        text = localized(self.ui.get("ui:placeholder"), lang)
        return text[0] if text else None

    def options(self, lang: str) -> list[tuple[Any, Text]]:
        """(value, label) of each choice: ``ui:enumNames`` > ``x-enumNames`` > ``oneOf`` titles > yes/no > value."""
        values = self.declared_values
        if values is None:
            values = [True, False] if self.kind == "boolean" else []
        labels: list[Text | None] = [None] * len(values)
        names = self.ui.get("ui:enumNames")
        if isinstance(names, Mapping):
            chosen = lang if isinstance(names.get(lang), list) else "vi"
            names, names_lang = names.get(chosen), chosen
        else:
            names_lang = "vi"
        if isinstance(names, list) and len(names) == len(values):
            labels = [(str(n), names_lang) for n in names]
        else:
            for schema, _ in self.parts:
                x_names = schema.get(f"x-enumNames-{lang}") if lang != "vi" else None
                if isinstance(x_names, list) and len(x_names) == len(values):
                    labels = [(str(n), lang) for n in x_names]
                    break
                if isinstance(schema.get("x-enumNames"), list) and len(schema["x-enumNames"]) == len(values):
                    labels = [(str(n), "vi") for n in schema["x-enumNames"]]
                    break
                for key in ("oneOf", "anyOf"):
                    if _is_const_list(schema.get(key)) and len(schema[key]) == len(values):
                        labels = [Node(None, ((o, None),), {}).own_title(lang) for o in schema[key]]
                        break
                if any(labels):
                    break
        out = []
        for value, label in zip(values, labels, strict=True):
            if label is None and isinstance(value, bool):
                label = (word("yes" if value else "no", lang), lang)
            out.append((value, label or (as_text(value), None)))
        return out

    # --- structure --------------------------------------------------------------------
    def _child(self, name: str, pairs: list[Pair], required: bool) -> Node:
        ui = self.ui.get(name)
        return Node(name, tuple(pairs), ui if isinstance(ui, Mapping) else {}, required, self.depth + 1)

    @cached_property
    def item(self) -> Node | None:
        """The schema of an array's items."""
        pairs: list[Pair] = []
        for schema, resolver in self.parts:
            if isinstance(schema.get("items"), Mapping):
                pairs.extend(expand(schema["items"], resolver))
        if not pairs and not any("items" in s for s, _ in self.parts):
            return None
        ui = self.ui.get("items")
        return Node(None, tuple(pairs), ui if isinstance(ui, Mapping) else {}, False, self.depth + 1)

    @cached_property
    def _structure(self) -> tuple[dict[str, Node], list[Group]]:
        props: dict[str, list[Pair]] = {}
        required: set[str] = set()
        forbidden: set[str] = set()
        for schema, resolver in self.parts:
            properties = schema.get("properties")
            if isinstance(properties, Mapping):
                for name, sub in properties.items():
                    if sub is False:
                        forbidden.add(name)
                    props.setdefault(name, []).extend(expand(sub, resolver))
            if isinstance(schema.get("required"), list):
                required.update(n for n in schema["required"] if isinstance(n, str))
        for name in forbidden:
            if not props.get(name):
                props.pop(name, None)
        taken = set(props)
        groups: list[Group] = []
        queue = list(_branches(self.parts))
        seen = 0
        while queue and seen < MAX_BRANCHES:
            branch = queue.pop(0)
            seen += 1
            new: dict[str, list[Pair]] = {}
            for schema, resolver in branch.pairs:
                properties = schema.get("properties")
                if not isinstance(properties, Mapping):
                    continue
                for name, sub in properties.items():
                    if name in new:
                        new[name].extend(expand(sub, resolver))
                    elif name in taken:
                        if name in props and not any(k in s for s, _ in props[name] for k in _SHAPE_KEYS):
                            props[name].extend(expand(sub, resolver))  # base says nothing about its shape
                    elif sub is not False:
                        new[name] = expand(sub, resolver)
            for name in branch.extra_names:
                if name not in taken and name not in new:
                    new[name] = []
            taken.update(new)
            if new:
                nodes = [self._child(name, pairs, False) for name, pairs in new.items()]
                groups.append(Group(branch, self, nodes))
            queue.extend(_branches(branch.pairs))
        regular = {name: self._child(name, pairs, name in required) for name, pairs in props.items()}
        return regular, groups

    def child(self, name: str) -> Node | None:
        regular, groups = self._structure
        if name in regular:
            return regular[name]
        return next((n for g in groups for n in g.nodes if n.key == name), None)

    @cached_property
    def layout(self) -> list[Node | Group]:
        """Children in ``ui:order``; a group comes where the first of its fields is ordered."""
        regular, groups = self._structure
        group_of = {n.key: g for g in groups for n in g.nodes}
        names = [*regular, *(n.key for g in groups for n in g.nodes if n.key is not None)]
        ordered = apply_order(names, self.ui.get("ui:order"))
        position = {name: i for i, name in enumerate(ordered)}
        out: list[Node | Group] = []
        emitted: set[int] = set()
        for name in ordered:
            if name in regular:
                out.append(regular[name])
            elif id(group := group_of[name]) not in emitted:
                emitted.add(id(group))
                group.nodes.sort(key=lambda n: position.get(n.key or "", 0))
                out.append(group)
        return out

    def fields(self) -> Iterator[Node]:
        """Every child field, conditional ones included, in layout order."""
        for entry in self.layout:
            if isinstance(entry, Group):
                yield from entry.nodes
            else:
                yield entry


@dataclass(eq=False)
class Branch:
    kind: str  # "then", "else", "option", "dependent"
    pairs: list[Pair]
    condition: Mapping[str, Any] | None = None
    trigger: str | None = None
    index: int = 0
    extra_names: list[str] = field(default_factory=list)


def _branches(parts: list[Pair] | tuple[Pair, ...]) -> Iterator[Branch]:
    for schema, resolver in parts:
        condition = schema.get("if")
        if isinstance(condition, Mapping):
            for kind in ("then", "else"):
                if isinstance(schema.get(kind), Mapping):
                    yield Branch(kind, expand(schema[kind], resolver), condition)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and not _is_const_list(options):
                for i, option in enumerate(options):
                    yield Branch("option", expand(option, resolver), index=i)
        dependent = schema.get("dependentSchemas")
        if isinstance(dependent, Mapping):
            for name, sub in dependent.items():
                yield Branch("dependent", expand(sub, resolver), trigger=name)
        dependent_required = schema.get("dependentRequired")
        if isinstance(dependent_required, Mapping):
            for name, needed in dependent_required.items():
                if isinstance(needed, list):
                    names = [n for n in needed if isinstance(n, str)]
                    yield Branch("dependent", [], trigger=name, extra_names=names)


@dataclass(eq=False)
class Group:
    branch: Branch
    owner: Node
    nodes: list[Node]

    def title(self, lang: str) -> Markup:
        own = Node(None, tuple(self.branch.pairs), {}).own_title(lang)
        if own:
            return show(own, lang)
        branch = self.branch
        if branch.kind in ("then", "else") and branch.condition is not None:
            described = self._describe(branch.condition, lang, negate=branch.kind == "else")
            if described is not None:
                return described
        if branch.kind == "dependent" and branch.trigger:
            target = self.owner.child(branch.trigger)
            label = target.title(lang) if target else (branch.trigger, None)
            return fmt("only_if_filled", lang, field=_quoted(label, lang))
        if branch.kind == "option":
            return fmt("option", lang, n=branch.index + 1)
        return fmt("further", lang)

    def _describe(self, condition: Mapping[str, Any], lang: str, *, negate: bool) -> Markup | None:
        """``if: {properties: {x: {const: v}}}`` -> "Chỉ điền khi “X” là “V”"."""
        properties = condition.get("properties")
        if not isinstance(properties, Mapping) or len(properties) != 1:
            return None
        ((name, sub),) = properties.items()
        if not isinstance(sub, Mapping):
            return None
        values = [sub["const"]] if "const" in sub else sub.get("enum")
        target = self.owner.child(name)
        if not isinstance(values, list) or not values or target is None:
            return None
        labels = dict((as_text(v), label) for v, label in target.options(lang))
        shown = [_quoted(labels.get(as_text(v), (as_text(v), None)), lang) for v in values]
        value = Markup(word("or", lang)).join(shown)
        return fmt("only_if_not" if negate else "only_if", lang, field=_quoted(target.title(lang), lang), value=value)


def _quoted(text: Text, lang: str) -> Markup:
    return Markup("“{}”").format(show(text, lang))


def root_node(form: Any) -> Node:
    """The top of a compiled form (engine.forms.CompiledForm)."""
    ui = form.ui_schema if isinstance(form.ui_schema, Mapping) else {}
    return Node(None, tuple(expand(form.schema, form.resolver)), ui, True, 0)
