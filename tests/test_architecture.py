"""The code keeps its shape: one-way layers (import-linter contracts in pyproject.toml) and no
module reaching into another's private names."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO


def test_the_layer_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a dev dependency (pip install -e '.[dev]')"
    done = subprocess.run([lint], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "0 broken" in done.stdout


def _private_imports(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            if node.module.split(".")[0] not in ("engine", "webapp", "fakes"):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.module}.{alias.name}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    """Modules share helpers through public functions: a leading underscore means "this file only"."""
    assert _private_imports(REPO / "webapp") + _private_imports(REPO / "engine") == []


# The one module each of the engine and the web app that may import the local fakes (fakes/).
FAKES_WIRING = {"engine/local_systems.py", "webapp/local_fakes.py"}


def _fake_imports(root: Path) -> list[str]:
    """Every import of the ``fakes`` package under ``root``, function-level ones included."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            if any(name == "fakes" or name.startswith("fakes.") for name in names):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_the_fakes_are_reached_only_through_the_wiring_modules() -> None:
    """The connectors' protocol modules (engine/connectors/) import no fake; the rest of the engine and
    the web app reach fakes/ only at their wiring module, where the settings (or the lack of a
    registry) pick a fake. The import-linter contracts say the same, indirect imports included."""
    assert _fake_imports(REPO / "engine" / "connectors") == []
    assert [hit for hit in _fake_imports(REPO / "engine") + _fake_imports(REPO / "webapp")
            if hit.split(":")[0] not in FAKES_WIRING] == []
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]["contracts"]
    protocols = [c for c in contracts if c["type"] == "forbidden" and "engine.connectors" in c["source_modules"]]
    assert protocols and all(c["forbidden_modules"] == ["fakes"] and not c.get("ignore_imports") for c in protocols)
