"""The OpenAPI 3.1 description of /api/v1. tests/webapp/test_openapi.py fails when a route
exists without being described here, or the other way round."""

from __future__ import annotations

from typing import Any

from webapp.api import bp


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {400: "Malformed request", 401: "No or invalid bearer token", 403: "Role or unit not allowed",
               404: "Not found (or not yours)", 409: "Changed meanwhile, or already done/claimed",
               413: "Too large", 422: "Invalid data; `fields` lists each problem"}
    return {str(s): _json(_ref("Error"), reasons[s]) for s in statuses}


_AUTH = [{"bearer": []}]
_PATH_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_PATH_ITEM = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PATH_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "fields": {"type": "array", "items": _ref("FieldError")},
            },
        }},
    },
    "FieldError": {"type": "object", "required": ["path", "message"],
                   "properties": {"path": {"type": "string"}, "message": {"type": "string"}}},
    "Text": {"type": "object", "properties": {"vi": {"type": "string"}, "en": {"type": "string"}}},
    "ProcedureSummary": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "version": {"type": "integer"}, "code": {"type": "string"},
            "name": _ref("Text"), "field": _ref("Text"), "level": {"type": "string"},
            "service_level": {"type": "string"}, "deadline": {"type": "object"},
            "fees": {"type": "array", "items": {"type": "object"}},
            "components": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Procedure": {"allOf": [_ref("ProcedureSummary"), {"type": "object", "properties": {
        "metadata": {"type": "object"},
        "start_form": {"type": ["object", "null"], "properties": {"schema": {"type": "object"},
                                                                  "ui_schema": {"type": "object"}}},
    }}]},
    "Submission": {
        "type": "object", "required": ["procedure", "data"],
        "properties": {
            "procedure": {"type": "string", "description": "procedure slug, e.g. khai-sinh"},
            "data": {"type": "object", "description": "the start form's answers"},
            "unit": {"type": "string", "description": "receiving unit code; optional when only one unit fits"},
            "channel": {"type": "integer", "enum": [1, 2, 3], "description": "1 desk, 2 online, 3 post"},
            "applicant": {"type": "object", "description": "officers filing at the desk: the citizen",
                          "properties": {"identity_number": {"type": "string", "pattern": "^[0-9]{12}$"},
                                         "name": {"type": "string"}}},
        },
    },
    "WorkItem": {"type": "object", "properties": {
        "id": {"type": "integer"}, "element_id": {"type": "string"}, "name": {"type": "string"},
        "lane": {"type": "string"}, "role": {"type": "string"}, "unit": {"type": ["string", "null"]},
        "state": {"type": "string"}, "claimed_by": {"type": ["integer", "null"]},
        "entered_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": ["string", "null"], "format": "date-time"},
    }},
    "Document": {"type": "object", "properties": {
        "id": {"type": "integer"}, "component": {"type": "string"}, "filename": {"type": "string"},
        "content_type": {"type": "string"}, "size": {"type": "integer"}, "sha256": {"type": "string"},
        "uploaded_at": {"type": "string", "format": "date-time"},
    }},
    "Dossier": {"type": "object", "properties": {
        "code": {"type": "string"}, "procedure": {"type": "object"}, "status": {"type": ["integer", "null"]},
        "status_label": {"type": ["string", "null"]}, "channel": {"type": "integer"},
        "receiving_unit": {"type": "string"}, "handling_unit": {"type": "string"},
        "submitted_at": {"type": "string", "format": "date-time"},
        "received_at": {"type": ["string", "null"]}, "due_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]}, "version": {"type": "integer"},
        "tracking_number": {"type": ["string", "null"], "description": "public post tracking number of the result"},
        "data": {"type": "object"}, "current_steps": {"type": "array", "items": _ref("WorkItem")},
        "history": {"type": "array", "items": {"type": "object"}},
        "documents": {"type": "array", "items": _ref("Document")},
        "failure": {"type": ["string", "null"]},
    }},
    "Worklist": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object"}}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"},
    }},
}

PATHS: dict[str, Any] = {
    "/api/v1/procedures": {
        "get": {
            "summary": "The published catalogue", "tags": ["procedures"],
            "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("q", "field", "level")],
            "responses": {"200": _json({"type": "object", "properties": {
                "items": {"type": "array", "items": _ref("ProcedureSummary")}}}, "Procedures")},
        },
        "post": {
            "summary": "Upload a procedure package (zip of bpmn/<slug>/ and forms/<slug>/); designer role",
            "tags": ["procedures"], "security": _AUTH,
            "requestBody": {"content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"package": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json(_ref("ProcedureSummary"), "New version stored"),
                          "200": _json(_ref("ProcedureSummary"), "These exact files are already a version"),
                          **_errors(400, 401, 403, 413, 422)},
        },
    },
    "/api/v1/procedures/{slug}": {"get": {
        "summary": "A published procedure with its start form", "tags": ["procedures"], "parameters": [_PATH_SLUG],
        "responses": {"200": _json(_ref("Procedure"), "Procedure"), **_errors(404)},
    }},
    "/api/v1/procedures/{slug}/versions/{number}/publish": {"post": {
        "summary": "Make a version the one new dossiers use; designer role", "tags": ["procedures"],
        "security": _AUTH,
        "parameters": [_PATH_SLUG, {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": _json(_ref("ProcedureSummary"), "Published"), **_errors(401, 403, 404)},
    }},
    "/api/v1/dossiers": {"post": {
        "summary": "Submit a dossier (citizen, or desk officer for a citizen)", "tags": ["dossiers"],
        "security": _AUTH,
        "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 100},
                        "description": "the same key from the same caller returns the first dossier"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Submission")}}},
        "responses": {"201": _json(_ref("Dossier"), "Created"),
                      "200": _json(_ref("Dossier"), "Already created with this Idempotency-Key"),
                      **_errors(400, 401, 403, 404, 422)},
    }},
    "/api/v1/dossiers/{code}": {"get": {
        "summary": "A dossier: status, history, current steps, due date, documents", "tags": ["dossiers"],
        "security": _AUTH, "parameters": [_PATH_CODE],
        "responses": {"200": _json(_ref("Dossier"), "Dossier"), **_errors(401, 404)},
    }},
    "/api/v1/dossiers/{code}/withdrawal": {"post": {
        "summary": "The applicant asks to withdraw the dossier (status 7) before its result is ready",
        "tags": ["dossiers"], "security": _AUTH, "parameters": [_PATH_CODE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["reason"],
            "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}}}}}},
        "responses": {"200": _json(_ref("Dossier"), "Withdrawal requested"), **_errors(400, 401, 404, 409, 422)},
    }},
    "/api/v1/dossiers/{code}/withdrawal/decision": {"post": {
        "summary": "The receiving unit's one-stop desk accepts (status 8, processing stops) or declines a withdrawal "
                   "request (back to the previous status)",
        "tags": ["dossiers"], "security": _AUTH, "parameters": [_PATH_CODE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["accept"],
            "properties": {"accept": {"type": "boolean"},
                           "note": {"type": "string", "maxLength": 500, "description": "Required to decline"}}}}}},
        "responses": {"200": _json(_ref("Dossier"), "Decided"), **_errors(400, 401, 403, 404, 409, 422)},
    }},
    "/api/v1/dossiers/{code}/documents": {"post": {
        "summary": "Attach a document to a dossier component", "tags": ["dossiers"], "security": _AUTH,
        "parameters": [_PATH_CODE],
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}, "component": {"type": "string"}}}}}},
        "responses": {"201": _json(_ref("Document"), "Stored"), **_errors(400, 401, 404, 413, 422)},
    }},
    "/api/v1/worklist": {"get": {
        "summary": "Ready steps for the caller's roles and units (and steps assigned to the caller)",
        "tags": ["work"], "security": _AUTH,
        "parameters": [
            *[{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("role", "unit", "procedure", "q")],
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
        ],
        "responses": {"200": _json(_ref("Worklist"), "A page of work items"), **_errors(400, 401)},
    }},
    "/api/v1/work-items/{item_id}/claim": {"post": {
        "summary": "Claim a step so colleagues see who works on it", "tags": ["work"], "security": _AUTH,
        "parameters": [_PATH_ITEM],
        "responses": {"200": _json({"type": "object"}, "Claimed"), **_errors(401, 404, 409)},
    }},
    "/api/v1/work-items/{item_id}/release": {"post": {
        "summary": "Give a claimed step back to the queue", "tags": ["work"], "security": _AUTH,
        "parameters": [_PATH_ITEM],
        "responses": {"200": _json({"type": "object"}, "Released"), **_errors(401, 404, 409)},
    }},
    "/api/v1/work-items/{item_id}/assign": {"post": {
        "summary": "The unit's leader gives a ready step to a named officer who holds its role in the unit",
        "tags": ["work"], "security": _AUTH, "parameters": [_PATH_ITEM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["account_id"], "properties": {"account_id": {"type": "integer"}}}}}},
        "responses": {"200": _json({"type": "object"}, "Assigned"), **_errors(401, 403, 404, 409, 422)},
    }},
    "/api/v1/work-items/{item_id}/complete": {"post": {
        "summary": "Complete a step with its form's data; returns the dossier", "tags": ["work"],
        "security": _AUTH, "parameters": [_PATH_ITEM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["data"], "properties": {"data": {"type": "object"}}}}}},
        "responses": {"200": _json(_ref("Dossier"), "The dossier after the step"),
                      **_errors(400, 401, 404, 409, 422)},
    }},
    "/api/v1/openapi.json": {"get": {
        "summary": "This document", "tags": ["meta"],
        "responses": {"200": {"description": "OpenAPI 3.1"}},
    }},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Một cửa API", "version": "1",
                 "description": "Dossiers, procedures and work items. Errors: {error: {code, message, fields?}}."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    return document()
