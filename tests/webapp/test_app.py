"""The web app factory and the catalogue page on the embedded SQLite default."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO, SECRET
from webapp import create_app
from webapp.settings import Settings


@pytest.fixture()
def client(tmp_path: Path):
    settings = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path)})
    app = create_app({"TESTING": True}, settings=settings)
    return app.test_client()


def test_health_check(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200


def test_engine_never_imports_the_web_stack() -> None:
    """engine/ must run without Flask (CLI, Celery workers, other front ends)."""
    forbidden = {"flask", "flask_sqlalchemy", "flask_migrate", "webapp", "sqlalchemy", "celery"}
    for path in (REPO / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"
