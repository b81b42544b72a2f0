"""The public catalogue: published procedures, searched and filtered the way citizens type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.procedures import service as procedures
from webapp.procedures.models import ProcedureVersion

PER_PAGE = 20
LEVELS = ("province", "district", "commune", "central")
SERVICE_LEVELS = ("toan_trinh", "mot_phan")


@dataclass(frozen=True)
class Page:
    items: list[ProcedureVersion]
    page: int
    pages: int
    total: int


def list_(*, q: str | None = None, field: str | None = None, level: str | None = None,
          service_level: str | None = None, page: int = 1) -> Page:
    found = procedures.catalogue(q=q, field=field, level=level)
    if service_level:
        found = [v for v in found if v.meta.get("service_level") == service_level]
    pages = max(1, -(-len(found) // PER_PAGE))
    page = min(max(1, page), pages)
    return Page(found[(page - 1) * PER_PAGE: page * PER_PAGE], page, pages, len(found))


def fields() -> list[dict[str, Any]]:
    """Every field (lĩnh vực) among published procedures, for the filter."""
    seen: dict[str, dict[str, Any]] = {}
    for version in procedures.catalogue():
        field = version.meta.get("field") or {}
        seen.setdefault(procedures.fold(str(field.get("vi", ""))), field)
    return [seen[key] for key in sorted(seen)]
