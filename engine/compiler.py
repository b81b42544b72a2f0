"""Turn a validated package into a :class:`Procedure`: the SpiffWorkflow spec plus our hooks.

Compiling is the expensive part (XML, XSD, Spiff parse, schema registry), so it happens
once per package version and the result is cached by content hash; instances of the same
version share one Procedure object.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser

from engine import forms
from engine.connectors import ConnectorRegistry
from engine.forms import CompiledForm
from engine.model import Element
from engine.package import PackageSource
from engine.problems import PackageInvalid, Problem
from engine.service_task import ConnectorServiceTask
from engine.validation import CheckedPackage, check_package


@dataclass(frozen=True)
class Procedure:
    """One immutable version of a procedure, ready to start instances."""

    slug: str
    version: str  # the package content hash
    metadata: dict[str, Any]
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    elements: dict[str, Element]
    forms: dict[str, CompiledForm]  # by path under forms/, e.g. "khai-sinh/to-khai.schema.json"
    start_form: CompiledForm | None
    source: PackageSource

    def element(self, bpmn_id: str | None) -> Element | None:
        return self.elements.get(bpmn_id) if bpmn_id else None

    def form_for(self, element: Element) -> CompiledForm | None:
        return self.forms.get(f"{self.slug}/{element.form}") if element.form else None


class MotcuaBpmnParser(SpiffBpmnParser):
    """Spiff's parser with our service task, whose connector failures become BPMN errors."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, ConnectorServiceTask),
    }


@cache
def _xsd_validator() -> BpmnValidator:
    return BpmnValidator()


def _spiff_parse(checked: CheckedPackage) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    parser = MotcuaBpmnParser(validator=_xsd_validator())
    for path, tree in checked.bpmn_trees.items():
        parser.add_bpmn_xml(tree, filename=path)
    for path, tree in checked.dmn_trees.items():
        parser.add_dmn_xml(tree.getroot(), filename=path)
    model = checked.model
    main = [pid for pid in model.executable_processes
            if model.elements and any(e.process_id == pid and e.file == checked.source.process_path
                                      for e in model.elements.values())]
    if len(main) > 1 and model.collaborations:
        spec, subprocess_specs = parser.get_collaboration(model.collaborations[0])
        return spec, subprocess_specs
    process_id = (main or model.executable_processes)[0]
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def _compile_forms(checked: CheckedPackage) -> dict[str, CompiledForm]:
    compiled = {}
    fast_registry = forms.build_fast_registry(checked.form_docs)
    for path in checked.form_docs:
        if path.endswith(".schema.json"):
            ui_path = path.removesuffix(".schema.json") + ".uischema.json"
            ui = checked.form_docs.get(ui_path)
            compiled[path] = forms.compile_form(
                path, checked.registry, ui if isinstance(ui, dict) else {}, fast_registry=fast_registry)
    return compiled


def compile_package(source: PackageSource, connectors: ConnectorRegistry) -> Procedure:
    """Validate and compile ``source``; raises :class:`PackageInvalid` with every problem."""
    checked = check_package(source, connectors)
    if checked.problems:
        raise PackageInvalid(checked.problems)
    try:
        spec, subprocess_specs = _spiff_parse(checked)
    except ValidationException as err:
        file = err.file_name or source.process_path
        raise PackageInvalid([Problem(file, err.id or None, "bpmn_invalid", {"detail": str(err)})]) from None
    except SpiffWorkflowException as err:
        raise PackageInvalid([Problem(source.process_path, None, "bpmn_invalid", {"detail": str(err)})]) from None
    compiled_forms = _compile_forms(checked)
    start = next((e for e in checked.model.elements.values()
                  if e.tag == "startEvent" and e.form and e.container_id == e.process_id), None)
    return Procedure(
        slug=source.slug,
        version=source.content_hash,
        metadata=checked.metadata or {},
        spec=spec,
        subprocess_specs=subprocess_specs,
        elements=checked.model.elements,
        forms=compiled_forms,
        start_form=compiled_forms.get(f"{source.slug}/{start.form}") if start else None,
        source=source,
    )


def validate_package(source: PackageSource, connectors: ConnectorRegistry) -> list[Problem]:
    """Every problem with ``source``; an empty list means it compiles and can run."""
    try:
        compile_package(source, connectors)
    except PackageInvalid as err:
        return err.problems
    return []


class ProcedureCache:
    """Compiled procedures by content hash, least recently used dropped first. Thread-safe."""

    def __init__(self, connectors: ConnectorRegistry, size: int = 64):
        self.connectors = connectors
        self.size = size
        self._items: OrderedDict[str, Procedure] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, content_hash: str) -> Procedure | None:
        """The compiled version with this hash if this process has it, without reading files."""
        with self._lock:
            procedure = self._items.get(content_hash)
            if procedure is not None:
                self._items.move_to_end(content_hash)
            return procedure

    def get(self, source: PackageSource) -> Procedure:
        key = source.content_hash
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        procedure = compile_package(source, self.connectors)
        with self._lock:
            self._items[key] = procedure
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return procedure
