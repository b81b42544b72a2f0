"""The HTTP twin's failures map as the fakes' do (retryable or final, timeouts, reasons), and
calls to one system share a pooled, kept-alive connection."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine.connectors import ConnectorError, ConnectorTimeout
from engine.connectors.http import Endpoint, close_clients, post_json


class Scripted(BaseHTTPRequestHandler):
    """Answers each POST with the next (status, headers, body, delay) of ``script``; HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    script: list[tuple[int, dict[str, str], bytes, float]] = []
    peers: list[int] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.peers.append(self.client_address[1])
        status, headers, body, delay = self.script.pop(0)
        time.sleep(delay)
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    Scripted.script, Scripted.peers = [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api"
    close_clients()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def answer(status: int, body: Any, delay: float = 0.0, **headers: str) -> tuple[int, dict[str, str], bytes, float]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, headers, data, delay


def failure(url: str, timeout: float = 5.0, max_bytes: int = 1024) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        post_json(Endpoint(url), "op", {"a": 1}, timeout, max_bytes)
    return caught.value


def test_calls_share_one_kept_alive_connection(server: str) -> None:
    Scripted.script = [answer(200, {"n": 1}), answer(200, {"n": 2}), answer(200, {"n": 3})]
    assert [post_json(Endpoint(server), "op", {}, 5.0)["n"] for _ in range(3)] == [1, 2, 3]
    assert len(set(Scripted.peers)) == 1  # the pool kept the connection open between calls


def test_statuses_map_to_retryable_or_final_failures_with_their_reason(server: str) -> None:
    Scripted.script = [answer(503, {"error": "maintenance"}), answer(429, {}),
                       answer(422, {"reason": "invalid_address"}), answer(401, {}),
                       answer(401, {"reason": "token_expired"}), answer(404, {"reason": "bad reason!"}),
                       answer(302, b"", Location="https://elsewhere.example/op")]
    found = [(e.retryable, e.reason, str(e)) for e in (failure(server) for _ in range(7))]
    assert found == [(True, "unavailable", "HTTP 503 from op"), (True, "unavailable", "HTTP 429 from op"),
                     (False, "invalid_address", "HTTP 422 from op"), (False, "unauthorised", "HTTP 401 from op"),
                     (False, "token_expired", "HTTP 401 from op"), (False, "rejected", "HTTP 404 from op"),
                     (False, "rejected", "HTTP 302 from op")]  # a redirect is never followed (with the token)


def test_bad_answers_are_final(server: str) -> None:
    Scripted.script = [answer(200, b"not json"), answer(200, [1, 2]), answer(200, {"x": "y" * 2000})]
    messages = [str(e) for e in (failure(server) for _ in range(3)) if not e.retryable and e.reason == "bad_answer"]
    assert messages == ["op: answer is not JSON", "op: answer is not a JSON object", "op: answer too large"]


def test_a_slow_answer_is_a_timeout_and_a_closed_port_is_unreachable(server: str) -> None:
    Scripted.script = [answer(200, {}, delay=1.0)]
    slow = failure(server, timeout=0.2)
    assert isinstance(slow, ConnectorTimeout) and slow.retryable and str(slow) == "op: no answer within 0.2 s"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once this socket is closed
    refused = failure(f"http://127.0.0.1:{port}/api")
    assert refused.retryable and refused.reason == "unavailable" and str(refused).startswith("op: unreachable (")


def test_the_token_is_sent_and_kept_out_of_the_endpoint_repr(server: str) -> None:
    seen: list[str | None] = []

    class Recording(Scripted):
        def do_POST(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            super().do_POST()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        Scripted.script = [answer(200, {"ok": True})]
        endpoint = Endpoint(f"http://127.0.0.1:{httpd.server_address[1]}", token="bi-mat-lam")
        assert post_json(endpoint, "op", {}, 5.0) == {"ok": True}
        assert seen == ["Bearer bi-mat-lam"] and "bi-mat-lam" not in repr(endpoint)
    finally:
        close_clients()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
