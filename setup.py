"""Build step that ships the procedure library and the migrations inside the wheel.

Everything else about the package is declared in pyproject.toml; this file only adds one step.

bpmn/, forms/, overlays/ and migrations/ are top-level folders of the repository (the project's
layout), not folders of a Python package, so package-data cannot name them. When a wheel is built,
this step copies them into the build tree as ``webapp/_library/`` (data of the ``webapp`` package),
where webapp/settings.py (LIBRARY_ROOT) finds them through importlib.resources. In a checkout (an
editable install) nothing is copied: LIBRARY_ROOT is the repository root, next to webapp/.
MANIFEST.in puts the same folders into the sdist, so a wheel built from the sdist has them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
LIBRARY_FOLDERS = ("bpmn", "forms", "overlays", "migrations")
TARGET = Path("webapp", "_library")  # keep in step with LIBRARY_ROOT in webapp/settings.py


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the folders in the checkout
        target = Path(self.build_lib) / TARGET
        for name in LIBRARY_FOLDERS:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; the wheel would have no {name}/")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithLibrary})
