"""The language of BPMN scripts, conditions and decision-table cells: an allow-list of Python.

A designer, or another province's package, writes these, so they are untrusted input. What
they may use is listed, not what they may not: a script is refused unless every node of its
syntax tree is of an allowed kind (:data:`_ALLOWED_NODES`), every name it writes or reads
starts with a letter, and it calls only the builtins of :data:`SAFE_BUILTINS`. Attribute
access is rewritten into a call of a guard that allows, per exact type, the few attributes
listed in :data:`_SAFE_ATTRIBUTES` (``str.lower``, ``date.year``, ``dict.get``...). Nothing
reaches a class, a frame, a function's globals or a module, whatever the spelling (``match``
patterns, ``str.format`` fields, decorators and walrus are not in the language at all).

This module decides *what* may run. *Where* it runs is :mod:`engine.isolation`: anything
that could loop or allocate runs in a separate process with time and memory limits; only
expressions that are bounded by construction (:func:`is_bounded`) run in the caller's
process. We wrote our own allow-list rather than use RestrictedPython: its default policy
admits attribute access on any object (guarded only against underscores), which is the
shape of every escape in this module's tests; an allow-list per type is short enough to
read in full.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import CodeType
from typing import Any, Literal

from engine.messages import render

Mode = Literal["exec", "eval"]

MAX_RANGE = 100_000
MAX_EXPONENT = 100
MAX_SOURCE_CHARS = 20_000  # a script longer than this is a program, not a step's logic
DEFAULT_TIME_LIMIT = 1.0
SCRIPT_FILENAME = "<bpmn-script>"
GUARD_NAME = "_motcua_attr"  # scripts cannot spell it: names starting with "_" are refused


class SandboxViolation(Exception):
    """A script broke a sandbox rule or a limit; ``code``/``params`` render the reason."""

    def __init__(self, code: str, line: int = 0, **params: Any):
        self.code = code
        self.line = line
        self.params = params
        super().__init__(render(code, "en", **params))

    def message(self, lang: str = "vi") -> str:
        return render(self.code, lang, **self.params)


class ScriptTimeout(SandboxViolation):
    pass


# --- the syntax that exists -----------------------------------------------------------------
_ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        # statements
        ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.While,
        ast.Break, ast.Continue, ast.Pass, ast.Delete, ast.Try, ast.ExceptHandler, ast.Raise, ast.Assert,
        ast.FunctionDef, ast.Return, ast.arguments, ast.arg,
        # expressions
        ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Lambda, ast.IfExp, ast.Dict, ast.Set, ast.ListComp,
        ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.Compare, ast.Call, ast.keyword,
        ast.FormattedValue, ast.JoinedStr, ast.Constant, ast.Attribute, ast.Subscript, ast.Starred,
        ast.Name, ast.List, ast.Tuple, ast.Slice,
        # contexts and operators
        ast.Load, ast.Store, ast.Del, ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
        ast.Mod, ast.Pow, ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd, ast.MatMult,
        ast.Invert, ast.Not, ast.UAdd, ast.USub, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
        ast.Is, ast.IsNot, ast.In, ast.NotIn,
    }
)
# How a refused node is named to the designer (the rest are named by their class).
_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Import: "import", ast.ImportFrom: "import", ast.ClassDef: "class", ast.Global: "global",
    ast.Nonlocal: "nonlocal", ast.AsyncFunctionDef: "async def", ast.Await: "await", ast.Match: "match",
    ast.With: "with", ast.AsyncWith: "async with", ast.AsyncFor: "async for", ast.Yield: "yield",
    ast.YieldFrom: "yield from", ast.NamedExpr: ":=", ast.TryStar: "try/except*", ast.AnnAssign: "annotation",
}
# Expressions that cannot loop, call or allocate more than the data they read: safe to
# evaluate in the caller's process (most gateway conditions and decision-table cells).
_BOUNDED_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Expression, ast.Name, ast.Constant, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp,
        ast.Subscript, ast.Slice, ast.Attribute, ast.Load, ast.And, ast.Or, ast.Not, ast.UAdd, ast.USub,
        ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
    }
)


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SandboxViolation("sandbox_range", limit=MAX_RANGE)
    return result


# C code of the datetime module imports ``time`` and ``_strptime`` through the running frame's
# builtins (``date.today()``, ``datetime.strptime``); scripts cannot name ``__import__`` themselves.
_INTERNAL_IMPORTS = frozenset({"time", "_strptime"})


def _internal_import(name: str, *args: Any, **kwargs: Any) -> Any:
    if name not in _INTERNAL_IMPORTS:
        raise SandboxViolation("sandbox_import")
    return __import__(name, *args, **kwargs)


_SAFE_BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "frozenset", "int",
    "isinstance", "len", "list", "map", "max", "min", "reversed", "round", "set", "sorted",
    "str", "sum", "tuple", "zip", "divmod",
    "Exception", "ValueError", "KeyError", "TypeError", "IndexError", "ZeroDivisionError",
)
_BUILTINS = vars(builtins)
SAFE_BUILTINS: Mapping[str, Any] = {
    **{name: _BUILTINS[name] for name in _SAFE_BUILTIN_NAMES},
    "range": _safe_range,
    "__import__": _internal_import,
}
# Names every script and expression may use besides the task data.
SCRIPT_GLOBALS: Mapping[str, Any] = {"date": date, "datetime": datetime, "timedelta": timedelta}

# --- the attributes that exist, per exact type --------------------------------------------------
_STR = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal",
    "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rpartition", "rsplit",
    "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill",
    "ljust", "rjust", "center",
})
_DICT = frozenset({"get", "keys", "values", "items", "copy", "update", "pop", "setdefault", "clear"})
_LIST = frozenset({"append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse", "copy",
                   "clear"})
_DATE = frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat", "replace", "toordinal",
                   "strftime", "isocalendar"})
_DATETIME = _DATE | {"hour", "minute", "second", "microsecond", "date", "timestamp"}
_SAFE_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _STR,
    dict: _DICT,
    list: _LIST,
    tuple: frozenset({"index", "count"}),
    set: frozenset({"add", "discard", "remove", "union", "intersection", "difference", "issubset",
                    "issuperset", "copy"}),
    frozenset: frozenset({"union", "intersection", "difference", "issubset", "issuperset"}),
    int: frozenset(),
    float: frozenset({"is_integer"}),
    date: _DATE,
    datetime: _DATETIME,
    timedelta: frozenset({"days", "seconds", "microseconds", "total_seconds"}),
}
# Attributes of the three classes scripts are given (``date.today()``).
_SAFE_CLASS_ATTRIBUTES: dict[type, frozenset[str]] = {
    date: frozenset({"today", "fromisoformat", "fromordinal", "min", "max"}),
    datetime: frozenset({"today", "now", "fromisoformat", "combine", "strptime", "min", "max"}),
    timedelta: frozenset({"min", "max"}),
}


def guarded_getattr(obj: Any, name: str) -> Any:
    """``obj.name``, only for an attribute listed for ``obj``'s exact type."""
    allowed = _SAFE_CLASS_ATTRIBUTES.get(obj) if isinstance(obj, type) else _SAFE_ATTRIBUTES.get(type(obj))
    if allowed is None or name not in allowed:
        raise SandboxViolation("sandbox_attribute", name=name, type=_type_name(obj))
    return getattr(obj, name)


def _type_name(obj: Any) -> str:
    return obj.__name__ if isinstance(obj, type) else type(obj).__name__


# --- checking and compiling -------------------------------------------------------------------
def _node_name(node: ast.AST) -> str:
    return _NODE_NAMES.get(type(node), type(node).__name__)


def _violations(tree: ast.AST) -> list[SandboxViolation]:
    found: list[SandboxViolation] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        kind = type(node)
        if kind not in _ALLOWED_NODES:
            code = "sandbox_import" if kind in (ast.Import, ast.ImportFrom) else "sandbox_statement"
            found.append(SandboxViolation(code, line, name=_node_name(node)))
        elif isinstance(node, ast.Name) and (node.id.startswith("_") or node.id not in SAFE_BUILTINS
                                             and node.id in _BUILTINS and node.id not in ("True", "False", "None")):
            found.append(SandboxViolation("sandbox_name", line, name=node.id))
        elif isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr in ("format", "format_map")):
            found.append(SandboxViolation("sandbox_private", line, name=node.attr))
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            found.append(SandboxViolation("sandbox_attribute_write", line, name=node.attr))
        elif isinstance(node, ast.FunctionDef | ast.arg) and _bad_definition(node):
            found.append(SandboxViolation("sandbox_definition", line, name=getattr(node, "name", "")
                                          or getattr(node, "arg", "")))
        elif isinstance(node, ast.keyword) and node.arg is not None and node.arg.startswith("_"):
            found.append(SandboxViolation("sandbox_name", line, name=node.arg))
        elif isinstance(node, ast.ExceptHandler) and node.name and node.name.startswith("_"):
            found.append(SandboxViolation("sandbox_name", line, name=node.name))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and abs(exponent.value) <= MAX_EXPONENT
            ):
                found.append(SandboxViolation("sandbox_power", line, limit=MAX_EXPONENT))
    return found


def _bad_definition(node: ast.FunctionDef | ast.arg) -> bool:
    """Decorators and annotations run code at definition time; private names reach the guard."""
    if isinstance(node, ast.FunctionDef):
        return bool(node.decorator_list) or node.returns is not None or node.name.startswith("_")
    return node.annotation is not None or node.arg.startswith("_")


def _parse(source: str, mode: Mode) -> ast.AST:
    if not isinstance(source, str) or not source.strip():
        raise SandboxViolation("sandbox_empty")
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxViolation("sandbox_too_long", limit=MAX_SOURCE_CHARS)
    try:
        return ast.parse(source, SCRIPT_FILENAME, mode)
    except (RecursionError, MemoryError):
        raise SandboxViolation("sandbox_too_deep") from None
    except ValueError as err:  # e.g. a NUL byte in the source
        raise SyntaxError(str(err)) from None


def check(source: str, mode: Mode = "exec") -> list[SandboxViolation | SyntaxError]:
    """Every reason ``source`` may not run (syntax errors and sandbox violations)."""
    try:
        tree = _parse(source, mode)
    except (SyntaxError, SandboxViolation) as err:
        return [err]
    return list(_violations(tree))


class _GuardAttributes(ast.NodeTransformer):
    """``x.name`` becomes ``_motcua_attr(x, "name")``: every read goes through the allow-list."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value = self.visit(node.value)
        call = ast.Call(ast.Name(GUARD_NAME, ast.Load()), [value, ast.Constant(node.attr)], [])
        return ast.copy_location(call, node)


@lru_cache(maxsize=4096)
def compile_checked(source: str, mode: Mode) -> CodeType:
    """Compile ``source`` after the allow-list check; raises SyntaxError or SandboxViolation."""
    tree = _parse(source, mode)
    problems = _violations(tree)
    if problems:
        raise problems[0]
    guarded = ast.fix_missing_locations(_GuardAttributes().visit(tree))
    try:
        return compile(guarded, SCRIPT_FILENAME, mode)
    except (RecursionError, MemoryError):
        raise SandboxViolation("sandbox_too_deep") from None


@lru_cache(maxsize=4096)
def is_bounded(source: str) -> bool:
    """True for an expression that cannot loop, call or allocate beyond the data it reads, so it
    may run in the caller's process: names, constants, comparisons, and/or/not, subscripts and
    attribute reads (``ket_qua == "tiep_nhan"``, ``nhan_ket_qua["hinh_thuc"] in ("a", "b")``...).
    Container displays are left out: ``[x, x, x]`` of a large ``x`` grows when it is stored."""
    try:
        tree = _parse(source, "eval")
    except (SyntaxError, SandboxViolation):
        return False
    for node in ast.walk(tree):
        if type(node) not in _BOUNDED_NODES:
            return False
        value: object = node.value if isinstance(node, ast.Constant) else None  # stubs omit tuple constants
        if isinstance(value, tuple | frozenset):
            return False
    return True


@lru_cache(maxsize=4096)
def names_used(source: str, mode: Mode) -> frozenset[str]:
    """Every name ``source`` mentions. A script reaches the data only through names (there is no
    ``globals()``, ``vars()`` or frame to look through), so only these variables need to travel
    to the script process."""
    return frozenset(node.id for node in ast.walk(_parse(source, mode)) if isinstance(node, ast.Name))


def scope_for(data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The globals a script or expression runs with: safe builtins, helpers, the data."""
    return {"__builtins__": SAFE_BUILTINS, GUARD_NAME: guarded_getattr, **SCRIPT_GLOBALS, **data, **(extra or {})}


def is_helper(name: str, value: Any, scope_helpers: Mapping[str, Any]) -> bool:
    """Names that are the sandbox's own, not the dossier's: never written back to the data."""
    return name.startswith("_") or callable(value) or (name in scope_helpers and scope_helpers[name] is value)


def run_here(code: CodeType, scope: dict[str, Any]) -> Any:
    """Run compiled, checked code in this process. Only for bounded expressions (see
    :func:`is_bounded`) and inside the isolated script process."""
    return eval(code, scope)  # noqa: S307 - code passed the allow-list above
