"""Procedure packages as bytes: read from disk or a zip, hashed into immutable versions.

A package is every file the procedure needs, keyed by its path in the repository layout
(``bpmn/<slug>/...``, ``forms/<slug>/...``, ``forms/common/...``). The content hash over
all of them is the version: change any byte, including a shared form fragment, and the
procedure gets a new version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 500
METADATA_NAMES = ("procedure.yaml", "procedure.yml", "procedure.json")
PROCESS_FILE = "process.bpmn"


class PackageReadError(ValueError):
    pass


@dataclass(frozen=True)
class PackageSource:
    slug: str
    files: Mapping[str, bytes]

    @cached_property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.files):
            data = self.files[path]
            digest.update(path.encode())
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        return digest.hexdigest()

    @property
    def bpmn_prefix(self) -> str:
        return f"bpmn/{self.slug}/"

    def in_bpmn(self, suffix: str) -> list[str]:
        return sorted(p for p in self.files if p.startswith(self.bpmn_prefix) and p.endswith(suffix))

    @property
    def process_path(self) -> str:
        return self.bpmn_prefix + PROCESS_FILE

    @property
    def metadata_path(self) -> str | None:
        return next((self.bpmn_prefix + n for n in METADATA_NAMES if self.bpmn_prefix + n in self.files), None)

    def form_documents(self) -> dict[str, bytes]:
        """Form files keyed by their path under ``forms/`` (``khai-sinh/to-khai.schema.json``)."""
        return {p.removeprefix("forms/"): d for p, d in self.files.items() if p.startswith("forms/")}


def _read_tree(root: Path, folder: Path, files: dict[str, bytes]) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        if len(files) >= MAX_FILES:
            raise PackageReadError(f"more than {MAX_FILES} files in the package")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PackageReadError(f"{path.relative_to(root)} is larger than {MAX_FILE_BYTES} bytes")
        files[path.relative_to(root).as_posix()] = path.read_bytes()


def read_package(folder: Path, province: str | None = None) -> PackageSource:
    """Read ``<root>/bpmn/<slug>`` with its forms from ``<root>/forms``, and for ``province``
    its overlay ``<root>/overlays/<province>/<slug>.yaml`` if there is one."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise PackageReadError(f"{folder} is not a folder")
    root = folder.parent.parent
    slug = folder.name
    files: dict[str, bytes] = {}
    _read_tree(root, folder, files)
    _read_tree(root, root / "forms" / slug, files)
    _read_tree(root, root / "forms" / "common", files)
    if province:
        overlay = root / "overlays" / province / f"{slug}.yaml"
        if overlay.is_file():
            files[overlay.relative_to(root).as_posix()] = overlay.read_bytes()
    return PackageSource(slug=slug, files=files)


def is_library(folder: Path) -> bool:
    """A folder of procedure folders (such as ``bpmn/``) rather than one procedure."""
    return folder.is_dir() and not any((folder / n).exists() for n in (PROCESS_FILE, *METADATA_NAMES))


def read_library(folder: Path, province: str | None = None) -> list[PackageSource]:
    return [read_package(child, province) for child in sorted(folder.iterdir()) if child.is_dir()]


def overlay_provinces(library: Path) -> list[str]:
    """Provinces with overlays next to the library folder ``bpmn/`` (``overlays/<code>/``)."""
    root = library.resolve().parent / "overlays"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
