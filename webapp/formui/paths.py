"""Field names and element ids: a field at data path ``tre_em.ngay_sinh`` under prefix ``f`` is posted as
``f.tre_em.ngay_sinh`` and rendered with id ``f-tre_em-ngay_sinh``; array items carry their index
(``f.con.0.ngay_sinh``, ``f-con-0-ngay_sinh``). Extra options of a radio or checkbox group get ``--2``, ``--3``…
so they never collide with an id derived from a data path."""

from __future__ import annotations

import re
from typing import Any

Path = tuple[str | int, ...]

_SPACE = re.compile(r"\s")


def field_name(prefix: str, path: Path) -> str:
    return ".".join([prefix, *(str(p) for p in path)])


def dom_id(prefix: str, path: Path) -> str:
    return _SPACE.sub("_", "-".join([prefix, *(str(p) for p in path)]))


def split_path(dotted: str) -> Path:
    """``con.0.ngay_sinh`` -> ("con", 0, "ngay_sinh"); the error paths of engine.forms.validate look like that."""
    if not dotted:
        return ()
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in dotted.split("."))


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def error_parts(error: Any) -> tuple[str, str]:
    """(path, message) of an engine.forms.FieldError or of a ``{path, message}`` mapping."""
    if isinstance(error, dict):
        return str(error.get("path") or ""), str(error.get("message") or "")
    return str(getattr(error, "path", "") or ""), str(getattr(error, "message", "") or "")
