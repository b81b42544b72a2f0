"""Once-only: form fields the citizen need not type because the State already knows them.

A property in a form's JSON Schema carries ``"x-prefill": "<source>"``:

- ``dan_cu.<field>``: from the national population database (connector ``dan_cu.tra_cuu``,
  looked up by the logged-in citizen's identity number); fields: see ``POPULATION_FIELDS``;
- ``ho_so_truoc``: the value the citizen gave at the same place in their latest earlier
  dossier (their data store), e.g. an address or a phone number.

JSON Schema validators ignore ``x-`` keywords, so marked forms validate as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import bindings

KEYWORD = "x-prefill"
POPULATION_SOURCE = "dan_cu"
PREVIOUS_DOSSIER = "ho_so_truoc"
POPULATION_FIELDS = ("ho_ten", "ngay_sinh", "gioi_tinh", "so_dinh_danh", "noi_thuong_tru")
SOURCE_NAMES = {
    POPULATION_SOURCE: ("Cơ sở dữ liệu quốc gia về dân cư", "the national population database"),
    PREVIOUS_DOSSIER: ("hồ sơ bạn đã nộp trước đây", "a dossier you submitted before"),
}


def marks(schema: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, source) of every marked property, following nested objects written inline."""
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        path = (*prefix, name)
        if KEYWORD in prop:
            yield path, prop[KEYWORD]
        yield from marks(prop, path)


def source_problem(source: Any) -> str | None:
    """Why ``source`` is not a valid x-prefill value, or None."""
    if source == PREVIOUS_DOSSIER:
        return None
    if isinstance(source, str) and source.startswith(POPULATION_SOURCE + "."):
        field = source.split(".", 1)[1]
        return None if field in POPULATION_FIELDS else f"{POPULATION_SOURCE} has no field {field!r}"
    return f"unknown source {source!r}"


def source_kind(source: str) -> str:
    return POPULATION_SOURCE if source.startswith(POPULATION_SOURCE + ".") else PREVIOUS_DOSSIER


def get_path(data: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in ``data``, or None (engine.bindings.read, the one dotted-path reader)."""
    return bindings.read(data, path)


def set_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value
