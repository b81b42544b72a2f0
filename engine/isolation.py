"""Where package code runs: in a pool of separate, resource-limited processes.

A script from a package may loop (``try: while True: pass / except: pass``), run one long C
operation (``((10**100)**100)**100``) or allocate a gigabyte (``"a" * 10**9``); no check of the
source can rule all of that out, and no exception raised inside the interpreter can stop a C
operation. So every script, and every expression that is not bounded by construction
(:func:`engine.sandbox.is_bounded`), runs in a child process that:

- holds nothing worth stealing: a fresh interpreter started with an empty environment (no
  ``MOTCUA_*`` settings, no secret key), no database connection, no Flask app, working
  directory ``/``, and imports only :mod:`engine.sandbox`, :mod:`engine.values` and orjson;
  started by root it runs as ``nobody``, and the parent makes itself non-dumpable so that even
  code past the allow-list cannot read the parent's ``/proc/<pid>/environ`` or memory;
- has an address-space limit (``memory_mb``) and a CPU-time backstop, set by the child on
  itself before it reads any script, and may not write files;
- is killed by the parent (SIGKILL) when a script runs past its wall-clock ``time_limit``:
  the limit is enforced outside the script's control, so catching the error changes nothing.

The caller's thread gets :class:`~engine.sandbox.ScriptTimeout` or another
:class:`~engine.sandbox.SandboxViolation` (memory, oversized values) and the pool starts a new
child on the next call: the web server, the worker and every other dossier carry on. Values a
script writes into the dossier are capped (``max_write_bytes``, encoded as JSON).

Talking to a child: ``[4-byte length][orjson document]`` both ways over its stdin/stdout.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import sandbox, values
from engine.sandbox import SandboxViolation, ScriptTimeout

MAX_WRITE_BYTES = 1_000_000  # what one script may write into the dossier, as JSON
DEFAULT_MEMORY_MB = 256
_HEADER = struct.Struct(">I")
_ENGINE_ROOT = str(Path(__file__).resolve().parent.parent)
_CHILD_MAIN = "from engine.isolation_child import main; main()"
_READY = b"R"  # the child's first byte: limits set, waiting for scripts
_START_TIMEOUT = 60.0


class ScriptError(Exception):
    """The script itself raised (a KeyError, a ZeroDivisionError...): reported with its type and line."""

    def __init__(self, kind: str, text: str, line: int = 0):
        self.kind = kind
        self.line = line
        super().__init__(f"{kind}: {text}" if text else kind)


@dataclass(frozen=True)
class Limits:
    time_limit: float = sandbox.DEFAULT_TIME_LIMIT
    memory_mb: int = DEFAULT_MEMORY_MB
    max_write_bytes: int = MAX_WRITE_BYTES


class _Child:
    """One script process; used by one thread at a time."""

    def __init__(self, limits: Limits, allow_unchecked: bool):
        args = [sys.executable, "-I", "-c", _CHILD_MAIN, _ENGINE_ROOT, str(limits.memory_mb),
                str(limits.max_write_bytes)]
        if allow_unchecked:
            args.append("--allow-unchecked")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, cwd="/", close_fds=True,
        )
        self.retire = False
        # Wait for the child to be ready (interpreter started, limits set) before any script's
        # clock starts: on a loaded machine start-up alone can take longer than a time limit.
        assert self.process.stdout is not None
        try:
            ready = self._read(self.process.stdout.fileno(), 1, time.monotonic() + _START_TIMEOUT, _START_TIMEOUT)
        except SandboxViolation:
            raise SandboxViolation("sandbox_crashed") from None
        if ready != _READY:
            self.kill()
            raise SandboxViolation("sandbox_crashed")

    def call(self, request: Mapping[str, Any], time_limit: float, reply_limit: int) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            body = values.dumps(request)
        except TypeError as err:  # task data holding something JSON cannot (never from a form)
            raise SandboxViolation("sandbox_value_type", detail=str(err)[:200]) from None
        try:
            self.process.stdin.write(_HEADER.pack(len(body)) + body)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            raise SandboxViolation("sandbox_crashed") from None
        deadline = time.monotonic() + time_limit
        fd = self.process.stdout.fileno()
        header = self._read(fd, _HEADER.size, deadline, time_limit)
        (length,) = _HEADER.unpack(header)
        if length > reply_limit:
            self.kill()
            raise SandboxViolation("sandbox_value_too_large", limit=reply_limit)
        reply: dict[str, Any] = values.loads(self._read(fd, length, deadline, time_limit))
        return reply

    def _read(self, fd: int, size: int, deadline: float, time_limit: float) -> bytes:
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                raise ScriptTimeout("sandbox_timeout", seconds=time_limit)
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:  # the child died: memory limit, CPU backstop, a crash
                self.kill()
                raise SandboxViolation("sandbox_crashed")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        self.retire = True
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]


class ScriptPool:
    """Up to ``size`` child processes per process, started on first use, replaced when killed.

    A forked process (a gunicorn or Celery worker) starts its own children: it never shares a
    pipe with its parent."""

    def __init__(self, size: int = 4, limits: Limits | None = None, *, allow_unchecked: bool = False):
        self.size = size
        self.limits = limits or Limits()
        self.allow_unchecked = allow_unchecked  # tests only: run code the allow-list refused
        self._lock = threading.Condition()
        self._idle: list[_Child] = []
        self._started = 0
        self._pid = os.getpid()
        atexit.register(self.close)

    def run(self, request: Mapping[str, Any], time_limit: float) -> dict[str, Any]:
        child = self._checkout()
        try:
            reply = child.call(request, time_limit, self.limits.max_write_bytes + 65_536)
            child.retire = child.retire or bool(reply.get("retire"))
            return reply
        finally:
            self._checkin(child)

    def _checkout(self) -> _Child:
        with self._lock:
            if self._pid != os.getpid():  # forked: the children belong to the parent process
                self._idle, self._started, self._pid = [], 0, os.getpid()
            while not self._idle and self._started >= self.size:
                self._lock.wait()
            if self._idle:
                return self._idle.pop()
            self._started += 1
        _not_dumpable()
        try:
            return _Child(self.limits, self.allow_unchecked)
        except BaseException:
            with self._lock:
                self._started -= 1
                self._lock.notify()
            raise

    def _checkin(self, child: _Child) -> None:
        with self._lock:
            if child.retire or child.process.poll() is not None:
                child.kill()
                if self._pid == os.getpid():
                    self._started -= 1
            else:
                self._idle.append(child)
            self._lock.notify()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            if self._pid == os.getpid():
                self._started -= len(idle)
        for child in idle:
            child.kill()


def _not_dumpable() -> None:
    """Hide this process's memory and environment (``/proc/<pid>/environ``, ``mem``) from other
    processes of the same user, the script processes included (Linux ``PR_SET_DUMPABLE``)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the allow-list is the only wall there
        pass


_PR_SET_DUMPABLE = 4
_DEFAULT_POOL: ScriptPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> ScriptPool:
    global _DEFAULT_POOL
    with _DEFAULT_LOCK:
        if _DEFAULT_POOL is None:
            _DEFAULT_POOL = ScriptPool()
        return _DEFAULT_POOL


def _raise_failure(reply: Mapping[str, Any]) -> None:
    failure = reply["failure"]
    if failure["kind"] == "violation":
        raise SandboxViolation(failure["code"], failure.get("line", 0), **failure.get("params", {}))
    raise ScriptError(failure["type"], failure.get("text", ""), failure.get("line", 0))


def _used(source: str, mode: sandbox.Mode, data: Mapping[str, Any]) -> dict[str, Any]:
    """The variables of ``data`` that ``source`` names: all it can read, change or delete."""
    names = sandbox.names_used(source, mode)
    return {name: value for name, value in data.items() if name in names}


def evaluate(
    expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None,
    *, time_limit: float = sandbox.DEFAULT_TIME_LIMIT, pool: ScriptPool | None = None,
) -> Any:
    """A condition, a decision-table cell or a parameter's value, against the task data."""
    code = sandbox.compile_checked(expression, "eval")  # refuses before anything runs anywhere
    if sandbox.is_bounded(expression):
        return sandbox.run_here(code, sandbox.scope_for(data, extra))
    reply = (pool or default_pool()).run(
        {"mode": "eval", "source": expression, "data": _used(expression, "eval", data), "extra": extra or {}},
        time_limit)
    if "failure" in reply:
        _raise_failure(reply)
    return reply["value"]


def execute(
    script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None,
    *, time_limit: float = sandbox.DEFAULT_TIME_LIMIT, pool: ScriptPool | None = None,
) -> None:
    """Run a script task's script; the variables it assigns or deletes change ``data``."""
    sandbox.compile_checked(script, "exec")
    reply = (pool or default_pool()).run(
        {"mode": "exec", "source": script, "data": _used(script, "exec", data), "extra": extra or {}}, time_limit)
    if "failure" in reply:
        _raise_failure(reply)
    for name in reply["deleted"]:
        data.pop(name, None)
    data.update(reply["changed"])


def run_unchecked(source: str, data: Mapping[str, Any], pool: ScriptPool,
                  time_limit: float = sandbox.DEFAULT_TIME_LIMIT) -> dict[str, Any]:
    """Tests only (a pool made with ``allow_unchecked``): run code the allow-list refuses, to show
    what an escape would find in the child process."""
    return pool.run({"mode": "exec", "source": source, "data": data, "extra": {}, "unchecked": True}, time_limit)
