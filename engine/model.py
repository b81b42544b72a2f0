"""What a BPMN file says, read straight from the XML: elements, lanes, hooks, scripts, flows.

The validator and the runtime both use this one reading, so a property means the same
thing when a package is checked and when a dossier runs. SpiffWorkflow parses the same
files separately to build the executable spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from engine.calendar import DurationUnit

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

FLOW_NODE_TAGS = frozenset(
    {
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
        "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
        "receiveTask", "callActivity", "subProcess", "transaction", "exclusiveGateway",
        "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
    }
)
HUMAN_TASK_TAGS = frozenset({"userTask", "manualTask"})
CONTAINER_TAGS = frozenset({"subProcess", "transaction"})
_DEADLINE = re.compile(r"^\s*(\d{1,4})\s*([hd])\s*$")


@dataclass(frozen=True)
class StepDeadline:
    amount: int
    unit: DurationUnit

    @classmethod
    def parse(cls, text: str) -> StepDeadline | None:
        match = _DEADLINE.match(text)
        if not match:
            return None
        return cls(int(match.group(1)), "working_hours" if match.group(2) == "h" else "working_days")


@dataclass
class Element:
    id: str
    tag: str
    name: str
    file: str
    process_id: str
    container_id: str  # the process or sub-process that directly holds it
    lane: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    instructions: str | None = None
    scripts: list[tuple[str, str]] = field(default_factory=list)  # (what, source) run with exec
    operator: str | None = None
    operator_params: dict[str, str] = field(default_factory=dict)  # id -> expression
    message: str | None = None  # the message name a message event waits for or sends
    error_code: str | None = None  # the errorCode an error event throws or catches ("" = any)
    attached_to: str | None = None
    triggered_by_event: bool = False
    is_link_catch: bool = False
    for_compensation: bool = False
    cancel_activity: bool = True  # a boundary event that interrupts its task (cancelActivity="false": it does not)
    called_decision: str | None = None  # spiffworkflow:calledDecisionId of a business rule task
    called_element: str | None = None  # the process a call activity starts

    @property
    def label(self) -> str:
        return self.name or self.id

    def status(self, key: str) -> str | None:
        return self.properties.get(key)

    @property
    def form(self) -> str | None:
        return self.properties.get("formJsonSchemaFilename")

    @property
    def ui_form(self) -> str | None:
        return self.properties.get("formUiSchemaFilename")

    @property
    def deadline(self) -> StepDeadline | None:
        text = self.properties.get("stepDeadline")
        return StepDeadline.parse(text) if text else None

    @property
    def payment_amount(self) -> str | None:
        """The variable holding the fee this message wait asks the citizen to pay (engine.payments)."""
        return self.properties.get("paymentAmount")

    @property
    def payment_fee(self) -> str | None:
        return self.properties.get("paymentFee")


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str
    condition: str | None
    file: str


@dataclass
class BpmnModel:
    elements: dict[str, Element] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    executable_processes: list[str] = field(default_factory=list)
    collaborations: list[str] = field(default_factory=list)
    lanes_by_file: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> {role name: lane id}


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _properties(node: etree._Element) -> dict[str, str]:
    found = node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS)
    return {p.get("name", ""): p.get("value", "") for p in found}


def _extension_text(node: etree._Element, name: str) -> str | None:
    found = node.xpath(f"./bpmn:extensionElements/spiffworkflow:{name}", namespaces=NS)
    return found[0].text if found and found[0].text else None


def _lane_of(process: etree._Element) -> dict[str, str]:
    """Element id -> innermost lane name, for every lane set in the process."""
    result: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                result[ref.text.strip()] = (lane.get("name") or lane.get("id") or "").strip()
    return result


def read_model(model: BpmnModel, file: str, tree: etree._ElementTree) -> None:
    """Add what ``tree`` (one .bpmn file) declares to ``model``."""
    root = tree.getroot()
    model.collaborations.extend(c.get("id", "") for c in root.findall(f"{{{BPMN_NS}}}collaboration"))
    lanes_here: dict[str, str] = {}
    messages = {m.get("id", ""): m.get("name") or m.get("id", "") for m in root.findall(f"{{{BPMN_NS}}}message")}
    for process in root.findall(f"{{{BPMN_NS}}}process"):
        process_id = process.get("id", "")
        if process.get("isExecutable") == "true":
            model.executable_processes.append(process_id)
        lane_of = _lane_of(process)
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            lanes_here.setdefault((lane.get("name") or lane.get("id") or "").strip(), lane.get("id", ""))
        _read_container(model, file, process_id, process, lane_of, None, messages)
    model.lanes_by_file[file] = lanes_here


def _read_container(
    model: BpmnModel, file: str, process_id: str, container: etree._Element,
    lane_of: dict[str, str], inherited_lane: str | None, messages: dict[str, str],
) -> None:
    container_id = container.get("id", "")
    for node in container:
        tag = _local(node)
        if tag == "sequenceFlow":
            condition = node.find(f"{{{BPMN_NS}}}conditionExpression")
            text = condition.text.strip() if condition is not None and condition.text else None
            model.flows.append(
                Flow(node.get("id", ""), node.get("sourceRef", ""), node.get("targetRef", ""), text, file))
            continue
        if tag not in FLOW_NODE_TAGS:
            continue
        element = _read_element(node, tag, file, process_id, container_id)
        element.lane = lane_of.get(element.id, inherited_lane)
        definition = node.find(f"{{{BPMN_NS}}}messageEventDefinition")
        if definition is not None and definition.get("messageRef"):
            element.message = messages.get(definition.get("messageRef", ""), definition.get("messageRef"))
        model.elements[element.id] = element
        if tag in CONTAINER_TAGS:
            _read_container(model, file, process_id, node, lane_of, element.lane, messages)


def _read_element(node: etree._Element, tag: str, file: str, process_id: str, container_id: str) -> Element:
    element = Element(
        id=node.get("id", ""),
        tag=tag,
        name=(node.get("name") or "").strip(),
        file=file,
        process_id=process_id,
        container_id=container_id,
        properties=_properties(node),
        instructions=_extension_text(node, "instructionsForEndUser"),
        attached_to=node.get("attachedToRef"),
        triggered_by_event=node.get("triggeredByEvent") == "true",
        is_link_catch=tag == "intermediateCatchEvent"
        and node.find(f"{{{BPMN_NS}}}linkEventDefinition") is not None,
        for_compensation=node.get("isForCompensation") == "true",
        cancel_activity=node.get("cancelActivity") != "false",
        called_decision=(_extension_text(node, "calledDecisionId") or "").strip() or None,
        called_element=node.get("calledElement"),
    )
    if tag == "scriptTask":
        script = node.find(f"{{{BPMN_NS}}}script")
        if script is not None and script.text and script.text.strip():
            element.scripts.append(("script", script.text))
    for hook in ("preScript", "postScript"):
        text = _extension_text(node, hook)
        if text:
            element.scripts.append((hook, text))
    error = node.find(f"{{{BPMN_NS}}}errorEventDefinition")
    if error is not None:
        ref = error.get("errorRef")
        errors = node.getroottree().getroot().findall(f"{{{BPMN_NS}}}error")
        declared = next((e for e in errors if ref and e.get("id") == ref), None)
        element.error_code = (declared.get("errorCode") or "") if declared is not None else ""
    operator = node.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS)
    if operator:
        element.operator = operator[0].get("id")
        for param in operator[0].xpath(".//spiffworkflow:parameter", namespaces=NS):
            element.operator_params[param.get("id", "")] = param.get("value", "")
    return element
