"""Server-side rendering of a form's fields: works without JavaScript, at 360 px, by keyboard and
with a screen reader (labels, legends, hints and errors tied together with ``for`` and
``aria-describedby``). The page supplies ``<form>``, the CSRF field and its own buttons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from webapp.formui.html import show, tag
from webapp.formui.paths import Path, dom_id, dotted, error_parts, field_name, split_path
from webapp.formui.schema import MAX_DEPTH, Group, Node, as_text, root_node
from webapp.formui.words import pick_lang, word

_INPUT_TYPES = {"date": "date", "email": "email", "tel": "tel", "url": "url"}


def render_form(form: Any, data: Mapping[str, Any] | None = None, errors: Sequence[Any] | None = None, *,
                lang: str = "vi", prefix: str = "f", only: Sequence[str] | None = None) -> Markup:
    """The fields of ``form`` (an engine.forms.CompiledForm) filled with ``data``, errors next to their fields.

    ``only`` (top-level field names, e.g. a ``Step.fields``) renders just those fields; errors of the
    fields left out are not shown.

    ``data=None`` means a fresh form: schema ``default``s are shown, except inside optional groups
    (so a group the person leaves alone posts nothing). Errors whose path matches no rendered
    field are listed first, each with the id the error summary links to.
    """
    errors = errors or []
    if only is not None:
        errors = [e for e in errors if error_parts(e)[0].split(".", 1)[0] in only]
    renderer = _Renderer(pick_lang(lang), prefix, errors)
    root = root_node(form)
    body = renderer.entries(root, data if isinstance(data, Mapping) else {}, (), use_defaults=data is None,
                            only=None if only is None else set(only))
    head = []
    if renderer.has_buttons:
        # The first submit button of a form is what Enter in a text box presses; without this one it would
        # be an "add"/"remove" button. It carries no name, so the page sees an ordinary submission.
        head.append(tag("button", {"type": "submit", "class": "visually-hidden", "tabindex": "-1",
                                   "aria-hidden": "true"}, word("continue", renderer.lang)))
    for path, messages in renderer.errors.items():
        if path not in renderer.used:
            head.append(tag("div", {"class": "field"},
                            *(renderer.error_text(m, {"id": dom_id(prefix, split_path(path))}) for m in messages)))
    return Markup("").join([*head, *body])


def error_summary(errors: Sequence[Any] | None, *, lang: str = "vi", prefix: str = "f") -> Markup:
    """GOV.UK-style box listing every error as a link to its field; empty when there is none."""
    if not errors:
        return Markup("")
    lang = pick_lang(lang)
    heading_id = f"{prefix}-error-summary-title"
    items = []
    for error in errors:
        path, message = error_parts(error)
        items.append(tag("li", {}, tag("a", {"href": "#" + dom_id(prefix, split_path(path))}, message)))
    # autofocus brings keyboard and screen-reader users to the box without JavaScript.
    return tag("div", {"class": "error-summary", "role": "alert", "tabindex": "-1", "autofocus": True,
                       "aria-labelledby": heading_id},
               tag("h2", {"id": heading_id}, word("summary", lang)),
               tag("ul", {}, *items))


class _Renderer:
    def __init__(self, lang: str, prefix: str, errors: Sequence[Any]):
        self.lang = lang
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}
        for error in errors:
            path, message = error_parts(error)
            self.errors.setdefault(path, []).append(message)
        self.used: set[str] = set()
        self.has_buttons = False

    # --- shared pieces ----------------------------------------------------------------
    def error_text(self, message: str, attrs: dict[str, Any]) -> Markup:
        return tag("p", {"class": "field-error", **attrs}, word("error", self.lang), " ", message)

    def error_for(self, path: Path, fid: str) -> tuple[Markup, str | None]:
        key = dotted(path)
        messages = self.errors.get(key)
        if not messages:
            return Markup(""), None
        self.used.add(key)
        error_id = f"{fid}-error"
        if len(messages) == 1:
            return self.error_text(messages[0], {"id": error_id}), error_id
        return tag("div", {"id": error_id}, *(self.error_text(m, {}) for m in messages)), error_id

    def hint_for(self, node: Node, fid: str) -> tuple[Markup, str | None]:
        hints = node.hints(self.lang)
        if not hints:
            return Markup(""), None
        hint_id = f"{fid}-hint"
        return tag("div", {"class": "hint", "id": hint_id},
                   Markup(tag("br")).join(show(h, self.lang) for h in hints)), hint_id

    def label_text(self, node: Node, title: Markup | None = None) -> Markup:
        text = title if title is not None else show(node.title(self.lang), self.lang)
        if node.marked_required:
            text = text + Markup(" ") + word("required", self.lang)
        return text

    @staticmethod
    def described(*ids: str | None) -> str | None:
        present = [i for i in ids if i]
        return " ".join(present) if present else None

    # --- structure --------------------------------------------------------------------
    def entries(self, node: Node, value: Mapping[str, Any], path: Path, *, use_defaults: bool,
                only: set[str] | None = None) -> list[Markup]:
        out = []
        for entry in node.layout:
            if isinstance(entry, Group):
                inner = [self.field(n, value.get(n.key), (*path, n.key), use_defaults=False)
                         for n in entry.nodes if n.key is not None and (only is None or n.key in only)]
                if inner:
                    out.append(tag("fieldset", {"class": "fieldset"}, tag("legend", {}, entry.title(self.lang)),
                                   *inner))
            elif entry.key is not None and (only is None or entry.key in only):
                out.append(self.field(entry, value.get(entry.key), (*path, entry.key), use_defaults=use_defaults))
        return out

    def field(self, node: Node, value: Any, path: Path, *, use_defaults: bool, title: Markup | None = None) -> Markup:
        if node.depth > MAX_DEPTH:
            return Markup("")
        widget = node.widget
        if widget == "object":
            return self.object(node, value, path, use_defaults=use_defaults and node.required)
        if widget == "array":
            return self.array(node, value, path)
        if value is None and use_defaults:
            value = node.first("default")
        if widget == "hidden":  # no id: an error on it is listed at the top under the id of its path
            return tag("input", {"type": "hidden", "name": field_name(self.prefix, path), "value": as_text(value)})
        if widget in ("radio", "checkboxes"):
            return self.choices(node, value, path, title)
        if widget == "checkbox":
            return self.checkbox(node, value, path, title)
        return self.control(node, value, path, title)

    def object(self, node: Node, value: Any, path: Path, *, use_defaults: bool) -> Markup:
        value = value if isinstance(value, Mapping) else {}
        fid = dom_id(self.prefix, path)
        hint, hint_id = self.hint_for(node, fid)
        error, error_id = self.error_for(path, fid)
        return tag("fieldset", {"class": "fieldset", "id": fid, "aria-describedby": self.described(hint_id, error_id)},
                   tag("legend", {}, self.label_text(node)), hint, error,
                   *self.entries(node, value, path, use_defaults=use_defaults))

    def array(self, node: Node, value: Any, path: Path) -> Markup:
        item = node.item
        if item is None:
            return Markup("")
        items = list(value) if isinstance(value, list) else []
        min_items = node.int_keyword("minItems") or 0
        max_items = node.int_keyword("maxItems")
        floor = max(min_items, 1) if node.required else 0
        while len(items) < floor:
            items.append(None)
        fid = dom_id(self.prefix, path)
        name = field_name(self.prefix, path)
        hint, hint_id = self.hint_for(node, fid)
        error, error_id = self.error_for(path, fid)
        item_title = item.own_title(self.lang) or node.title(self.lang)
        parts: list[Markup] = [
            tag("legend", {}, self.label_text(node)), hint, error,
            tag("input", {"type": "hidden", "name": f"{name}._count", "value": len(items)}),
        ]
        for index, item_value in enumerate(items):
            numbered = show(item_title, self.lang) + Markup(f" {index + 1}")
            remove = Markup("")
            if len(items) > floor:
                self.has_buttons = True
                remove = tag("button", {"type": "submit", "class": "secondary", "name": "_remove",
                                        "value": f"{name}:{index}", "formnovalidate": True},
                             Markup(word("remove", self.lang)).format(title=numbered))
            item_path = (*path, index)
            if item.widget == "object":
                item_id = dom_id(self.prefix, item_path)
                item_error, item_error_id = self.error_for(item_path, item_id)
                inner = self.entries(item, item_value if isinstance(item_value, Mapping) else {}, item_path,
                                     use_defaults=False)
                parts.append(tag("fieldset", {"class": "fieldset", "id": item_id, "aria-describedby": item_error_id},
                                 tag("legend", {}, numbered), item_error, *inner, remove))
            else:
                parts.append(tag("div", {}, self.field(item, item_value, item_path, use_defaults=False,
                                                       title=numbered), remove))
        if max_items is None or len(items) < max_items:
            self.has_buttons = True
            parts.append(tag("button", {"type": "submit", "class": "secondary", "name": "_add", "value": name,
                                        "formnovalidate": True},
                             Markup(word("add", self.lang)).format(title=show(item_title, self.lang))))
        return tag("fieldset", {"class": "fieldset", "id": fid, "aria-describedby": self.described(hint_id, error_id)},
                   *parts)

    # --- leaves -----------------------------------------------------------------------
    def control(self, node: Node, value: Any, path: Path, title: Markup | None) -> Markup:
        """A text box, a text area or a drop-down list, with its label, hint and error."""
        fid = dom_id(self.prefix, path)
        hint, hint_id = self.hint_for(node, fid)
        error, error_id = self.error_for(path, fid)
        attrs: dict[str, Any] = {
            "id": fid, "name": field_name(self.prefix, path),
            "aria-describedby": self.described(hint_id, error_id),
            "aria-invalid": "true" if error_id else None,
        }
        options = node.ui_options
        readonly = node.ui.get("ui:readonly") is True or node.first("readOnly") is True
        if node.widget == "select":
            current = as_text(value)
            choices = [tag("option", {"value": ""}, word("choose", self.lang))]
            choices += [tag("option", {"value": as_text(v), "selected": as_text(v) == current and current != ""},
                            show(label, self.lang)) for v, label in node.options(self.lang)]
            control = tag("select", attrs, *choices)
        else:
            attrs["maxlength"] = node.int_keyword("maxLength")
            attrs["placeholder"] = node.placeholder(self.lang)
            attrs["readonly"] = readonly
            autocomplete = node.ui.get("ui:autocomplete", options.get("autocomplete"))
            attrs["autocomplete"] = autocomplete if isinstance(autocomplete, str) else None
            if node.widget == "textarea":
                rows = options.get("rows")
                attrs["rows"] = rows if isinstance(rows, int) and 1 <= rows <= 30 else 5
                # The newline after <textarea> is dropped by HTML parsers, so a value starting with one survives.
                control = tag("textarea", attrs, Markup("\n"), as_text(value))
            else:
                style = node.input_style
                attrs = {"type": _INPUT_TYPES.get(style, "text"), **attrs, "value": as_text(value)}
                if style in ("integer", "cccd"):
                    attrs["inputmode"] = "numeric"
                elif style == "number":
                    attrs["inputmode"] = "decimal"  # GOV.UK: "numeric" keyboards may lack the decimal separator
                if style == "cccd" and attrs["autocomplete"] is None:
                    attrs["autocomplete"] = "off"
                if style in ("integer", "number", "cccd", "tel", "email", "url"):
                    attrs["spellcheck"] = "false"
                if isinstance(options.get("inputmode"), str):
                    attrs["inputmode"] = options["inputmode"]
                control = tag("input", attrs)
        label = tag("label", {"for": fid}, self.label_text(node, title))
        return tag("div", {"class": "field"}, label, hint, error, control)

    def choices(self, node: Node, value: Any, path: Path, title: Markup | None) -> Markup:
        """Radios (one answer, booleans as Có/Không) or checkboxes (an array of choices) in a fieldset."""
        fid = dom_id(self.prefix, path)
        name = field_name(self.prefix, path)
        hint, hint_id = self.hint_for(node, fid)
        error, error_id = self.error_for(path, fid)
        if node.widget == "checkboxes":
            assert node.item is not None
            kind, options = "checkbox", node.item.options(self.lang)
            chosen = {as_text(v) for v in value} if isinstance(value, list) else set()
        else:
            kind, options = "radio", node.options(self.lang)
            chosen = {as_text(value)} if value is not None else set()
        rows = []
        for index, (option, label) in enumerate(options):
            option_id = fid if index == 0 else f"{fid}--{index + 1}"
            rows.append(tag("div", {"class": "option"},
                            tag("input", {"type": kind, "id": option_id, "name": name, "value": as_text(option),
                                          "checked": as_text(option) in chosen,
                                          "aria-invalid": "true" if error_id else None}),
                            " ", tag("label", {"for": option_id}, show(label, self.lang))))
        return tag("div", {"class": "field"},
                   tag("fieldset", {"class": "fieldset", "aria-describedby": self.described(hint_id, error_id)},
                       tag("legend", {}, self.label_text(node, title)), hint, error, *rows))

    def checkbox(self, node: Node, value: Any, path: Path, title: Markup | None) -> Markup:
        """One tick box for a boolean; the hidden "false" before it says "answered, not ticked"."""
        fid = dom_id(self.prefix, path)
        name = field_name(self.prefix, path)
        hint, hint_id = self.hint_for(node, fid)
        error, error_id = self.error_for(path, fid)
        box = tag("input", {"type": "checkbox", "id": fid, "name": name, "value": "true", "checked": value is True,
                            "aria-describedby": self.described(hint_id, error_id),
                            "aria-invalid": "true" if error_id else None})
        return tag("div", {"class": "field"}, error,
                   tag("input", {"type": "hidden", "name": name, "value": "false"}),
                   tag("div", {"class": "option"}, box, " ",
                       tag("label", {"for": fid}, self.label_text(node, title))),
                   hint)

