"""Problems found in a procedure package, reported all at once.

Each problem names the file, the BPMN element (when there is one) and a plain sentence.
Sentences live in :mod:`engine.messages` so the same problem reads in Vietnamese or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.messages import render


@dataclass(frozen=True)
class Problem:
    file: str
    element: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def message(self, lang: str = "vi") -> str:
        params = self.params
        if lang == "en" and "detail_en" in params:  # a nested sentence that has its own translation
            params = {**params, "detail": params["detail_en"]}
        return render(self.code, lang, **params)

    def as_dict(self, lang: str = "vi") -> dict[str, Any]:
        return {"file": self.file, "element": self.element, "code": self.code, "message": self.message(lang)}

    def format(self, lang: str = "vi") -> str:
        where = f"{self.file} [{self.element}]" if self.element else self.file
        return f"{where}: {self.message(lang)}"


class PackageInvalid(Exception):
    """Raised when a package cannot be compiled; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.format("en") for p in problems[:5]))
