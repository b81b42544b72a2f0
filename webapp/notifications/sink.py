"""The embedded default's SMTP server: accepts every e-mail and keeps it as an .eml file,
so the demo mailbox page can show what citizens would have received. Development only.

It fails like a real server when asked: recipients at ``loi-tam-thoi.invalid`` get
451 (try again later), at ``loi.invalid`` 550 (no such mailbox); ``fail_next`` queues
replies for the next recipients (tests)."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)

TEMPORARY_DOMAIN = "loi-tam-thoi.invalid"
PERMANENT_DOMAIN = "loi.invalid"


@dataclass
class MailboxHandler:
    directory: Path
    fail_next: list[str] = field(default_factory=list)  # e.g. "451 4.3.0 Try again later"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          options: list[str]) -> str:
        if self.fail_next:
            return self.fail_next.pop(0)
        domain = address.rpartition("@")[2].lower()
        if domain == TEMPORARY_DOMAIN:
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        if domain == PERMANENT_DOMAIN:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(envelope.original_content or envelope.content)
        os.replace(partial, self.directory / name)  # the page never sees half a message
        return "250 Message accepted"


class _OnSocket(Controller):
    """aiosmtpd's controller on a socket bound beforehand, so port 0 (any free port) works."""

    def __init__(self, handler: MailboxHandler, sock: socket.socket):
        self._sock = sock
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


@dataclass
class RunningSink:
    controller: Controller
    handler: MailboxHandler
    host: str
    port: int

    def stop(self) -> None:
        self.controller.stop()


def start(directory: Path, host: str = "127.0.0.1", port: int = 8025) -> RunningSink:
    """Start the sink in a thread; raises OSError when the port is taken."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs addresses at INFO
    sock = socket.create_server((host, port))
    handler = MailboxHandler(directory)
    controller = _OnSocket(handler, sock)
    try:
        controller.start()
    except BaseException:
        sock.close()
        raise
    return RunningSink(controller, handler, host, sock.getsockname()[1])
