"""Notification texts are data (``templates.yaml``): checked once at load, rendered with ids and codes only."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.statuses import DossierStatus

DEFAULT_FILE = Path(__file__).with_name("templates.yaml")
PLACEHOLDERS = frozenset({"code", "status", "procedure", "due", "link", "reason", "items"})
OPTIONAL = {"reason": "—", "items": "—"}  # given only with statuses 3, 5 and 8
LANGS = ("vi", "en")
KINDS = ("subject", "short", "email")  # e-mail subject; SMS/Zalo/portal text; e-mail body


class TemplatesInvalid(ValueError):
    """The templates file is wrong; the message lists every problem with where it is."""


@dataclass(frozen=True)
class Message:
    subject: str
    short: str
    email: str


@dataclass(frozen=True)
class Templates:
    notify: frozenset[int]
    texts: dict[tuple[int, str, str], str]  # (status, lang, kind) -> text

    def render(self, status: int, lang: str, values: dict[str, str]) -> Message:
        values = OPTIONAL | {k: v for k, v in values.items() if v or k not in OPTIONAL}
        parts = {kind: self.texts[(status, lang, kind)].format(**values) for kind in KINDS}
        return Message(**parts)


def load(path: Path = DEFAULT_FILE) -> Templates:
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise TemplatesInvalid(f"{path.name}: cannot be read: {err}") from err
    return parse(raw, source=path.name)


def parse(raw: Any, *, source: str = "templates") -> Templates:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise TemplatesInvalid(f"{source}: expected a mapping with notify, default and statuses")
    unknown_keys = set(raw) - {"notify", "default", "statuses"}
    if unknown_keys:
        problems.append(f"unknown top-level keys: {', '.join(sorted(map(str, unknown_keys)))}")
    notify = _statuses(raw.get("notify"), "notify", problems)
    default = _texts(raw.get("default"), "default", problems, complete=True)
    overrides: dict[int, dict[tuple[str, str], str]] = {}
    statuses = raw.get("statuses") or {}
    if not isinstance(statuses, dict):
        problems.append("statuses: expected a mapping from status code to texts")
        statuses = {}
    for key, value in statuses.items():
        number = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() else key  # JSON keys
        codes = _statuses([number], f"statuses.{key}", problems)
        if codes:
            overrides[next(iter(codes))] = _texts(value, f"statuses.{key}", problems, complete=False)
    if problems:
        raise TemplatesInvalid(f"{source}: " + "; ".join(problems))
    texts = {(status.value, lang, kind): overrides.get(status.value, {}).get((lang, kind), default[(lang, kind)])
             for status in DossierStatus for lang in LANGS for kind in KINDS}
    return Templates(notify=frozenset(notify), texts=texts)


def _statuses(value: Any, where: str, problems: list[str]) -> set[int]:
    if not isinstance(value, list):
        problems.append(f"{where}: expected a list of status codes")
        return set()
    known = {s.value for s in DossierStatus}
    found = set()
    for item in value:
        if isinstance(item, int) and item in known:
            found.add(item)
        else:
            problems.append(f"{where}: {item!r} is not a dossier status code ({min(known)}–{max(known)})")
    return found


def _texts(value: Any, where: str, problems: list[str], *, complete: bool) -> dict[tuple[str, str], str]:
    texts: dict[tuple[str, str], str] = {}
    if not isinstance(value, dict):
        problems.append(f"{where}: expected texts per language ({', '.join(LANGS)})")
        return texts
    for lang in set(value) - set(LANGS):
        problems.append(f"{where}: unknown language {lang!r}")
    for lang in LANGS:
        per_kind = value.get(lang) or {}
        if not isinstance(per_kind, dict):
            problems.append(f"{where}.{lang}: expected subject, short and email texts")
            continue
        for kind in set(per_kind) - set(KINDS):
            problems.append(f"{where}.{lang}: unknown text {kind!r} (use {', '.join(KINDS)})")
        for kind in KINDS:
            text = per_kind.get(kind)
            if text is None:
                if complete:
                    problems.append(f"{where}.{lang}.{kind}: missing")
                continue
            if _check_text(text, f"{where}.{lang}.{kind}", problems):
                texts[(lang, kind)] = text.strip() if kind != "email" else text
    return texts


def _check_text(text: Any, where: str, problems: list[str]) -> bool:
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: expected a non-empty text")
        return False
    try:
        fields = [field for _, field, spec, conv in string.Formatter().parse(text) if field is not None]
    except ValueError as err:
        problems.append(f"{where}: unbalanced braces ({err})")
        return False
    bad = sorted({f for f in fields if f not in PLACEHOLDERS})
    if bad:
        problems.append(f"{where}: unknown placeholder {', '.join('{' + b + '}' for b in bad)} "
                        f"(allowed: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))})")
        return False
    return True
