"""A real database for web tests: SQLite by default, PostgreSQL when MOTCUA_TEST_DATABASE_URL is set.

The schema is built once per session by the Alembic migrations (never create_all), and
every test starts from empty tables plus the demo units, accounts and the library.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from tests.conftest import SECRET
from webapp import create_app
from webapp.cli import upgrade_database
from webapp.extensions import db
from webapp.settings import Settings

TEST_DB_URL = os.environ.get("MOTCUA_TEST_DATABASE_URL")


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    data_dir = tmp_path_factory.mktemp("motcua-data")
    if TEST_DB_URL:
        _reset_postgres(TEST_DB_URL)
    settings = Settings.from_env({
        **SECRET,
        "MOTCUA_DATA_DIR": str(data_dir),
        "MOTCUA_DATABASE_URL": TEST_DB_URL or f"sqlite:///{data_dir / 'test.db'}",
        "MOTCUA_MAX_UPLOAD_MB": "12",
    })
    app = create_app({"TESTING": True}, settings=settings)
    upgrade_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables(app: Flask) -> None:
    with app.app_context():
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                conn.execute(sa.text("UPDATE procedures SET published_version_id = NULL"))
                for table in tables:
                    conn.execute(table.delete())  # Core delete: the audit log's ORM guard is for the app


@pytest.fixture()
def seeded(app: Flask) -> dict[str, str]:
    """Empty tables and fake outside systems, then demo units/accounts and the library; returns
    username -> token. (Dossier codes start again at 1 in every test: a carrier or portal fake
    that remembered the last test's bookings would answer this test's dossiers with them.)"""
    from webapp.demo import seed
    from webapp.procedures.service import load_library

    _empty_tables(app)
    shutil.rmtree(app.config["MOTCUA_SETTINGS"].fakes_dir, ignore_errors=True)
    with app.app_context():
        tokens = seed()
        load_library(Path(app.config["MOTCUA_LIBRARY"]), actor_id=None)
        db.session.commit()
    return tokens


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """Tiny HTTP helper: ``api.post("/dossiers", token, json=...)`` -> (status, body)."""

    def __init__(self, client: FlaskClient, tokens: dict[str, str]):
        self.client = client
        self.tokens = tokens

    def call(self, method: str, path: str, user: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(user, user)}"
        if kwargs.get("content_type") == "multipart/form-data":
            # Encode in memory: for large bodies werkzeug's test client spools to a temporary
            # file it never closes, which the suite's warnings-as-errors would report.
            fields = {k: FileStorage(v[0], filename=v[1]) if isinstance(v, tuple) else v
                      for k, v in kwargs.pop("data").items()}
            stream, _, boundary = stream_encode_multipart(fields, use_tempfile=False)
            kwargs["data"] = stream.getvalue()
            kwargs["content_type"] = f"multipart/form-data; boundary={boundary}"
        response = self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        body = response.get_json(silent=True)
        return response.status_code, body

    def get(self, path: str, user: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        return self.call("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        return self.call("POST", path, user, **kwargs)


@pytest.fixture()
def api(client: FlaskClient, seeded: dict[str, str]) -> Api:
    return Api(client, seeded)
