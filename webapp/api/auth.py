"""Bearer-token authentication and the small helpers every route uses."""

from __future__ import annotations

from typing import Any

from flask import g, request

from engine import safe_parse
from engine.safe_parse import InputTooDeep
from webapp.accounts.service import Principal, principal_for_token
from webapp.api.errors import ApiError


def principal() -> Principal:
    """The caller, or 401. Cached for the request."""
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        found = principal_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise ApiError(401, "unauthenticated")
        g.principal = found
    return g.principal


def require_system_role(role: str) -> Principal:
    caller = principal()
    if not caller.has(role):
        raise ApiError(403, "forbidden")
    return caller


def json_body() -> dict[str, Any]:
    """The request's JSON object, or 400. Read with a depth limit: Flask's own parser recurses once
    per level, so a body nested 100 000 deep would end in RecursionError (a 500)."""
    if not request.is_json:
        raise ApiError(400, "bad_json")
    try:
        data = safe_parse.load_json(request.get_data(cache=True))
    except InputTooDeep as err:
        raise ApiError(400, err.code, err.message(lang())) from None
    except ValueError:  # not JSON, or not UTF-8
        raise ApiError(400, "bad_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json")
    return data


def lang() -> str:
    return "en" if (request.accept_languages.best_match(["vi", "en"]) or "vi") == "en" else "vi"
