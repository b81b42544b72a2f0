"""Answers for a form, made from its JSON Schema, for path exploration (:mod:`engine.explore`).

:class:`AnswerMaker` builds a valid answer (required fields only, plus what the form's
``if``/``then``/``else`` make required), and variants of it: the same answer with one field set
to another of its choices (each ``enum``/``const``/``oneOf`` value, yes and no, today and a date
ten years back, numbers next to the constants the diagram compares them with), and, when one
choice is only allowed together with another, pairs of choices. Every answer is checked with the
form's own validator before it is used, so an answer the generator gets wrong is dropped, never
submitted. Strings follow ``pattern`` (simple regular expressions: literals, classes,
repetitions, groups, alternatives), ``format`` (date, date-time, time, email, uri) and lengths.
"""

from __future__ import annotations

import json
import re
import re._constants as sre_c  # type: ignore[import-not-found]  # the stdlib's regex parser (private: no stubs)
import re._parser as sre_parse  # type: ignore[import-not-found]  # to write strings that match
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

import re2

from engine.forms import CompiledForm, pattern_problem, validate

Path = tuple[str, ...]
ITEM = "*"  # a path step into every item of a list
_MISSING = object()
MAX_DEPTH = 40


class NoAnswer(Exception):
    """The generator cannot make a value for ``path`` that the form accepts."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(".".join(path) or "(form)")


def _forbids(schema: Any) -> bool:
    """``false`` or ``{"not": {}}``: the field must be left out."""
    return schema is False or (isinstance(schema, dict) and schema.get("not") in ({}, True))


class AnswerMaker:
    """Valid answers for one compiled form; ``constants`` are values the package's expressions
    compare a name with (``{"so_ban": [5]}``), ``today`` the submission date."""

    def __init__(self, form: CompiledForm, today: date, constants: dict[str, list[Any]] | None = None):
        self.form = form
        self.today = today
        self.past = today - timedelta(days=3653)
        self.constants = constants or {}
        self._root = (form.schema, form.resolver)

    # --- checking ------------------------------------------------------------------------
    def _valid(self, value: Any, schema: Any, resolver: Any) -> bool:
        if schema is True or schema == {}:
            return True
        if schema is False:
            return False
        validator = self.form.validator.evolve(schema=schema, _resolver=resolver)
        try:
            return next(validator.iter_errors(value), None) is None
        except Exception:  # noqa: BLE001 - an unresolvable reference, a recursion: not valid for us
            return False

    def _all_valid(self, value: Any, parts: list[tuple[Any, Any]]) -> bool:
        return all(self._valid(value, s, r) for s, r in parts)

    def accepts(self, answer: dict[str, Any]) -> bool:
        return not validate(self.form, answer)

    # --- schema walking ------------------------------------------------------------------
    def _flatten(self, parts: Iterable[tuple[Any, Any]], depth: int = 0) -> list[tuple[Any, Any]]:
        """``$ref`` followed and ``allOf`` spread, so each part applies to the value itself."""
        found: list[tuple[Any, Any]] = []
        for schema, resolver in parts:
            if depth > MAX_DEPTH:
                break
            if not isinstance(schema, dict):
                found.append((schema, resolver))
                continue
            own = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
            found.append((own, resolver))
            if isinstance(schema.get("$ref"), str):
                resolved = resolver.lookup(schema["$ref"])
                found.extend(self._flatten([(resolved.contents, resolved.resolver)], depth + 1))
            for sub in schema.get("allOf") or []:
                found.extend(self._flatten([(sub, resolver)], depth + 1))
        return found

    # --- generating ----------------------------------------------------------------------
    def make(self, overrides: dict[Path, Any] | None = None) -> dict[str, Any] | None:
        """A valid answer with ``overrides`` (path -> value) applied, or None when the form does not
        allow them (or the generator cannot satisfy it)."""
        overrides = overrides or {}
        try:
            answer = self._value([self._root], (), overrides, 0)
        except (NoAnswer, RecursionError):
            return None
        if not isinstance(answer, dict) or not self.accepts(answer):
            return None
        if any(not _holds(answer, path, value) for path, value in overrides.items()):
            return None
        return answer

    def _value(self, parts: list[tuple[Any, Any]], path: Path, overrides: dict[Path, Any], depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise NoAnswer(path)
        parts = self._flatten(parts)
        if any(s is False for s, _ in parts):
            raise NoAnswer(path)
        if path in overrides and self._all_valid(overrides[path], parts):
            return overrides[path]
        kind = _kind(parts)
        if kind == "object":
            return self._object(parts, path, overrides, depth)
        if kind == "array":
            return self._array(parts, path, overrides, depth)
        for candidate in self._candidates(parts, path, kind):
            if self._all_valid(candidate, parts):
                return candidate
        raise NoAnswer(path)

    def _object(self, parts: list[tuple[Any, Any]], path: Path, overrides: dict[Path, Any], depth: int
                ) -> dict[str, Any]:
        props: dict[str, list[tuple[Any, Any]]] = {}
        order: list[str] = []
        required: set[str] = set()
        conditions: list[tuple[dict[str, Any], Any]] = []
        extra_schemas: list[tuple[Any, Any]] = []

        def absorb(into: dict[str, list[tuple[Any, Any]]], need: set[str], found: list[tuple[Any, Any]],
                   conds: list[tuple[dict[str, Any], Any]]) -> None:
            for schema, resolver in found:
                if not isinstance(schema, dict):
                    continue
                for key, sub in (schema.get("properties") or {}).items():
                    if key not in order:
                        order.append(key)
                    into.setdefault(key, []).append((sub, resolver))
                need.update(k for k in schema.get("required") or [] if isinstance(k, str))
                if "if" in schema:
                    conds.append((schema, resolver))
                for keyword in ("oneOf", "anyOf"):  # an object-level choice: the first branch that works
                    branches = schema.get(keyword) or []
                    if branches:
                        extra_schemas.append((branches[0], resolver))

        absorb(props, required, parts, conditions)
        if extra_schemas:
            absorb(props, required, self._flatten(extra_schemas), conditions)
        wanted_by_override = {p[len(path)] for p in overrides if len(p) > len(path) and p[:len(path)] == path}
        value: dict[str, Any] = {}
        for _ in range(8):  # conditions depend on the values chosen: settle them
            active = {k: list(v) for k, v in props.items()}
            need = set(required)
            pending = list(conditions)
            seen: set[int] = set()
            while pending:
                schema, resolver = pending.pop()
                if id(schema) in seen:
                    continue
                seen.add(id(schema))
                branch = schema.get("then") if self._valid(value, schema["if"], resolver) else schema.get("else")
                if branch is None:
                    continue
                more: list[tuple[dict[str, Any], Any]] = []
                absorb(active, need, self._flatten([(branch, resolver)]), more)
                pending.extend(more)
            for schema, _ in parts:
                if isinstance(schema, dict):
                    for key, others in (schema.get("dependentRequired") or {}).items():
                        if key in value:
                            need.update(others)
            forbidden = {k for k, subs in active.items() if any(_forbids(s) for s, _ in subs)}
            keep = (need | wanted_by_override) - forbidden
            fresh: dict[str, Any] = {}
            for key in [k for k in order if k in keep] + sorted(keep - set(order)):
                subs = active.get(key) or [(_additional(parts), self._root[1])]
                old = value.get(key, _MISSING)
                sub_path = (*path, key)
                overridden = sub_path in overrides and old != overrides[sub_path]
                if old is not _MISSING and not overridden and self._all_valid(old, subs):
                    fresh[key] = old
                else:
                    fresh[key] = self._value(subs, sub_path, overrides, depth + 1)
            if fresh == value:
                break
            value = fresh
        return value

    def _array(self, parts: list[tuple[Any, Any]], path: Path, overrides: dict[Path, Any], depth: int) -> list[Any]:
        low = max([int(s.get("minItems", 0)) for s, _ in parts if isinstance(s, dict)] + [1])
        high = min([int(s.get("maxItems", low)) for s, _ in parts if isinstance(s, dict) and "maxItems" in s]
                   + [max(low, 1)])
        items = [(s["items"], r) for s, r in parts if isinstance(s, dict) and isinstance(s.get("items"), (dict, bool))]
        count = max(min(low, high), 0)
        if not items or count == 0:
            return []
        first = self._value(items, (*path, ITEM), overrides, depth + 1)
        return [first] * count

    def _candidates(self, parts: list[tuple[Any, Any]], path: Path, kind: str | None) -> Iterator[Any]:
        name = path[-1] if path else ""
        for schema, _ in parts:
            if isinstance(schema, dict) and "default" in schema:
                yield schema["default"]
        yield from _choices(parts)
        if kind == "boolean":
            yield from (False, True)
        elif kind in ("integer", "number"):
            yield from self._numbers(parts, name)
        elif kind == "null":
            yield None
        elif kind == "string" or kind is None:
            yield from self._strings(parts, name)
            if kind is None:
                yield from (0, False, None)

    def _numbers(self, parts: list[tuple[Any, Any]], name: str) -> Iterator[Any]:
        for schema, _ in parts:
            if not isinstance(schema, dict):
                continue
            if "minimum" in schema:
                yield schema["minimum"]
            if "exclusiveMinimum" in schema:
                yield schema["exclusiveMinimum"] + 1
            if "maximum" in schema:
                yield schema["maximum"]
        for constant in self.constants.get(name, []):
            if isinstance(constant, (int, float)) and not isinstance(constant, bool):
                yield constant
        yield from (1, 0, 10, 100, 1000)

    def _strings(self, parts: list[tuple[Any, Any]], name: str) -> Iterator[str]:
        schemas = [s for s, _ in parts if isinstance(s, dict)]
        formats = [s["format"] for s in schemas if isinstance(s.get("format"), str)]
        patterns = [s["pattern"] for s in schemas if isinstance(s.get("pattern"), str)]
        low = max([int(s.get("minLength", 0)) for s in schemas] + [0])
        high = min([int(s["maxLength"]) for s in schemas if "maxLength" in s] + [10_000])
        for fmt in formats:
            yield from _formatted(fmt, self.today, self.past)
        for pattern in reversed(patterns):  # a condition's pattern (then-branch) is the more specific one
            for repeat in (1, 2, 4, 8, 12, 16, 24):
                text = string_matching(pattern, repeat)
                if text is not None and low <= len(text) <= high:
                    yield text
        for constant in self.constants.get(name, []):
            if isinstance(constant, str):
                yield constant
        base = "Thử nghiệm"
        text = (base * (low // len(base) + 1))[:max(low, len(base))]
        yield text[:high] if high >= 1 else ""

    # --- choices ---------------------------------------------------------------------------
    def choice_points(self) -> dict[Path, list[Any]]:
        """Every field with alternatives (path -> values), wherever in the form it may appear."""
        found: dict[Path, list[Any]] = {}
        self._collect(self.form.schema, self.form.resolver, (), found, 0, set())
        return found

    def _collect(self, schema: Any, resolver: Any, path: Path, found: dict[Path, list[Any]], depth: int,
                 seen: set[tuple[int, Path]]) -> None:
        if not isinstance(schema, dict) or depth > MAX_DEPTH or (id(schema), path) in seen:
            return
        seen.add((id(schema), path))

        def add(values: Iterable[Any]) -> None:
            bucket = found.setdefault(path, [])
            for value in values:
                if value not in bucket or type(value) is not type(bucket[bucket.index(value)]):
                    bucket.append(value)

        if isinstance(schema.get("$ref"), str):
            try:
                resolved = resolver.lookup(schema["$ref"])
            except Exception:  # noqa: BLE001 - checked by the validator; nothing to collect here
                resolved = None
            if resolved is not None:
                self._collect(resolved.contents, resolved.resolver, path, found, depth + 1, seen)
        if isinstance(schema.get("enum"), list):
            add(schema["enum"])
        if "const" in schema:
            add([schema["const"]])
        types = schema.get("type")
        types = types if isinstance(types, list) else [types]
        if "boolean" in types:
            add([False, True])
        if schema.get("format") == "date":
            add([self.today.isoformat(), self.past.isoformat()])
        name = path[-1] if path else ""
        if "integer" in types or "number" in types:  # small counts: a loop that runs once, twice
            low = schema.get("minimum", schema["exclusiveMinimum"] + 1 if "exclusiveMinimum" in schema else 0)
            if isinstance(low, (int, float)) and not isinstance(low, bool):
                add([low, low + 1, low + 2])
        if ("integer" in types or "number" in types) and name in self.constants:
            near = []
            for constant in self.constants[name]:
                if isinstance(constant, (int, float)) and not isinstance(constant, bool):
                    near += [constant - 1, constant, constant + 1]
            add(near)
        if "string" in types and "enum" not in schema and name in self.constants:
            add([c for c in self.constants[name] if isinstance(c, str)])
        for key, sub in (schema.get("properties") or {}).items():
            self._collect(sub, resolver, (*path, key), found, depth + 1, seen)
        if isinstance(schema.get("items"), dict):
            self._collect(schema["items"], resolver, (*path, ITEM), found, depth + 1, seen)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(keyword) or []:
                self._collect(sub, resolver, path, found, depth + 1, seen)
        for keyword in ("if", "then", "else"):
            self._collect(schema.get(keyword), resolver, path, found, depth + 1, seen)

    def variants(self, relevant: set[str], *, pairs: bool = False, limit: int = 400) -> list[dict[str, Any]]:
        """The base answer, then one per alternative of each field whose name (or a parent's name)
        is in ``relevant``; with ``pairs``, also each alternative that needs another one with it."""
        base = self.make()
        if base is None:
            return []
        answers = [base]
        keys = {_key(base)}
        singles = [(path, value) for path, values in self.choice_points().items()
                   if any(step in relevant for step in path if step != ITEM) for value in values]
        blocked = []
        for path, value in singles:
            if len(answers) >= limit:
                break
            if _holds(base, path, value):
                continue
            answer = self.make({path: value})
            if answer is None:
                blocked.append((path, value))
            elif _key(answer) not in keys:
                keys.add(_key(answer))
                answers.append(answer)
        if pairs:
            for path, value in blocked:
                for other, other_value in singles:
                    if len(answers) >= limit:
                        return answers
                    if other == path or other[:len(path)] == path or path[:len(other)] == other:
                        continue
                    answer = self.make({path: value, other: other_value})
                    if answer is not None and _key(answer) not in keys:
                        keys.add(_key(answer))
                        answers.append(answer)
                        break  # one companion is enough to reach this choice
        return answers


def _key(answer: Any) -> str:
    return json.dumps(answer, sort_keys=True, ensure_ascii=False, default=str)


def _holds(answer: Any, path: Path, value: Any) -> bool:
    """Whether ``answer`` has ``value`` at ``path`` (in at least one item for ``*`` steps)."""
    if not path:
        return answer == value and type(answer) is type(value)
    step, rest = path[0], path[1:]
    if step == ITEM:
        return isinstance(answer, list) and any(_holds(item, rest, value) for item in answer)
    return isinstance(answer, dict) and step in answer and _holds(answer[step], rest, value)


def _kind(parts: list[tuple[Any, Any]]) -> str | None:
    for schema, _ in parts:
        if isinstance(schema, dict):
            kind = schema.get("type")
            if isinstance(kind, list):
                kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
            if isinstance(kind, str):
                return kind
    for schema, _ in parts:
        if isinstance(schema, dict):
            if "properties" in schema or "required" in schema:
                return "object"
            if "items" in schema:
                return "array"
    return None


def _additional(parts: list[tuple[Any, Any]]) -> Any:
    for schema, _ in parts:
        if isinstance(schema, dict) and isinstance(schema.get("additionalProperties"), dict):
            return schema["additionalProperties"]
    return {}


def _choices(parts: list[tuple[Any, Any]]) -> Iterator[Any]:
    for schema, _ in parts:
        if not isinstance(schema, dict):
            continue
        if "const" in schema:
            yield schema["const"]
        yield from schema.get("enum") or []
        for keyword in ("oneOf", "anyOf"):
            for branch in schema.get(keyword) or []:
                if isinstance(branch, dict):
                    if "const" in branch:
                        yield branch["const"]
                    yield from branch.get("enum") or []


def _formatted(fmt: str, today: date, past: date) -> Iterator[str]:
    if fmt == "date":
        yield from (today.isoformat(), past.isoformat())
    elif fmt == "date-time":
        yield f"{today.isoformat()}T09:00:00+07:00"
    elif fmt == "time":
        yield "09:00:00+07:00"
    elif fmt in ("email", "idn-email"):
        yield "thu.nghiem@example.vn"
    elif fmt in ("uri", "iri", "uri-reference", "iri-reference"):
        yield "https://example.vn/thu-nghiem"
    elif fmt == "uuid":
        yield "00000000-0000-4000-8000-000000000000"


# --- strings from regular expressions -------------------------------------------------------

_CATEGORY_CHAR = {
    sre_c.CATEGORY_DIGIT: "0", sre_c.CATEGORY_NOT_DIGIT: "a", sre_c.CATEGORY_SPACE: " ",
    sre_c.CATEGORY_NOT_SPACE: "a", sre_c.CATEGORY_WORD: "a", sre_c.CATEGORY_NOT_WORD: "-",
}
_SPARE = "aA0x-_. Xb1"


class _CannotWrite(Exception):
    pass


def string_matching(pattern: str, repeat: int = 1) -> str | None:
    """A string ``pattern`` matches (unbounded repetitions taken ``repeat`` times), or None when
    the pattern uses what this writer does not handle (back-references, look-around...)."""
    if pattern_problem(pattern) is not None:
        return None
    try:
        parsed = sre_parse.parse(pattern)
        text = _write(parsed, repeat)
    except (_CannotWrite, re.error, RecursionError):
        return None
    return text if re2.compile(pattern).search(text) is not None else None


def _write(items: Any, repeat: int) -> str:
    out = []
    for op, arg in items:
        if op == sre_c.LITERAL:
            out.append(chr(arg))
        elif op == sre_c.NOT_LITERAL:
            out.append(next(c for c in _SPARE if ord(c) != arg))
        elif op == sre_c.ANY:
            out.append("a")
        elif op == sre_c.IN:
            out.append(_in_set(arg))
        elif op == sre_c.AT:
            continue
        elif op == sre_c.CATEGORY:
            out.append(_CATEGORY_CHAR.get(arg, "a"))
        elif op == sre_c.SUBPATTERN:
            out.append(_write(arg[-1], repeat))
        elif op == sre_c.BRANCH:
            out.append(_write(arg[1][0], repeat))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            times = low if high == low else min(max(low, repeat), high)
            out.append(_write(sub, repeat) * times)
        elif op == getattr(sre_c, "ATOMIC_GROUP", None):
            out.append(_write(arg, repeat))
        else:
            raise _CannotWrite(str(op))
    return "".join(out)


def _in_set(items: list[tuple[Any, Any]]) -> str:
    negate = any(op == sre_c.NEGATE for op, _ in items)

    def member(char: str) -> bool:
        code = ord(char)
        for op, arg in items:
            if op == sre_c.LITERAL and code == arg:
                return True
            if op == sre_c.RANGE and arg[0] <= code <= arg[1]:
                return True
            if op == sre_c.CATEGORY and _in_category(char, arg):
                return True
        return False

    if not negate:
        for op, arg in items:
            if op == sre_c.LITERAL:
                return chr(arg)
            if op == sre_c.RANGE:
                return chr(arg[0])
            if op == sre_c.CATEGORY:
                return _CATEGORY_CHAR.get(arg, "a")
        raise _CannotWrite("empty class")
    for char in _SPARE:
        if not member(char):
            return char
    raise _CannotWrite("negated class")


def _in_category(char: str, category: Any) -> bool:
    if category == sre_c.CATEGORY_DIGIT:
        return char.isdigit()
    if category == sre_c.CATEGORY_NOT_DIGIT:
        return not char.isdigit()
    if category == sre_c.CATEGORY_SPACE:
        return char.isspace()
    if category == sre_c.CATEGORY_NOT_SPACE:
        return not char.isspace()
    if category == sre_c.CATEGORY_WORD:
        return char.isalnum() or char == "_"
    if category == sre_c.CATEGORY_NOT_WORD:
        return not (char.isalnum() or char == "_")
    return False
