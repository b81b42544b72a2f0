"""Long forms split into steps by the UI schema: ``"ui:steps": [{"title": "...", "fields": ["a", "b"]}, ...]``.

Each step names top-level fields; fields no step names go in the last step, names the schema does not
have are ignored, and a form without ``ui:steps`` is one step with everything. A page renders and parses
one step with ``render_form(..., only=step.fields)`` and ``parse_form(..., only=step.fields, base=draft)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from webapp.formui.paths import error_parts
from webapp.formui.schema import localized, root_node


@dataclass(frozen=True)
class Step:
    title: str
    fields: tuple[str, ...]


def steps(form: Any, lang: str = "vi") -> list[Step]:
    """The steps of ``form`` (an engine.forms.CompiledForm), at least one, every top-level field in exactly one."""
    root = root_node(form)
    names = [n.key for n in root.fields() if n.key is not None]
    declared = root.ui.get("ui:steps")
    out: list[Step] = []
    taken: set[str] = set()
    for entry in declared if isinstance(declared, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("fields"), list):
            continue
        fields = tuple(f for f in entry["fields"] if isinstance(f, str) and f in names and f not in taken)
        if fields:
            taken.update(fields)
            title = localized(entry.get("title"), lang)
            out.append(Step(title[0] if title else "", fields))
    rest = tuple(n for n in names if n not in taken)
    if not out:
        title = root.own_title(lang)
        return [Step(title[0] if title else "", rest)]
    if rest:
        out[-1] = Step(out[-1].title, out[-1].fields + rest)
    return out


def step_of(form_steps: Sequence[Step], path: str) -> int:
    """Index of the step showing the field at dotted ``path``; the last step for a path no step shows."""
    head = path.split(".", 1)[0]
    return next((i for i, s in enumerate(form_steps) if head in s.fields), len(form_steps) - 1)


def errors_in(errors: Sequence[Any], form_steps: Sequence[Step], index: int) -> list[Any]:
    """The errors step ``index`` shows: those whose path starts with one of its fields (see ``step_of``)."""
    return [e for e in errors if step_of(form_steps, error_parts(e)[0]) == index]


def title_at(form: Any, path: str, lang: str = "vi") -> str:
    """The titles along a dotted path (``tre_em.ngay_sinh``), as the citizen reads them:
    "Trẻ em › Ngày, tháng, năm sinh"."""
    node, titles = root_node(form), []
    for key in path.split("."):
        child = node.child(key) if node is not None else None
        if child is None:
            titles.append(key)
            node = None
            continue
        titles.append(str(child.title(lang)[0]))
        node = child
    return " › ".join(titles)
