"""Relays the outbox the way beat does, slowly, marking each message handed to the broker in a
file, so a test can SIGKILL it half-way through a batch. Settings come from MOTCUA_* variables."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from webapp import create_app
from webapp.outbox.service import relay


def main(progress: Path) -> None:
    app = create_app()
    celery = app.extensions["celery"]
    send = celery.send_task

    def slow_send(*args: Any, **kwargs: Any) -> Any:
        result = send(*args, **kwargs)
        with progress.open("a") as out:
            out.write(f"{kwargs['kwargs']['outbox_id']}\n")
        time.sleep(0.5)
        return result

    celery.send_task = slow_send
    with app.app_context():
        relay(limit=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
