"""A real database for web tests: SQLite by default, PostgreSQL when MOTCUA_TEST_DATABASE_URL is set.

The schema is built once per session by the Alembic migrations (never create_all). The demo
units, accounts and the library are seeded once per session too, and saved: every test that
asks for ``seeded`` starts from that saved state, put back in a few milliseconds (SQLite: the
file copied back with SQLite's backup API; PostgreSQL: the tables emptied and refilled from a
copy in another schema, the sequences set back), instead of seeding again (0.4 s a test).
Restoring writes real rows, so worker processes, live servers and other connections see it.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from tests.conftest import SECRET, TEST_DB_URL, ensure_test_database
from webapp import create_app
from webapp.cli import upgrade_database
from webapp.extensions import db
from webapp.settings import Settings

SEED_SCHEMA = "motcua_test_seed"  # PostgreSQL: where the seeded rows are kept


def _reset_postgres(url: str) -> None:
    ensure_test_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE"))
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


class _SqliteSnapshot:
    """The whole database file, kept in a second file and copied back page by page."""

    def __init__(self, path: Path, copy: Path):
        self.path = path
        self.copy = sqlite3.connect(copy, check_same_thread=False)
        with _sqlite(path) as live:
            live.backup(self.copy)

    def restore(self) -> None:
        deadline = time.monotonic() + 60

        def give_up_when_locked(status: int, remaining: int, total: int) -> None:
            # sqlite3 retries a locked database for ever: a connection left in a transaction
            # would hang the suite instead of failing this test.
            if status != sqlite3.SQLITE_OK and time.monotonic() > deadline:
                raise TimeoutError(f"the test database stays locked: {self.path}")

        with _sqlite(self.path) as live:  # waits (timeout) for a writer still finishing, like the app
            self.copy.backup(live, progress=give_up_when_locked)

    def close(self) -> None:
        self.copy.close()


class _sqlite:  # noqa: N801  # a context manager that closes (sqlite3's only commits)
    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, timeout=30)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _q(name: str) -> str:
    return f'"{name}"'


class _PostgresSnapshot:
    """The seeded tables' rows copied into another schema, and every sequence's value. Restoring
    deletes what the tables hold (DELETE: on small tables far cheaper than TRUNCATE, which makes
    new files for every table and index; TRUNCATE only where a trigger refuses DELETE), copies
    the rows back and sets the sequences back."""

    def __init__(self, engine: sa.Engine, tables: list[sa.Table]):
        self.engine = engine
        self.tables = tables  # parents first
        position = {table.name: i for i, table in enumerate(tables)}
        # Foreign keys that point at a table restored later (procedures -> their published
        # version): filled in by an UPDATE once every row is back.
        self.late = {t.name: [fk.parent.name for fk in t.foreign_keys
                              if position.get(fk.column.table.name, -1) > position[t.name]] for t in tables}
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {SEED_SCHEMA}"))
            self.filled = [t for t in tables if conn.scalar(sa.select(sa.literal(1)).select_from(t).limit(1))]
            for table in self.filled:
                conn.execute(sa.text(f"CREATE TABLE {SEED_SCHEMA}.{_q(table.name)} AS TABLE public.{_q(table.name)}"))
            # Tables whose triggers refuse DELETE (the audit log is append-only) are emptied by
            # TRUNCATE, which row triggers do not see.
            self.truncated = set(conn.scalars(sa.text(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND NOT t.tgisinternal AND t.tgtype & 8 = 8")))  # 8: DELETE
            sequences = conn.execute(sa.text(
                "SELECT format('%I.%I', schemaname, sequencename), last_value, start_value "
                "FROM pg_sequences WHERE schemaname = 'public'")).all()
        # One statement sets every sequence back (never-used ones to their start, unused again).
        self.set_sequences = sa.text("SELECT " + ", ".join(
            f"setval('{name}', {last if last is not None else start}, {'true' if last is not None else 'false'})"
            for name, last, start in sequences) if sequences else "SELECT 1")
        self.any_rows = sa.text(" UNION ALL ".join(
            f"(SELECT '{t.name}' FROM {_q(t.name)} LIMIT 1)" for t in tables))

    def restore(self) -> None:
        filled = {t.name for t in self.filled}
        with self.engine.begin() as conn:
            holding = set(conn.scalars(self.any_rows)) | filled
            if truncate := sorted(holding & self.truncated):
                conn.execute(sa.text(f"TRUNCATE {', '.join(map(_q, truncate))} CASCADE"))
                holding -= self.truncated
            for table in self.tables:  # first the references that would hold a later table's rows back
                for column in self.late[table.name]:
                    if table.name in holding:
                        conn.execute(sa.text(f"UPDATE {_q(table.name)} SET {_q(column)} = NULL "
                                             f"WHERE {_q(column)} IS NOT NULL"))
            for table in reversed(self.tables):
                if table.name in holding:
                    conn.execute(sa.text(f"DELETE FROM {_q(table.name)}"))
            for table in self.filled:
                late = self.late[table.name]
                columns = ", ".join(_q(c.name) for c in table.columns if c.name not in late)
                conn.execute(sa.text(f"INSERT INTO {_q(table.name)} ({columns}) "
                                     f"SELECT {columns} FROM {SEED_SCHEMA}.{_q(table.name)}"))
            for table in self.filled:
                key = [c.name for c in table.primary_key.columns]
                for column in self.late[table.name]:
                    match = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in key)
                    conn.execute(sa.text(f"UPDATE {_q(table.name)} t SET {_q(column)} = s.{_q(column)} "
                                         f"FROM {SEED_SCHEMA}.{_q(table.name)} s WHERE {match}"))
            conn.execute(self.set_sequences)

    def close(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE"))


class SeededState:
    """The demo units, accounts and library, seeded once; ``restore()`` puts them back."""

    def __init__(self, app: Flask, copy: Path):
        from webapp.demo import seed
        from webapp.procedures.service import load_library

        _empty_tables(app)
        shutil.rmtree(app.config["MOTCUA_SETTINGS"].fakes_dir, ignore_errors=True)
        with app.app_context():
            self.tokens = seed()
            load_library(Path(app.config["MOTCUA_LIBRARY"]), actor_id=None)
            db.session.commit()
            self.snapshot: _SqliteSnapshot | _PostgresSnapshot
            if db.engine.dialect.name == "postgresql":
                self.snapshot = _PostgresSnapshot(db.engine, list(db.metadata.sorted_tables))
            else:
                self.snapshot = _SqliteSnapshot(Path(db.engine.url.database or ""), copy)
        self.app = app

    def restore(self) -> dict[str, str]:
        self.snapshot.restore()
        shutil.rmtree(self.app.config["MOTCUA_SETTINGS"].fakes_dir, ignore_errors=True)
        return dict(self.tokens)


@pytest.fixture(scope="session")
def seeded_state(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededState]:
    state = SeededState(app, tmp_path_factory.mktemp("motcua-seed") / "seeded.db")
    yield state
    state.snapshot.close()


@pytest.fixture()
def seeded(seeded_state: SeededState) -> dict[str, str]:
    """Tables and fake outside systems as just after seeding the demo units/accounts and the
    library (nothing any earlier test did); returns username -> token. (Dossier codes start
    again at 1 in every test: a carrier or portal fake that remembered the last test's bookings
    would answer this test's dossiers with them.)"""
    return seeded_state.restore()


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
