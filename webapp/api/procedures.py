from __future__ import annotations

from typing import Any

from flask import request

from engine.problems import PackageInvalid
from engine.zipsafe import ZipRejected, read_package_zip
from webapp.api import bp
from webapp.api.auth import lang, require_system_role
from webapp.api.errors import ApiError
from webapp.extensions import db
from webapp.procedures import service
from webapp.procedures.models import ProcedureVersion


def procedure_summary(version: ProcedureVersion) -> dict[str, Any]:
    meta = version.meta
    return {
        "slug": version.procedure.slug,
        "version": version.number,
        "code": meta.get("code"),
        "name": meta.get("name"),
        "field": meta.get("field"),
        "level": meta.get("level"),
        "service_level": meta.get("service_level"),
        "deadline": meta.get("processing_time"),
        "fees": meta.get("fees", []),
        "components": meta.get("components", []),
    }


@bp.get("/procedures")
def list_procedures() -> dict[str, Any]:
    versions = service.catalogue(q=request.args.get("q"), field=request.args.get("field"),
                                 level=request.args.get("level"))
    return {"items": [procedure_summary(v) for v in versions]}


@bp.get("/procedures/<slug>")
def get_procedure(slug: str) -> dict[str, Any]:
    version = service.published_version(slug)
    if version is None:
        raise ApiError(404, "not_found")
    compiled = service.compiled(version)
    start = compiled.start_form
    return {
        **procedure_summary(version),
        "metadata": version.meta,
        "start_form": {"schema": start.schema, "ui_schema": start.ui_schema} if start else None,
    }


@bp.post("/procedures")
def upload_procedure() -> tuple[dict[str, Any], int]:
    caller = require_system_role("designer")
    upload = request.files.get("package")
    if upload is None:
        raise ApiError(400, "bad_request", "send the zip as the multipart field 'package'")
    try:
        source = read_package_zip(upload.read())
        version, created = service.store_package(source, actor_id=caller.account_id)
    except ZipRejected as err:
        db.session.rollback()
        raise ApiError(422, err.code, err.message(lang())) from None
    except PackageInvalid as err:
        db.session.rollback()
        problems = [p.as_dict(lang()) for p in err.problems]
        raise ApiError(422, "package_invalid", None, problems) from None
    db.session.commit()
    return {**procedure_summary(version), "content_hash": version.content_hash, "published": version.published,
            "created": created}, 201 if created else 200


@bp.post("/procedures/<slug>/versions/<int:number>/publish")
def publish_version(slug: str, number: int) -> dict[str, Any]:
    caller = require_system_role("designer")
    try:
        version = service.publish(slug, number, actor_id=caller.account_id)
    except service.ProcedureError:
        raise ApiError(404, "not_found") from None
    except PackageInvalid as err:  # a path exploration error: an end never reached, a step nobody can act on
        db.session.rollback()
        raise ApiError(422, "package_invalid", None, [p.as_dict(lang()) for p in err.problems]) from None
    db.session.commit()
    warnings = [p.as_dict(lang()) for p in getattr(version, "path_warnings", [])]
    return {**procedure_summary(version), "published": True, "warnings": warnings}
