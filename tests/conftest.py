from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from engine.package import PackageSource, read_package
from engine.runtime import Engine

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
# Apps refuse to start without a real MOTCUA_SECRET_KEY: tests use one made for this run.
TEST_SECRET_KEY = secrets.token_urlsafe(48)
SECRET = {"MOTCUA_SECRET_KEY": TEST_SECRET_KEY}  # Settings.from_env({**SECRET, ...})

# Under pytest-xdist (`pytest -n 2`) every worker process gets its own PostgreSQL database
# (motcua_test_gw0, ...) and Redis database (15, 14, ...); the temporary folders, hence the
# SQLite files and data dirs, are the worker's own already. Set here, before any test module
# reads the environment.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... or "" without xdist
WORKER_INDEX = int(WORKER[2:]) if WORKER.startswith("gw") else 0
WORKER_COUNT = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
SHARED_DB_URL = os.environ.get("MOTCUA_TEST_DATABASE_URL") or None
if SHARED_DB_URL and WORKER:
    os.environ["MOTCUA_TEST_DATABASE_URL"] = sa.make_url(SHARED_DB_URL).set(
        database=f"{sa.make_url(SHARED_DB_URL).database}_{WORKER}").render_as_string(hide_password=False)
if os.environ.get("MOTCUA_TEST_REDIS_URL") and WORKER_INDEX:
    _redis = urlsplit(os.environ["MOTCUA_TEST_REDIS_URL"])
    _number = int(_redis.path.strip("/") or 0)
    _number = _number - WORKER_INDEX if _number >= WORKER_INDEX else _number + WORKER_INDEX
    os.environ["MOTCUA_TEST_REDIS_URL"] = urlunsplit(_redis._replace(path=f"/{_number}"))
TEST_DB_URL = os.environ.get("MOTCUA_TEST_DATABASE_URL") or None


def ensure_test_database(url: str) -> None:
    """Create this xdist worker's PostgreSQL database (from the shared one's role) if missing."""
    if not SHARED_DB_URL or url == SHARED_DB_URL:
        return
    name = sa.make_url(url).database
    engine = sa.create_engine(SHARED_DB_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only", action="store_true",
        help="run only the tests that use the test database (the `app` fixture): with "
             "MOTCUA_TEST_DATABASE_URL, the rest would only repeat what the SQLite run did")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-tests-only"):
        return
    keep, skip = [], []
    for item in items:
        (keep if "app" in getattr(item, "fixturenames", ()) else skip).append(item)
    config.hook.pytest_deselected(items=skip)
    items[:] = keep


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


def library_package(slug: str) -> PackageSource:
    return read_package(REPO / "bpmn" / slug)


def test_package(slug: str) -> PackageSource:
    return read_package(DATA / "bpmn" / slug)


test_package.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
