"""Storing, publishing and compiling procedure versions."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from engine.compiler import Procedure as CompiledProcedure
from engine.explore import explore
from engine.package import PackageSource, read_library
from engine.problems import PackageInvalid, Problem
from engine.runtime import Engine
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.models import utcnow
from webapp.procedures.models import Procedure, ProcedureVersion


class ProcedureError(LookupError):
    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def engine() -> Engine:
    return current_app.extensions["motcua_engine"]


def store_package(source: PackageSource, *, actor_id: int | None) -> tuple[ProcedureVersion, bool]:
    """Validate and store ``source`` as a version; the same bytes again return the existing one.

    Raises PackageInvalid with every problem; nothing is written then.
    """
    files = _as_text(source)
    compiled = engine().load(source)  # validates everything, raises PackageInvalid
    procedure = db.session.scalar(sa.select(Procedure).where(Procedure.slug == source.slug))
    if procedure is None:
        procedure = Procedure(slug=source.slug)
        db.session.add(procedure)
        db.session.flush()
    existing = db.session.scalar(sa.select(ProcedureVersion).where(
        ProcedureVersion.procedure_id == procedure.id, ProcedureVersion.content_hash == source.content_hash))
    if existing is not None:
        return existing, False
    number = (db.session.scalar(sa.select(sa.func.max(ProcedureVersion.number))
                                .where(ProcedureVersion.procedure_id == procedure.id)) or 0) + 1
    version = ProcedureVersion(procedure_id=procedure.id, number=number, content_hash=source.content_hash,
                               files=files, meta=compiled.metadata, created_by_id=actor_id)
    db.session.add(version)
    db.session.flush()
    record(Event.PROCEDURE_VERSION_STORED, actor_id=actor_id, object_type="procedure_version", object_id=version.id,
           slug=source.slug, number=number, content_hash=source.content_hash)
    return version, True


def publish(slug: str, number: int, *, actor_id: int | None, explore_paths: bool = True) -> ProcedureVersion:
    """Publish a stored version. With ``explore_paths`` every path is explored first (engine/explore.py):
    PackageInvalid with the errors refuses it; the warnings are left on ``version.path_warnings``."""
    version = find_version(slug, number)
    if version is None:
        raise ProcedureError("not_found", f"{slug} has no version {number}")
    version.path_warnings = check_paths(version) if explore_paths else []  # type: ignore[attr-defined]
    procedure = version.procedure
    version.published = True
    version.published_at = version.published_at or utcnow()
    procedure.published_version_id = version.id
    record(Event.PROCEDURE_PUBLISHED, actor_id=actor_id, object_type="procedure_version", object_id=version.id,
           slug=slug, number=number)
    return version


def check_paths(version: ProcedureVersion) -> list[Problem]:
    """Drive a stored version down every path with faked timers and connectors (never the real
    systems): raises PackageInvalid when an end is never reached or a step nobody can act on;
    returns the warnings (flows never taken, limits of the exploration)."""
    files = {path: text.encode("utf-8") for path, text in version.files.items()}
    report = explore(PackageSource(version.procedure.slug, files), connectors=engine().connectors)
    if report.errors:
        raise PackageInvalid(report.errors)
    return report.warnings


def find_version(slug: str, number: int) -> ProcedureVersion | None:
    return db.session.scalar(
        sa.select(ProcedureVersion).join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .where(Procedure.slug == slug, ProcedureVersion.number == number))


def published_version(slug: str) -> ProcedureVersion | None:
    return db.session.scalar(
        sa.select(ProcedureVersion).join(Procedure, Procedure.published_version_id == ProcedureVersion.id)
        .where(Procedure.slug == slug))


def compiled(version: ProcedureVersion) -> CompiledProcedure:
    """The engine's compiled procedure for a stored version (compiled once per process)."""
    cached = engine().procedures.peek(version.content_hash)
    if cached is not None:
        return cached
    files = {path: text.encode("utf-8") for path, text in version.files.items()}
    return engine().load(PackageSource(version.procedure.slug, files))


def catalogue(*, q: str | None = None, field: str | None = None, level: str | None = None) -> list[ProcedureVersion]:
    versions = db.session.scalars(
        sa.select(ProcedureVersion).join(Procedure, Procedure.published_version_id == ProcedureVersion.id)
        .order_by(Procedure.slug)).all()
    return [v for v in versions if _matches(v.meta, q=q, field=field, level=level)]


def load_library(folder: Path, *, actor_id: int | None, publish_new: bool = True) -> list[tuple[str, int, bool]]:
    """Store every procedure under ``folder/bpmn`` (with this deployment's province overlays);
    returns (slug, version number, new?)."""
    results = []
    province = current_app.config["MOTCUA_SETTINGS"].province
    for source in read_library(folder / "bpmn", province):
        version, created = store_package(source, actor_id=actor_id)
        if publish_new and (created or not version.published):
            # The shipped library is explored by `motcua validate --paths bpmn/` (make validate, tests).
            publish(source.slug, version.number, actor_id=actor_id, explore_paths=False)
        results.append((source.slug, version.number, created))
    return results


def fold(text: str) -> str:
    """Lower-case without diacritics, so "khai sinh" finds "Đăng ký khai sinh"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _matches(meta: dict[str, Any], *, q: str | None, field: str | None, level: str | None) -> bool:
    if level and meta.get("level") != level:
        return False
    if field and fold(field) not in {fold(v) for v in (meta.get("field") or {}).values()}:
        return False
    if q:
        haystack = fold(" ".join([meta.get("code", ""), *(meta.get("name") or {}).values(), *meta.get("tags", [])]))
        return all(word in haystack for word in fold(q).split())
    return True


def _as_text(source: PackageSource) -> dict[str, str]:
    files, problems = {}, []
    for path, data in source.files.items():
        try:
            files[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(path, None, "not_utf8", {}))
    if problems:
        raise PackageInvalid(problems)
    return files
