"""The script process's main loop (started by :mod:`engine.isolation`, never imported elsewhere).

It limits itself before reading any script: the user ``nobody`` when started by root, address
space (``memory_mb``), CPU time (a backstop for a parent that died mid-script), no file writes.
Then, for each request: run the checked script on a copy of the data, and answer with what
changed, or why it failed.
"""

from __future__ import annotations

import importlib
import os
import resource
import struct
import sys
from typing import Any

_HEADER = struct.Struct(">I")
CPU_BACKSTOP_SECONDS = 120  # cumulative; the child retires at half of it, so a script never meets it


NOBODY = 65534


def _limit_self(memory_mb: int) -> None:
    importlib.import_module("_strptime")  # imported now: after the uid drop the stdlib may be unreadable
    import time  # noqa: F401

    if os.getuid() == 0:  # started by root (a container, CI): run scripts as nobody
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_BACKSTOP_SECONDS, CPU_BACKSTOP_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _read_exactly(stream: Any, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _failure(err: BaseException, sandbox: Any) -> dict[str, Any]:
    if isinstance(err, sandbox.SandboxViolation):
        return {"kind": "violation", "code": err.code, "line": err.line, "params": err.params}
    if isinstance(err, MemoryError):
        return {"kind": "violation", "code": "sandbox_memory", "line": _line(err), "params": {}}
    if isinstance(err, RecursionError):
        return {"kind": "violation", "code": "sandbox_too_deep", "line": _line(err), "params": {}}
    if isinstance(err, SyntaxError):
        return {"kind": "error", "type": "SyntaxError", "text": str(err.msg), "line": err.lineno or 0}
    return {"kind": "error", "type": type(err).__name__, "text": str(err)[:500], "line": _line(err)}


def _line(err: BaseException) -> int:
    tb, line = err.__traceback__, 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<bpmn-script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _handle(request: dict[str, Any], pristine: Any, sandbox: Any, unchecked: bool) -> dict[str, Any]:
    source, mode = request["source"], request["mode"]
    data = request["data"]
    scope = sandbox.scope_for(data, request["extra"])
    if request.get("unchecked") and unchecked:  # tests: an escape that got everything, builtins included
        code = compile(source, sandbox.SCRIPT_FILENAME, mode)
        scope["__builtins__"] = __builtins__
    else:
        code = sandbox.compile_checked(source, mode)
    helpers = sandbox.scope_for({}, request["extra"])
    result = sandbox.run_here(code, scope)
    if mode == "eval":
        return {"value": result}
    # Only what the script assigned, or changed in place, goes back: the cap is on what it writes.
    changed = {name: value for name, value in scope.items()
               if not sandbox.is_helper(name, value, helpers)
               and (name not in pristine or value != pristine[name])}
    return {"changed": changed, "deleted": [name for name in data if name not in scope]}


def _over(value: Any, budget: int) -> bool:
    """True when ``value`` holds more than ``budget`` characters, items or digits: a cheap check
    before encoding, so a 100 MB string is refused without a second copy of it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            budget -= len(item)
        elif isinstance(item, dict):
            budget -= len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            budget -= len(item)
            stack.extend(item)
        else:
            budget -= 8
        if budget < 0:
            return True
    return False


def _answer(raw: bytes, sandbox: Any, values: Any, unchecked: bool) -> dict[str, Any]:
    try:
        request = values.loads(raw)
        pristine = values.loads(raw)["data"] if request["mode"] == "exec" else None
        return _handle(request, pristine, sandbox, unchecked)
    except BaseException as err:  # noqa: BLE001 - every failure of the script goes back to the parent
        return {"failure": _failure(err, sandbox), "retire": isinstance(err, MemoryError | RecursionError)}


def _violation(code: str, **params: Any) -> dict[str, Any]:
    return {"failure": {"kind": "violation", "code": code, "params": params}}


def _encode(reply: dict[str, Any], values: Any, max_write: int) -> bytes:
    """The reply as bytes, or the reason it cannot be sent: too large, or not storable."""
    body: bytes
    if _over(reply, max_write):
        body = values.dumps(_violation("sandbox_value_too_large", limit=max_write))
        return body
    try:
        body = values.dumps(reply)
    except TypeError as err:  # a value JSON cannot hold (a generator, a map object...)
        body = values.dumps(_violation("sandbox_value_type", detail=str(err)[:200]))
    except MemoryError:
        body = values.dumps({**_violation("sandbox_memory"), "retire": True})
    if len(body) > max_write:
        body = values.dumps(_violation("sandbox_value_too_large", limit=max_write))
    return body


def main() -> None:
    root, memory_mb, max_write = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    unchecked = "--allow-unchecked" in sys.argv
    sys.path.insert(0, root)
    from engine import sandbox, values  # after sys.path: the child runs with -I (no PYTHONPATH)

    _limit_self(memory_mb)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(b"R")  # ready: the parent starts a script's clock only now
    stdout.flush()
    while True:
        header = _read_exactly(stdin, _HEADER.size)
        raw = _read_exactly(stdin, _HEADER.unpack(header)[0]) if header is not None else None
        if raw is None:
            return  # the parent closed the pipe
        reply = _answer(raw, sandbox, values, unchecked)
        if _cpu_seconds() > CPU_BACKSTOP_SECONDS / 2:
            reply["retire"] = True
        try:
            body = _encode(reply, values, max_write)
        except BaseException:  # noqa: BLE001 - e.g. no memory left to say so: the parent sees the exit
            return
        stdout.write(_HEADER.pack(len(body)) + body)
        stdout.flush()
