"""Run the provider on a background thread (``motcua serve``, tests) with werkzeug's server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from fakes.oidc.provider import ProviderState, create_provider_app, demo_people


class QuietRequestHandler(WSGIRequestHandler):
    """No access log: query strings carry ``state``, ``nonce`` and PKCE challenges."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class RunningProvider:
    server: BaseWSGIServer
    thread: threading.Thread
    app: Flask
    issuer: str

    @property
    def state(self) -> ProviderState:
        return self.app.extensions["devoidc"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> RunningProvider:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _placeholder(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def start_in_thread(host: str, port: int, issuer: str | None, clients: dict[str, dict],
                    people: list[dict] | None = None) -> RunningProvider:
    """Serve the provider on ``host:port`` from a daemon thread and return at once.

    ``port=0`` takes a free port; ``issuer=None`` then means ``http://host:<that port>``.
    ``people`` defaults to the demo citizens. Stop it with ``.stop()``. OSError when the port is taken.
    """
    try:
        server = make_server(host, port, _placeholder, threaded=True, request_handler=QuietRequestHandler)
    except SystemExit as exc:  # werkzeug prints "Address already in use" and exits; a caller may carry on
        raise OSError(f"cannot listen on {host}:{port}") from exc
    try:
        issuer = issuer or f"http://{host}:{server.server_port}"
        app = create_provider_app(issuer, clients, demo_people() if people is None else people)
    except Exception:
        server.server_close()
        raise
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name=f"fakes.oidc:{server.server_port}", daemon=True)
    thread.start()
    return RunningProvider(server=server, thread=thread, app=app, issuer=issuer)
