"""Province overlays: what one province changes in a shared library procedure.

Provinces differ within the national rules: many reduce fees for online submission, some
shorten processing times, some do not ask for a component whose data they already hold,
and each routes lanes to its own units. Rather than copy and edit a library package, a
province writes ``overlays/<province code>/<slug>.yaml`` (schema:
``engine/schemas/overlay.schema.json``). Reading the library for that province adds the
file to the package, so the overlay is part of the version's content hash, and loading the
package applies it to the catalogue metadata after both have been checked.

An overlay can only do what a province may do: change amounts of fees the procedure has,
shorten (never lengthen) the processing time, drop optional (never required) components,
and re-route existing lanes (never change their role).
"""

from __future__ import annotations

import copy
from typing import Any

from engine.metadata import load_mapping, metadata_validator, schema_problems, schema_validator
from engine.problems import Problem
from engine.safe_parse import InputTooDeep

OVERLAY_ROOT = "overlays"


def overlay_path(province: str, slug: str) -> str:
    return f"{OVERLAY_ROOT}/{province}/{slug}.yaml"


def overlay_files(files: dict[str, bytes] | Any) -> list[str]:
    return sorted(p for p in files if p.startswith(OVERLAY_ROOT + "/"))


def apply_overlay(metadata: dict[str, Any], path: str, data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The metadata with the overlay applied (or None) and every problem the overlay has."""
    try:
        overlay = load_mapping(path, data)
    except InputTooDeep as err:
        return None, [Problem(path, None, err.code, err.params)]
    except ValueError as err:
        return None, [Problem(path, None, "overlay_unreadable", {"detail": str(err)})]
    problems = schema_problems(schema_validator("overlay.schema.json"), overlay, path, "overlay_invalid")
    if problems:
        return None, problems
    problems = _fit_problems(metadata, overlay, path)
    if problems:
        return None, problems
    merged = _merge(metadata, overlay, path)
    # The result must still be valid catalogue metadata (e.g. a re-routed lane's unit_code).
    problems = schema_problems(metadata_validator(), merged, path, "overlay_invalid")
    return (None if problems else merged), problems


def _fit_problems(metadata: dict[str, Any], overlay: dict[str, Any], path: str) -> list[Problem]:
    """What the overlay asks that the procedure does not have or a province may not do."""
    found: list[Problem] = []

    def add(problem: str, **params: Any) -> None:
        found.append(Problem(path, None, problem, params))

    slug, province = metadata.get("slug"), overlay["province"]["code"]
    if overlay["procedure"] != slug:
        add("overlay_wrong_procedure", slug=overlay["procedure"], folder=slug)
    if path != overlay_path(province, str(slug)):
        add("overlay_wrong_folder", province=province)
    fees = {fee["key"]: fee for fee in metadata.get("fees", [])}
    for key, change in overlay.get("fees", {}).items():
        if key not in fees:
            add("overlay_unknown_fee", key=key, known=", ".join(fees) or "-")
            continue
        amount = change.get("amount", fees[key]["amount"])
        online = change.get("online_amount", fees[key].get("online_amount", amount))
        if online > amount:
            add("overlay_online_above_amount", key=key, online=online, amount=amount)
    if "processing_time" in overlay:
        national = metadata["processing_time"]["amount"]
        if overlay["processing_time"]["amount"] > national:
            add("overlay_longer_deadline", amount=overlay["processing_time"]["amount"], national=national)
    components = {c["key"]: c for c in metadata.get("components", [])}
    for key in overlay.get("omit_components", []):
        if key not in components:
            add("overlay_unknown_component", key=key, known=", ".join(components) or "-")
        elif components[key]["required"]:
            add("overlay_required_component", key=key)
    lanes = metadata.get("lanes", {})
    for lane in overlay.get("lanes", {}):
        if lane not in lanes:
            add("overlay_unknown_lane", lane=lane, known=", ".join(lanes) or "-")
    return found


def _merge(metadata: dict[str, Any], overlay: dict[str, Any], path: str) -> dict[str, Any]:
    merged = copy.deepcopy(metadata)
    for fee in merged.get("fees", []):
        change = overlay.get("fees", {}).get(fee["key"])
        if change:
            fee.update({k: v for k, v in change.items() if k in ("amount", "online_amount", "note")})
    if "processing_time" in overlay:
        merged["processing_time"].update(overlay["processing_time"])
    omitted = set(overlay.get("omit_components", []))
    merged["components"] = [c for c in merged.get("components", []) if c["key"] not in omitted]
    for lane, routing in overlay.get("lanes", {}).items():
        target = merged["lanes"][lane]
        target.pop("unit_code", None)
        target.update(routing)
    merged["legal_basis"] = [*merged.get("legal_basis", []), *overlay["legal_basis"]]
    merged["overlay"] = {"file": path, "province": overlay["province"], "legal_basis": overlay["legal_basis"]}
    return merged


def fee_amounts(metadata: dict[str, Any], *, online: bool) -> dict[str, int]:
    """Amount of each fee for one dossier: what decision tables read as ``muc_phi``."""
    return {fee["key"]: int(fee.get("online_amount", fee["amount"]) if online else fee["amount"])
            for fee in metadata.get("fees", [])}
