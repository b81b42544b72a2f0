"""Catalogue metadata (``procedure.yaml``): safe loading and validation against the shipped schema."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from engine.problems import Problem


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases, which a hostile file uses for a 'billion laughs' bomb."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&, *) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


@cache
def metadata_validator() -> Draft202012Validator:
    text = resources.files("engine").joinpath("schemas/procedure.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def parse_metadata(path: str, data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The metadata dict (or None) and every problem with it."""
    try:
        text = data.decode("utf-8")
        loaded = json.loads(text) if path.endswith(".json") else yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
        return None, [Problem(path, None, "metadata_unreadable", {"detail": str(err).strip()})]
    if not isinstance(loaded, dict):
        return None, [Problem(path, None, "metadata_unreadable", {"detail": "expected a mapping at the top"})]
    problems = [
        Problem(path, None, "metadata_invalid",
                {"path": "/".join(map(str, e.absolute_path)) or "/", "detail": e.message})
        for e in sorted(metadata_validator().iter_errors(loaded), key=lambda e: list(map(str, e.absolute_path)))
    ]
    return loaded, problems
