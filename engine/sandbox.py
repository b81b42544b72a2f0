"""A restricted Python for BPMN scripts, conditions and decision-table expressions.

A designer (or another province's package) writes these, so they run with: no imports,
no access to names or attributes that reach interpreter internals (dunders, frames,
code objects), a short list of safe builtins, capped ``range`` and exponents, and a
wall-clock limit enforced by a trace function. The AST check runs when a package is
validated and again before each execution; compiled code is cached per source text.

This is defence in depth for a trusted-operator setting, not an OS-level jail: the
studio refuses packages that fail the check, and the time limit stops runaway loops.
"""

from __future__ import annotations

import ast
import builtins
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any, Literal

from engine.messages import render

Mode = Literal["exec", "eval"]

MAX_RANGE = 100_000
MAX_EXPONENT = 100
DEFAULT_TIME_LIMIT = 1.0
SCRIPT_FILENAME = "<bpmn-script>"

_FORBIDDEN_NAMES = frozenset(
    {
        "eval", "exec", "compile", "open", "input", "breakpoint", "help", "globals", "locals",
        "vars", "dir", "getattr", "setattr", "delattr", "hasattr", "type", "object", "super",
        "memoryview", "bytearray", "classmethod", "staticmethod", "property", "id", "print",
        "exit", "quit", "license", "credits", "copyright",
    }
)
# Attribute prefixes that lead from a harmless object to frames, code or globals.
_FORBIDDEN_ATTR_PREFIXES = ("_", "gi_", "f_", "cr_", "ag_", "tb_", "co_", "func_", "im_")
# str.format can walk attributes inside the format string, out of reach of the AST check.
_FORBIDDEN_ATTRS = frozenset({"format", "format_map", "mro"})
_FORBIDDEN_STATEMENTS: dict[type[ast.AST], str] = {
    ast.ClassDef: "class",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.AsyncFunctionDef: "async def",
    ast.Await: "await",
}


class SandboxViolation(Exception):
    """A script broke a sandbox rule; ``code``/``params`` render the reason."""

    def __init__(self, code: str, line: int = 0, **params: Any):
        self.code = code
        self.line = line
        self.params = params
        super().__init__(render(code, "en", **params))

    def message(self, lang: str = "vi") -> str:
        return render(self.code, lang, **self.params)


class ScriptTimeout(SandboxViolation):
    pass


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SandboxViolation("sandbox_range", limit=MAX_RANGE)
    return result


_SAFE_BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "frozenset", "int",
    "isinstance", "len", "list", "map", "max", "min", "reversed", "round", "set", "sorted",
    "str", "sum", "tuple", "zip", "divmod", "True", "False", "None",
    "Exception", "ValueError", "KeyError", "TypeError", "IndexError", "ZeroDivisionError",
)
SAFE_BUILTINS: Mapping[str, Any] = {
    **{name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES},
    "range": _safe_range,
}
# Names every script and expression may use besides the task data.
SCRIPT_GLOBALS: Mapping[str, Any] = {"date": date, "datetime": datetime, "timedelta": timedelta}


def _violations(tree: ast.AST) -> list[SandboxViolation]:
    found: list[SandboxViolation] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(SandboxViolation("sandbox_import", line))
        elif type(node) in _FORBIDDEN_STATEMENTS:
            found.append(SandboxViolation("sandbox_statement", line, name=_FORBIDDEN_STATEMENTS[type(node)]))
        elif isinstance(node, ast.Attribute) and (
            node.attr.startswith(_FORBIDDEN_ATTR_PREFIXES) or node.attr in _FORBIDDEN_ATTRS
        ):
            found.append(SandboxViolation("sandbox_private", line, name=node.attr))
        elif isinstance(node, ast.Name) and (node.id.startswith("__") or node.id in _FORBIDDEN_NAMES):
            found.append(SandboxViolation("sandbox_name", line, name=node.id))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and abs(exponent.value) <= MAX_EXPONENT
            ):
                found.append(SandboxViolation("sandbox_power", line, limit=MAX_EXPONENT))
    return found


def check(source: str, mode: Mode = "exec") -> list[SandboxViolation | SyntaxError]:
    """Every reason ``source`` may not run (syntax errors and sandbox violations)."""
    try:
        tree = ast.parse(source, SCRIPT_FILENAME, mode)
    except SyntaxError as err:
        return [err]
    return list(_violations(tree))


@lru_cache(maxsize=4096)
def compile_checked(source: str, mode: Mode) -> CodeType:
    """Compile ``source`` after the AST check; raises SyntaxError or SandboxViolation."""
    tree = ast.parse(source, SCRIPT_FILENAME, mode)
    problems = _violations(tree)
    if problems:
        raise problems[0]
    return compile(tree, SCRIPT_FILENAME, mode)


class _Deadline:
    """A trace function that stops sandboxed frames after a wall-clock limit.

    Only frames compiled from BPMN scripts are traced line by line, so the cost falls on
    scripts, not on the engine around them.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires = time.monotonic() + seconds

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        # Line events miss a loop that jumps back within one line (``while True: pass``);
        # opcode events do not.
        frame.f_trace_opcodes = True
        return self._local

    def _local(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if time.monotonic() > self.expires:
            raise ScriptTimeout("sandbox_timeout", frame.f_lineno, seconds=self.seconds)
        return self._local


def _run(code: CodeType, scope: dict[str, Any], time_limit: float) -> Any:
    previous = sys.gettrace()
    sys.settrace(_Deadline(time_limit))
    try:
        return eval(code, scope)  # noqa: S307 - code passed the sandbox check above
    finally:
        sys.settrace(previous)


def evaluate(
    expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None,
    *, time_limit: float = DEFAULT_TIME_LIMIT,
) -> Any:
    """Evaluate a condition or expression against task data."""
    code = compile_checked(expression, "eval")
    scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, **SCRIPT_GLOBALS, **data, **(extra or {})}
    return _run(code, scope, time_limit)


def execute(
    script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None,
    *, time_limit: float = DEFAULT_TIME_LIMIT,
) -> None:
    """Run a script; variables it assigns (not functions or helpers) are written back to ``data``."""
    code = compile_checked(script, "exec")
    helpers = {**SCRIPT_GLOBALS, **(extra or {})}
    scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, **helpers, **data}
    _run(code, scope, time_limit)
    for name in list(data):
        if name not in scope:
            del data[name]
    for name, value in scope.items():
        if name == "__builtins__" or callable(value) or (name in helpers and helpers[name] is value):
            continue
        data[name] = value
