"""Tiny HTML builder: every text and attribute value goes through markupsafe."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

Text = tuple[str, str | None]  # (text, language it is written in; None when unknown)

_VOID = {"input", "br"}
_SAFE_NAME = re.compile(r"[a-z][a-z0-9-]*")


def attributes(attrs: Mapping[str, Any]) -> str:
    """` key="value"` pairs, values escaped; ``None``/``False`` left out, ``True`` as a bare attribute."""
    out = []
    for key, value in attrs.items():
        if not _SAFE_NAME.fullmatch(key):  # names are ours, never data; refuse anything odd
            raise ValueError(f"bad attribute name {key!r}")
        if value is None or value is False:
            continue
        out.append(f" {key}" if value is True else f' {key}="{escape(str(value))}"')
    return "".join(out)


def tag(name: str, attrs: Mapping[str, Any] | None = None, *children: Any) -> Markup:
    """An element; children that are not Markup are escaped."""
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"bad tag name {name!r}")
    opening = f"<{name}{attributes(attrs or {})}>"
    if name in _VOID:
        return Markup(opening)
    inner = "".join(str(escape(c)) for c in children if c is not None and c != "")
    return Markup(f"{opening}{inner}</{name}>")


def join(parts: Iterable[Any], sep: Any = "") -> Markup:
    return Markup(escape(sep)).join(escape(p) for p in parts if p is not None and p != "")


def show(text: Text | None, page_lang: str) -> Markup:
    """A text in the page; marked with its own language when it differs (WCAG 3.1.2)."""
    if text is None:
        return Markup("")
    value, lang = text
    if lang and lang != page_lang:
        return tag("span", {"lang": lang}, value)
    return escape(value)
