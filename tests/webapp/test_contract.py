"""The API contract and the schema contract: documented routes = real routes; models = migrations."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from webapp.api.openapi import document
from webapp.extensions import db


def _flask_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routes.update((path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_every_route_is_documented_and_every_documented_route_exists(app: Flask) -> None:
    documented = {(path, method) for path, item in document()["paths"].items() for method in item}
    assert _flask_routes(app) == documented


def test_openapi_is_served_and_references_resolve(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    refs = set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', str(doc).replace("'", '"')))
    assert refs and refs <= set(schemas)


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run: flask --app webapp db migrate -m '...' and commit the migration"


def test_versions_and_audit_entries_cannot_be_rewritten(app: Flask, seeded: dict[str, str]) -> None:
    import pytest
    import sqlalchemy as sa

    from webapp.audit.models import AuditEntry, AuditLogIsAppendOnly
    from webapp.procedures.models import ProcedureVersion, VersionIsImmutable

    with app.app_context():
        version = db.session.scalar(sa.select(ProcedureVersion))
        version.files = {**version.files, "bpmn/khai-sinh/procedure.yaml": "tampered"}
        with pytest.raises(VersionIsImmutable):
            db.session.flush()
        db.session.rollback()
        version = db.session.scalar(sa.select(ProcedureVersion))
        version.published = False  # flags may change
        db.session.flush()
        db.session.rollback()
        entry = db.session.scalar(sa.select(AuditEntry))
        entry.action = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.delete(db.session.scalar(sa.select(AuditEntry)))
            db.session.flush()
        db.session.rollback()
