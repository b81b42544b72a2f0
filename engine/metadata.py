"""Catalogue metadata (``procedure.yaml``): safe loading and validation against the shipped schema.

YAML and JSON written by designers are read by :mod:`engine.safe_parse`: no anchors/aliases
(the "billion laughs" bomb), nesting at most ``safe_parse.MAX_DEPTH`` levels.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from engine import safe_parse
from engine.problems import Problem
from engine.safe_parse import InputTooDeep


@cache
def schema_validator(name: str) -> Draft202012Validator:
    """A validator for one of the schemas shipped in ``engine/schemas``."""
    text = resources.files("engine").joinpath(f"schemas/{name}").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def metadata_validator() -> Draft202012Validator:
    return schema_validator("procedure.schema.json")


def load_mapping(path: str, data: bytes) -> dict[str, Any]:
    """A YAML or JSON file that must hold a mapping; raises ValueError with a plain reason
    (InputTooDeep, a ValueError with a message code, when it nests too deeply)."""
    try:
        loaded = safe_parse.load_json(data) if path.endswith(".json") else safe_parse.load_yaml(data)
    except InputTooDeep:
        raise  # its own message code; callers report it as such
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
        raise ValueError(str(err).strip()) from None
    if not isinstance(loaded, dict):
        raise ValueError("expected a mapping at the top")
    return loaded


def schema_problems(validator: Draft202012Validator, loaded: Any, path: str, code: str) -> list[Problem]:
    """One problem per schema error, in document order."""
    return [
        Problem(path, None, code, {"path": "/".join(map(str, e.absolute_path)) or "/", "detail": e.message})
        for e in sorted(validator.iter_errors(loaded), key=lambda e: list(map(str, e.absolute_path)))
    ]


def parse_metadata(path: str, data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The metadata dict (or None) and every problem with it."""
    try:
        loaded = load_mapping(path, data)
    except InputTooDeep as err:
        return None, [Problem(path, None, err.code, err.params)]
    except ValueError as err:
        return None, [Problem(path, None, "metadata_unreadable", {"detail": str(err)})]
    return loaded, schema_problems(metadata_validator(), loaded, path, "metadata_invalid")
