"""What tests and the demo make a fake's next calls do."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from engine.connectors import ConnectorError


@dataclass
class FakeControls:
    """What tests and the demo make a fake's next calls do: fail with ``fail_next``, or hang
    (``hang_next`` calls) until ``release`` is set, like a system that stopped answering."""

    fail_next: list[ConnectorError] = field(default_factory=list)
    hang_next: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    max_hang: float = 60.0  # a hung call gives up by itself so no thread outlives a test run for long

    def before_call(self) -> None:
        if self.hang_next > 0:
            self.hang_next -= 1
            self.release.wait(self.max_hang)
        if self.fail_next:
            raise self.fail_next.pop(0)
