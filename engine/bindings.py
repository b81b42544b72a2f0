"""What the product reads from a dossier's data, and where: the ``fields:`` section of procedure.yaml.

The web app never reads a form field by name: it asks for a *concept* (who applies, how to reach
them, what a supplement request asks, why a dossier was refused or stopped, what the leader
decided) and this module answers with the dotted path the package declared, or the default below,
which is where the library's shared fragments (forms/common) and forms put it. This module is the
only place those default names are written.

    bindings = Bindings.for_metadata(version.meta)
    bindings.get(step_data, "refusal_reason")            # -> "Giấy chứng sinh bị mờ" or None
    bindings.get(step_data, "opinion", step="phe_duyet")  # the approving step's own paths

Paths are relative to the data of the form that writes them (the declaration for the applicant
and contact concepts, the step's form for the others): ``nhan_ket_qua.so_dien_thoai`` reads
``data["nhan_ket_qua"]["so_dien_thoai"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# concept -> (default path, what it is). The order is the documentation's.
CONCEPTS: dict[str, tuple[str, str]] = {
    "applicant_name": ("nguoi_yeu_cau.ho_ten", "the requester's full name (declaration)"),
    "applicant_id_number": ("nguoi_yeu_cau.so_dinh_danh", "the requester's personal identification number"),
    "contact_phone": ("nhan_ket_qua.so_dien_thoai", "mobile number for SMS (and Zalo)"),
    "contact_email": ("nhan_ket_qua.email", "e-mail address for notifications"),
    "contact_zalo": ("nhan_ket_qua.nhan_qua_zalo", "true when the citizen wants Zalo messages on the phone above"),
    "delivery": ("nhan_ket_qua.hinh_thuc", "how the citizen wants the result (online, desk, post)"),
    "supplement_items": ("giay_to_can_bo_sung", "what a supplement request asks for (form 02)"),
    "supplement_reason": ("ly_do", "why a supplement is requested (form 02)"),
    "refusal_reason": ("ly_do", "why the dossier is refused (form 03)"),
    "stop_reason": ("ly_do", "why processing is stopped by the process (form 05)"),
    "decision": ("ket_qua_phe_duyet", "an approving step's decision"),
    "opinion": ("y_kien", "an approving step's opinion (printed on the result; the send-back reason)"),
}
STEP_CONCEPTS = ("decision", "opinion")  # may differ per approving step (``fields.steps.<element id>``)
PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")  # as $defs/field_path in the schema
DEFAULT_SEND_BACK = ("tra_lai",)  # decision values that send the dossier back to be processed again


def split(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split(".") if part)


def read(data: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in ``data``, or None when any step is missing or not an object."""
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


@dataclass(frozen=True)
class Approval:
    """Where an approving step writes its decision and opinion, and which decisions send back."""

    decision: tuple[str, ...]
    opinion: tuple[str, ...]
    send_back: frozenset[str]

    def sent_back(self, data: Any) -> bool:
        value = read(data, self.decision)
        return isinstance(value, str) and value in self.send_back


@dataclass(frozen=True)
class Bindings:
    paths: Mapping[str, tuple[str, ...]]  # every concept, declared or default
    declared: frozenset[str]  # the concepts procedure.yaml names
    steps: Mapping[str, Approval]  # approving steps the package names, by element id
    approval_default: Approval

    @classmethod
    def for_metadata(cls, meta: Mapping[str, Any] | None) -> Bindings:
        """The paths a procedure's metadata declares, defaults for the rest (metadata already validated)."""
        section = (meta or {}).get("fields") or {}
        if not isinstance(section, Mapping):
            section = {}
        paths: dict[str, tuple[str, ...]] = {}
        declared: set[str] = set()
        for concept, (default_path, _) in CONCEPTS.items():
            value = section.get(concept)
            if isinstance(value, str) and split(value):
                declared.add(concept)
                paths[concept] = split(value)
            else:
                paths[concept] = split(default_path)
        send_back = section.get("send_back")
        default = Approval(paths["decision"], paths["opinion"],
                           frozenset(send_back if isinstance(send_back, list) else DEFAULT_SEND_BACK))
        steps: dict[str, Approval] = {}
        for element_id, own in (section.get("steps") or {}).items():
            own = own if isinstance(own, Mapping) else {}
            steps[str(element_id)] = Approval(
                split(own["decision"]) if isinstance(own.get("decision"), str) else default.decision,
                split(own["opinion"]) if isinstance(own.get("opinion"), str) else default.opinion,
                frozenset(own["send_back"]) if isinstance(own.get("send_back"), list) else default.send_back)
        return cls(paths=paths, declared=frozenset(declared), steps=steps, approval_default=default)

    def path(self, concept: str) -> str:
        return ".".join(self.paths[concept])

    def approval(self, step: str | None) -> Approval:
        """The approving step's paths: its own when ``fields.steps`` names it, else the defaults."""
        return self.steps.get(step or "", self.approval_default)

    def get(self, data: Any, concept: str, *, step: str | None = None) -> Any:
        """The value of ``concept`` in ``data`` (a form's or a step's data), or None."""
        if concept not in CONCEPTS:
            raise KeyError(f"unknown concept {concept!r} (known: {', '.join(CONCEPTS)})")
        if concept in STEP_CONCEPTS and step is not None:
            approval = self.approval(step)
            return read(data, approval.decision if concept == "decision" else approval.opinion)
        return read(data, self.paths[concept])

    def text(self, data: Any, concept: str, *, step: str | None = None) -> str:
        """The concept as trimmed text, "" when absent; a list of texts (items asked for) joined with "; "."""
        return as_text(self.get(data, concept, step=step))

    def has_any(self, data: Any, *concepts: str) -> bool:
        return any(self.get(data, concept) not in (None, "", [], {}) for concept in concepts)


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "; ".join(t for t in (as_text(v) for v in value) if t)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def declared_paths(meta: Mapping[str, Any] | None) -> Iterator[tuple[str, str | None, str]]:
    """(concept, approving step id or None, dotted path) of every well-formed path procedure.yaml declares
    (the schema reports the others)."""
    section = (meta or {}).get("fields") or {}
    if not isinstance(section, Mapping):
        return
    for concept in CONCEPTS:
        if isinstance(section.get(concept), str) and PATH.fullmatch(section[concept]):
            yield concept, None, section[concept]
    for element_id, own in (section.get("steps") or {}).items():
        for concept in STEP_CONCEPTS:
            if isinstance(own, Mapping) and isinstance(own.get(concept), str) and PATH.fullmatch(own[concept]):
                yield concept, str(element_id), own[concept]


def schema_has_path(schema: Any, path: tuple[str, ...], resolver: Any, depth: int = 0) -> bool:
    """Whether a form's JSON Schema has the property at ``path``: through ``properties``, ``$ref``
    (into forms/common with ``resolver``, a referencing resolver) and allOf/anyOf/oneOf/if/then/else."""
    if not path:
        return True
    if depth > 64 or not isinstance(schema, Mapping):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            resolved = resolver.lookup(ref)
        except Exception:  # noqa: BLE001 - a broken reference is reported by the form checks
            resolved = None
        if resolved is not None and schema_has_path(resolved.contents, path, resolved.resolver, depth + 1):
            return True
    properties = schema.get("properties")
    if (isinstance(properties, Mapping) and path[0] in properties
            and schema_has_path(properties[path[0]], path[1:], resolver, depth + 1)):
        return True
    subschemas = [schema.get(k) for k in ("if", "then", "else")]
    subschemas += [s for k in ("allOf", "anyOf", "oneOf") if isinstance(schema.get(k), list) for s in schema[k]]
    return any(schema_has_path(s, path, resolver, depth + 1) for s in subschemas if isinstance(s, Mapping))
