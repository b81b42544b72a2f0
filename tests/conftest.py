from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from engine.package import PackageSource, read_package
from engine.runtime import Engine

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
# Apps refuse to start without a real MOTCUA_SECRET_KEY: tests use one made for this run.
TEST_SECRET_KEY = secrets.token_urlsafe(48)
SECRET = {"MOTCUA_SECRET_KEY": TEST_SECRET_KEY}  # Settings.from_env({**SECRET, ...})


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


def library_package(slug: str) -> PackageSource:
    return read_package(REPO / "bpmn" / slug)


def test_package(slug: str) -> PackageSource:
    return read_package(DATA / "bpmn" / slug)


test_package.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
