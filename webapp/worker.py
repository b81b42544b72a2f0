"""Celery entry point: ``celery -A webapp.worker worker -B``. Builds the app here, not at
import time of anything else."""

from webapp import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
