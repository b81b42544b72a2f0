"""Hostile forms and deeply nested input get a clear 4xx over HTTP, never a 500, and nothing is stored."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.forms import MAX_STRING_CHARS
from tests.conftest import DATA
from tests.hostile import as_zip as _zip
from tests.webapp.conftest import Api
from tests.webapp.test_bad_input import DECLARATION, unchanged
from tests.webapp.test_studio_forms import EDITOR, _post
from tests.webapp.test_workspace import _login

MAU = {**{f"bpmn/mau/{p.name}": p.read_bytes() for p in (DATA / "broken" / "bpmn" / "mau").iterdir()},
       **{f"forms/mau/{p.name}": p.read_bytes() for p in (DATA / "broken" / "forms" / "mau").iterdir()}}
FORM = "forms/mau/to-khai.schema.json"


def _with_field(field: dict[str, Any], **root: Any) -> dict[str, bytes]:
    schema = json.loads(MAU[FORM])
    schema["properties"]["x"] = field
    schema.update(root)
    return {**MAU, FORM: json.dumps(schema).encode()}


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def _upload(api: Api, entries: dict[str, bytes]) -> tuple[int, Any]:
    return api.post("/procedures", "thietke", content_type="multipart/form-data",
                    data={"package": (io.BytesIO(_zip(entries)), "mau.zip")})


HOSTILE = [
    ("backreference", _with_field({"type": "string", "pattern": r"^(a)\1$"}), "form_pattern_unsupported"),
    ("lookahead", _with_field({"type": "string", "pattern": "^(?=.*[0-9]).+$"}), "form_pattern_unsupported"),
    ("huge maxLength", _with_field({"type": "string", "maxLength": 10**30}), "form_limit_too_high"),
    ("remote $dynamicRef", _with_field({"$dynamicRef": "https://evil.example/s.json#m"}), "form_ref_outside"),
    ("remote $ref", _with_field({"$ref": "https://evil.example/s.json"}), "form_ref_outside"),
    ("unknown $schema", _with_field({"type": "string"}, **{"$schema": "https://evil.example/meta"}),
     "form_dialect_unsupported"),
    ("$id outside", _with_field({"$id": "https://evil.example/", "type": "string"}), "form_id_outside"),
    ("deep schema", _with_field(_nested(20)), "form_too_deep"),
    ("400-deep form file", {**MAU, FORM: b"[" * 400 + b"]" * 400}, "input_too_deep"),
    ("100000-deep form file", {**MAU, FORM: b"[" * 100_000 + b"]" * 100_000}, "input_too_deep"),
    ("100000-deep procedure.yaml", {**MAU, "bpmn/mau/procedure.yaml": b"slug: mau\nx: " + b"[" * 100_000},
     "input_too_deep"),
]


@pytest.mark.parametrize(("name", "entries", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_form_packages_are_refused_with_the_reason(api: Api, app: Flask, name: str,
                                                           entries: dict[str, bytes], code: str) -> None:
    with unchanged(app):
        status, body = _upload(api, entries)
    assert status == 422, body
    assert body["error"]["code"] == "package_invalid"
    problems = [f for f in body["error"]["fields"] if f["code"] == code]
    assert problems, body["error"]["fields"]
    assert problems[0]["message"] and "{" not in problems[0]["message"]


def test_a_valid_package_is_still_accepted(api: Api) -> None:
    status, body = _upload(api, _with_field({"type": "string", "pattern": "^[0-9]{4}$", "maxLength": 4}))
    assert status in (200, 201), body
    assert body["slug"] == "mau"


def test_a_deeply_nested_json_body_gets_400(api: Api, app: Flask) -> None:
    deep = '{"procedure": "khai-sinh", "data": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001
    with unchanged(app):
        status, body = api.post("/dossiers", "an", data=deep, content_type="application/json")
        assert status == 400, body
        assert body["error"]["code"] == "input_too_deep" and "quá sâu" in body["error"]["message"]
        status, body = api.post("/dossiers", "an", data="[" * 100_000 + "]" * 100_000,
                                content_type="application/json", headers={"Accept-Language": "en"})
        assert status == 400 and "nested too deeply" in body["error"]["message"]
    # An ordinary body still works.
    assert api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[0] == 201


def test_a_string_over_the_ceiling_is_refused_per_field_and_nothing_stored(api: Api, app: Flask) -> None:
    data = {**DECLARATION, "giay_to_ve_viec_sinh": "x" * (MAX_STRING_CHARS + 1)}
    with unchanged(app):
        status, body = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})
    assert status == 422, body
    fields = {f["path"]: f["message"] for f in body["error"]["fields"]}
    assert list(fields) == ["giay_to_ve_viec_sinh"] and str(MAX_STRING_CHARS) in fields["giay_to_ve_viec_sinh"]


@pytest.mark.parametrize(("schema_json", "expected"), [
    ("[" * 100_000 + "]" * 100_000, "lồng nhau quá sâu"),
    (json.dumps({"type": "object", "properties": {"x": {"type": "string", "pattern": r"(a)\1"}}}),
     "không được hỗ trợ"),
    (json.dumps({"type": "object", "properties": {"x": _nested(20)}}), "lồng nhau quá sâu"),
])
def test_the_studio_form_editor_refuses_hostile_json(app: Flask, client: FlaskClient, seeded: dict,
                                                     schema_json: str, expected: str) -> None:
    _login(client, "thietke")
    page = client.get(EDITOR + "?che-do=json").get_data(as_text=True)
    with unchanged(app):
        response = _post(client, EDITOR, page, {"schema_json": schema_json}, button=("save", "1"))
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
