"""MkDocs hooks (mkdocs.yml `hooks:`): regenerate the pages made from code before each build.

docs/api/openapi.json and docs/api/reference.md come from webapp/api/openapi.py,
docs/operator/settings-reference.md from the docstring of webapp/settings.py; a MOTCUA_* name the
code reads without describing it there is a warning, so `mkdocs build --strict` fails.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.motcua")
HERE = Path(__file__).resolve().parent


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"motcua_docs_{name}", HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_pre_build(config: Any, **kwargs: Any) -> None:
    docs = Path(config["docs_dir"])
    _load("export_openapi").export(docs)
    settings = _load("export_settings")
    settings.export(docs / "operator" / "settings-reference.md")
    for name in settings.undocumented():  # a warning: `mkdocs build --strict` fails
        log.warning("%s is read by the code but not described in the docstring of webapp/settings.py", name)
