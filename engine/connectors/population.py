"""The national population database (CSDL quốc gia về dân cư): ``dan_cu.tra_cuu`` and ``dan_cu.xac_thuc``.

``dan_cu.tra_cuu`` looks a citizen up by 12-digit identity number and answers the record (for
once-only prefill). ``dan_cu.xac_thuc`` asks whether the database holds an identity number with
a given name and birth date: it answers yes or no per field and never the record, so a desk can
check what a citizen declares without seeing more than it needs. It is built on a
``dan_cu.tra_cuu`` connector, whichever system answers that one.

:class:`PopulationLookup` holds the lookup's declarations; a system answering it (the local
fake, ``fakes.population``) subclasses it with its ``call``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors import DEFAULT_TIMEOUT, Connector, RetryPolicy

LOOKUP = "dan_cu.tra_cuu"
VERIFY = "dan_cu.xac_thuc"


@dataclass(kw_only=True)
class PopulationLookup:
    """``dan_cu.tra_cuu``: the record of a 12-digit identity number (``found`` False, ``person``
    None when there is none). An invalid number is refused for good; timeouts are retryable."""

    name: str = LOOKUP
    required_params: frozenset[str] = frozenset({"so_dinh_danh"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"found", "person"})
    timeout: float = DEFAULT_TIMEOUT  # one try: a form waits on it, and the citizen can type instead


def same_name(left: str, right: str) -> bool:
    """Names as the registry compares them: case, spacing and Unicode composition do not count."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return norm(left) == norm(right)


@dataclass
class PopulationVerification:
    """``dan_cu.xac_thuc``: does the population database hold this identity number, with this name
    and birth date? It answers yes or no per field and never returns the record, so a desk can
    check what a citizen declares without seeing more than it needs."""

    registry: Connector  # the dan_cu.tra_cuu connector
    name: str = VERIFY
    required_params: frozenset[str] = frozenset({"so_dinh_danh"})
    optional_params: frozenset[str] = frozenset({"ho_ten", "ngay_sinh"})
    result_fields: frozenset[str] = frozenset({"ton_tai", "khop_ho_ten", "khop_ngay_sinh"})
    timeout: float = 5.0  # an officer is waiting at the desk
    retry: RetryPolicy = RetryPolicy(attempts=2, backoff=0.5)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {"*": "dan_cu_khong_xac_thuc"})

    def call(self, params: Mapping[str, Any]) -> Any:
        found = self.registry.call({"so_dinh_danh": params["so_dinh_danh"]})
        person = found["person"] or {}
        answer: dict[str, Any] = {"ton_tai": bool(found["found"]), "khop_ho_ten": None, "khop_ngay_sinh": None}
        if found["found"] and params.get("ho_ten"):
            answer["khop_ho_ten"] = same_name(str(params["ho_ten"]), str(person.get("ho_ten", "")))
        if found["found"] and params.get("ngay_sinh"):
            answer["khop_ngay_sinh"] = str(params["ngay_sinh"]) == str(person.get("ngay_sinh", ""))
        return answer
