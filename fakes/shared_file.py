"""A fake outside system's records in a JSON file that several processes share.

The embedded default runs the web app and the Celery workers as separate processes, and a
worker may be killed and started again; a real outside system keeps its records through all
that, so the fakes that keep records (data store, post office, national portal) keep them in
a folder, not in memory. Readers take a shared lock, writers an exclusive one, and a file is
replaced whole, so another process sees the old records or the new ones, never half.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def locked_json(folder: Path, name: str, *, write: bool, empty: Callable[[], Any] = dict) -> Iterator[Any]:
    """``folder/name`` parsed, under the folder's lock; with ``write``, saved afterwards if changed."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        try:
            path = folder / name
            before = path.read_bytes() if path.exists() else None
            records = json.loads(before) if before else empty()
            yield records
            after = json.dumps(records, ensure_ascii=False).encode()
            if write and after != before:  # nothing changed: no rewrite, no fsync
                write_atomically(path, after)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_atomically(path: Path, data: bytes) -> None:
    """Readers in other processes see the old file or the new one, never half of one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def kept_in(file_name: str, fields: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a fake's method so that, when the fake has a ``folder``, its record ``fields``
    (attributes holding JSON-able dicts) are loaded from ``folder/file_name`` before the method
    runs and saved after it, all under the folder's lock. Without a folder: memory only."""
    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(self, "folder", None) is None:
                return method(self, *args, **kwargs)
            with locked_json(self.folder, file_name, write=True) as records:
                for name in fields:
                    setattr(self, name, records.setdefault(name, {}))
                return method(self, *args, **kwargs)
        return run
    return decorate
