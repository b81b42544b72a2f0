"""Transactions are committed at the boundary only: a request (route), a job (``jobs.py``), a
command (``cli.py``). Services flush and leave the commit to their caller, so an action made of
several services is all or nothing."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

# The outbox relay and hand-over keep their own bookkeeping transactions: they are boundaries
# (a beat job and an after-request hook). Connector calls store an answer before applying it
# (webapp/connectors/calls.py, portal_sync.py): those are the bodies of their jobs.
JOB_BODIES = {"webapp/connectors/calls.py", "webapp/connectors/portal_sync.py"}


def _commits(path: Path) -> list[int]:
    tree = ast.parse(path.read_text("utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session"]


def _is_service(path: Path) -> bool:
    relative = path.relative_to(REPO).as_posix()
    if relative.startswith("webapp/outbox/") or relative in JOB_BODIES:
        return False
    return path.name == "service.py" or relative.startswith(("webapp/dossiers/", "webapp/procedures/",
                                                             "webapp/audit/")) and path.name != "jobs.py"


def test_no_service_commits() -> None:
    offenders = [f"{p.relative_to(REPO)}:{line}" for p in sorted((REPO / "webapp").rglob("*.py"))
                 if _is_service(p) for line in _commits(p)]
    assert offenders == []


def test_the_check_finds_a_commit() -> None:
    assert _commits(REPO / "webapp" / "cli.py")  # the CLI is a boundary and commits
