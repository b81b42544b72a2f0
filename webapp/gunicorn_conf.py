"""gunicorn settings for the Procfile's web process: ``gunicorn -c python:webapp.gunicorn_conf ...``.

Each worker builds the app, and would refuse bad settings on its own; but four workers
refusing at once print the message four times, and gunicorn then trips over its own halt
with a traceback. So the master builds the app once before it binds or forks: bad settings
stop it there with one message and exit status 4. The workers build their own apps.
"""

from __future__ import annotations

from typing import Any


def on_starting(server: Any) -> None:  # noqa: ARG001 - gunicorn's hook signature
    from webapp import create_app
    from webapp.extensions import db

    app = create_app()  # ends the process with the message when a setting cannot work
    with app.app_context():
        db.engine.dispose()  # nothing of this app's pool may be shared with the forked workers
