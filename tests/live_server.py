"""Run the real product (`motcua serve`) in a child process for end-to-end tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REPO, WORKER_COUNT, WORKER_INDEX

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on and that this test process has not handed out before: the
    OS may give the same just-closed port twice, and a live server uses several at once.
    Under pytest-xdist each worker only takes ports of its own, so two workers never hand out
    the same one (by port // 2: Linux gives `bind(0)` odd ports)."""
    for _ in range(10_000):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT and port // 2 % WORKER_COUNT == WORKER_INDEX:
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError("no free port")


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The embedded default (SQLite in the data dir), whatever the caller's environment says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["MOTCUA_DATA_DIR"] = str(data_dir)
    # The demo OpenID Connect provider that `serve` starts, on a port nobody else uses.
    env["MOTCUA_OIDC_ISSUER"] = f"http://127.0.0.1:{free_port()}"
    env["MOTCUA_SMTP_PORT"] = str(free_port())  # the local SMTP sink `serve` starts, likewise
    return env


def motcua(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "webapp.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout


@dataclass
class LiveServer:
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        with self.log.open("ab") as output:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "webapp.cli", "serve", "--port", str(self.port)], env=self.env, cwd=REPO,
                stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise AssertionError(self.log.read_text()) from None
                time.sleep(0.2)
        self.stop()
        raise AssertionError("server did not start:\n" + self.log.read_text())

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def api(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.url}/api/v1{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())
