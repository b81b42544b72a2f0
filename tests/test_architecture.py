"""The code keeps its shape: one-way layers (import-linter contracts in pyproject.toml) and no
module reaching into another's private names."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
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
            if node.module.split(".")[0] not in ("engine", "webapp", "devoidc", "devpay"):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.module}.{alias.name}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    """Modules share helpers through public functions: a leading underscore means "this file only"."""
    assert _private_imports(REPO / "webapp") + _private_imports(REPO / "engine") == []
