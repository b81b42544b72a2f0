"""Reading JSON and YAML that someone else wrote, with the nesting depth bounded.

Python's ``json`` module and PyYAML's composer recurse once per level of nesting: a form,
a ``procedure.yaml`` or an API body nested 100 000 levels deep ends in ``RecursionError``
(a traceback in the CLI, a 500 on the web). Every parse of designer or client input goes
through :func:`load_json` or :func:`load_yaml`, which refuse anything deeper than
:data:`MAX_DEPTH` levels *before* the recursive part runs:

* JSON: a linear scan counts the brackets outside strings, then ``json.loads`` runs;
* YAML: the loader counts levels as it composes nodes (anchors and aliases, the "billion
  laughs" bomb, are refused too); ``RecursionError`` is caught as a last resort.

Both raise :class:`InputTooDeep` (a ``ValueError``, so older ``except ValueError`` still
catch it) carrying a message code of :mod:`engine.messages`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from engine.messages import render

MAX_DEPTH = 64  # objects/arrays inside each other; real forms and metadata use fewer than 15

# A JSON string (escapes included) or one bracket. Strings are matched whole so brackets
# inside them do not count; the alternatives are disjoint, so the scan is linear.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class InputTooDeep(ValueError):
    """Input nested deeper than allowed; ``code``/``params`` render with engine.messages."""

    code = "input_too_deep"

    def __init__(self, limit: int):
        self.params = {"limit": limit}
        super().__init__(render(self.code, "en", limit=limit))

    def message(self, lang: str = "vi") -> str:
        return render(self.code, lang, **self.params)


def json_depth_ok(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether the brackets of ``text`` nest at most ``max_depth`` deep (no recursion, one pass)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                return False
        elif token in "]}":
            depth -= 1
    return True


def load_json(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for untrusted text; raises InputTooDeep, or ValueError when not JSON/UTF-8."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if not json_depth_ok(text, max_depth):
        raise InputTooDeep(max_depth)
    try:
        return json.loads(text)
    except RecursionError:  # cannot happen below the limit; never let it escape as a traceback
        raise InputTooDeep(max_depth) from None


class _BoundedLoader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases, composing at most ``max_depth`` levels of nodes."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&, *) are not allowed", event.start_mark
            )
        self._depth += 1
        try:
            if self._depth > self.max_depth + 1:  # +1: the scalars at the deepest level are nodes too
                raise InputTooDeep(self.max_depth)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Safe YAML for untrusted text; raises InputTooDeep, yaml.YAMLError or UnicodeDecodeError."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    loader_class = type("_Loader", (_BoundedLoader,), {"max_depth": max_depth})
    loader = loader_class(text)
    try:
        loaded = loader.get_single_data()
    except RecursionError:
        raise InputTooDeep(max_depth) from None
    finally:
        loader.dispose()
    check_depth(loaded, max_depth)
    return loaded


def too_deep(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether objects/arrays nest in ``value`` deeper than ``max_depth``, walked without recursion.

    The walk stops at the limit, so shared or even cyclic Python structures end too."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        node, level = pending.pop()
        if not isinstance(node, dict | list):
            continue
        if level >= max_depth:
            return True
        pending.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise InputTooDeep when already parsed data nests deeper than ``max_depth``."""
    if too_deep(value, max_depth):
        raise InputTooDeep(max_depth)
