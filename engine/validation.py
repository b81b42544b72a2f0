"""Check a procedure package and report every problem at once.

Order matters only for speed: files and XML first (hostile XML never reaches a parser
that would expand it), then metadata, then the BPMN model (lanes, forms, connectors,
scripts, graph). SpiffWorkflow's own parse runs in :mod:`engine.compiler` once all of
these pass, and its complaint, if any, is added to the same list.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine import bindings, form_checks, forms, prefill, result_documents, sandbox
from engine.connectors import ConnectorRegistry, error_codes_of
from engine.messages import render
from engine.metadata import parse_metadata
from engine.model import HUMAN_TASK_TAGS, BpmnModel, Element, read_model
from engine.overlay import apply_overlay, overlay_files
from engine.package import PackageSource
from engine.problems import Problem
from engine.roles import KNOWN_ROLES
from engine.safe_parse import InputTooDeep
from engine.status_rules import check_statuses
from engine.xmlsafe import MalformedXml, UnsafeXml, parse_xml

STATUS_KEYS = ("statusOnEnter", "statusOnComplete")
FORM_SUFFIX, UI_SUFFIX = ".schema.json", ".uischema.json"
# spiff-arena's names for the same two files: my-form-schema.json, my-form-uischema.json
SPIFF_SUFFIXES = (("-uischema.json", UI_SUFFIX), ("-schema.json", FORM_SUFFIX))


@dataclass
class CheckedPackage:
    """What validation learned, reused by the compiler so nothing is parsed twice."""

    source: PackageSource
    problems: list[Problem] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    model: BpmnModel = field(default_factory=BpmnModel)
    bpmn_trees: dict[str, etree._ElementTree] = field(default_factory=dict)
    dmn_trees: dict[str, etree._ElementTree] = field(default_factory=dict)
    form_docs: dict[str, Any] = field(default_factory=dict)
    registry: Any = None  # referencing.Registry of every form document

    def add(self, file: str, element: str | None, code: str, **params: Any) -> None:
        self.problems.append(Problem(file, element, code, params))


def check_package(source: PackageSource, connectors: ConnectorRegistry) -> CheckedPackage:
    checked = CheckedPackage(source)
    _check_files(checked)
    _check_metadata(checked)
    _check_forms(checked)
    if checked.bpmn_trees:
        for path, tree in checked.bpmn_trees.items():
            read_model(checked.model, path, tree)
        _check_model(checked, connectors)
    return checked


def _check_files(checked: CheckedPackage) -> None:
    source = checked.source
    if source.process_path not in source.files:
        checked.add(source.process_path, None, "missing_file", name="process.bpmn")
    if source.metadata_path is None:
        checked.add(source.bpmn_prefix + "procedure.yaml", None, "missing_file", name="procedure.yaml")
    for path in source.in_bpmn(".bpmn") + source.in_bpmn(".dmn"):
        try:
            tree = parse_xml(source.files[path])
        except UnsafeXml as err:
            checked.add(path, None, err.code, **err.params)
            continue
        except MalformedXml as err:
            detail = f"dòng/line {err.line}: {err.detail}" if err.line else err.detail
            checked.add(path, None, "xml_malformed", detail=detail)
            continue
        (checked.bpmn_trees if path.endswith(".bpmn") else checked.dmn_trees)[path] = tree


def _check_metadata(checked: CheckedPackage) -> None:
    path = checked.source.metadata_path
    if path is None:
        return
    checked.metadata, problems = parse_metadata(path, checked.source.files[path])
    checked.problems.extend(problems)
    slug = (checked.metadata or {}).get("slug")
    if isinstance(slug, str) and slug != checked.source.slug:
        checked.add(path, None, "slug_mismatch", slug=slug, folder=checked.source.slug)
    _apply_province_overlay(checked)


def _apply_province_overlay(checked: CheckedPackage) -> None:
    """A package read for a province may carry that province's overlay (engine/overlay.py)."""
    files = overlay_files(checked.source.files)
    if not files:
        return
    if len(files) > 1:
        checked.add(files[0], None, "overlay_several", files=", ".join(files))
        return
    if checked.metadata is None or checked.problems:
        return  # the base metadata must be right before a province's changes can be judged
    merged, problems = apply_overlay(checked.metadata, files[0], checked.source.files[files[0]])
    checked.problems.extend(problems)
    if merged is not None:
        checked.metadata = merged


def _check_forms(checked: CheckedPackage) -> None:
    for path, data in checked.source.form_documents().items():
        if not _check_form_file_name(checked, path):
            continue
        try:
            checked.form_docs[path] = forms.load_json(data)
        except InputTooDeep as err:
            checked.add("forms/" + path, None, err.code, **err.params)
        except (UnicodeDecodeError, ValueError) as err:
            checked.add("forms/" + path, None, "form_not_json", name=path, detail=str(err))
    schemas = {p: d for p, d in checked.form_docs.items() if p.endswith(".schema.json")}
    # Bounds, dialect, $id, regexes and references (engine/form_checks.py); a broken document stays out.
    checked.registry, schema_problems = form_checks.check_documents(schemas)
    for path, found in schema_problems.items():
        for code, params in found:
            checked.add("forms/" + path, None, code, **params)
    for path, doc in schemas.items():
        for where, source in prefill.marks(doc):
            reason = prefill.source_problem(source)
            if reason:
                checked.add("forms/" + path, None, "prefill_unknown_source", field=".".join(where), detail=reason)
    for path, doc in checked.form_docs.items():
        if path.endswith(".uischema.json") and not isinstance(doc, dict):
            checked.add("forms/" + path, None, "uischema_invalid", name=path)


def _spiff_name(name: str) -> str | None:
    """The name this product reads for a file named the spiff-arena way, else None."""
    for spiff, ours in SPIFF_SUFFIXES:
        if name.endswith(spiff) and not name.endswith(FORM_SUFFIX) and not name.endswith(UI_SUFFIX):
            return name.removesuffix(spiff) + ours
    return None


def _check_form_file_name(checked: CheckedPackage, path: str) -> bool:
    """A file under forms/ is a form or a form's layout; anything else would be silently ignored."""
    if path.endswith(FORM_SUFFIX) or path.endswith(UI_SUFFIX):
        return True
    suggested = _spiff_name(path)
    if suggested is not None:
        checked.add("forms/" + path, None, "form_spiff_name", name=path, suggested=suggested.rsplit("/", 1)[-1])
    else:
        checked.add("forms/" + path, None, "form_file_name", name=path)
    return False


def _check_model(checked: CheckedPackage, connectors: ConnectorRegistry) -> None:
    model = checked.model
    if not model.executable_processes:
        checked.add(checked.source.process_path, None, "no_executable_process")
    routed = set(((checked.metadata or {}).get("lanes") or {}).keys())
    for path, lanes in model.lanes_by_file.items():
        for lane, lane_id in sorted(lanes.items()):
            if lane not in KNOWN_ROLES:
                checked.add(path, lane_id, "lane_unknown_role", lane=lane, known=", ".join(KNOWN_ROLES))
            elif checked.metadata is not None and lane not in routed:
                checked.add(path, lane_id, "lane_not_routed", lane=lane)
    for element in model.elements.values():
        _check_element(checked, element, connectors)
    _check_conditions(checked)
    _check_other_expressions(checked)
    _check_graph(checked)
    _check_component_conditions(checked)
    checked.problems.extend(result_documents.check(checked.source, checked.metadata, checked.form_docs,
                                                   checked.registry, model))
    _check_bindings(checked)
    _check_decisions(checked)
    _check_called_processes(checked)
    main = _main_processes(checked)
    _check_start(checked, main)
    if not any(p.code == "status_invalid" for p in checked.problems):  # unknown statuses: fix those first
        for problem in check_statuses(model, main):
            checked.add(problem.element.file, problem.element.id, problem.code, **problem.params)


def _main_processes(checked: CheckedPackage) -> set[str]:
    """The executable processes of process.bpmn: a dossier starts there (as in engine.compiler)."""
    model = checked.model
    main = {e.process_id for e in model.elements.values() if e.file == checked.source.process_path}
    return main & set(model.executable_processes)


def _check_start(checked: CheckedPackage, main: set[str]) -> None:
    """A dossier is filed with the declaration: the form of the main process's start event."""
    model = checked.model
    starts = [e for e in model.elements.values()
              if e.tag == "startEvent" and e.process_id in main and e.container_id == e.process_id]
    if not main:
        return  # no_executable_process already says so
    if not starts:
        checked.add(checked.source.process_path, sorted(main)[0], "start_event_missing")
        return
    if any(e.form for e in starts):
        return
    first = _first_human_steps(checked, [s.id for s in starts])
    citizen = next((e for e in first if e.tag == "userTask" and e.form and e.lane == "cong_dan"), None)
    if citizen is not None:
        checked.add(citizen.file, citizen.id, "start_form_on_user_task", name=citizen.label, form=citizen.form,
                    start=starts[0].label)
    else:
        checked.add(starts[0].file, starts[0].id, "start_form_missing", name=starts[0].label)


def _first_human_steps(checked: CheckedPackage, starts: list[str]) -> list[Element]:
    """The human steps a dossier reaches first from ``starts`` (the flows followed up to the first person)."""
    model = checked.model
    outgoing: dict[str, list[str]] = defaultdict(list)
    for flow in model.flows:
        outgoing[flow.source].append(flow.target)
    seen, queue, found = set(starts), deque(starts), []
    while queue:
        element = model.elements.get(queue.popleft())
        if element is None:
            continue
        if element.tag in HUMAN_TASK_TAGS:
            found.append(element)
            continue
        for nxt in outgoing[element.id]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return found


def _check_decisions(checked: CheckedPackage) -> None:
    """A business rule task names a decision of one of the package's .dmn files."""
    decisions = sorted({node.get("id", "") for tree in checked.dmn_trees.values() for node in tree.getroot().iter()
                        if isinstance(node.tag, str) and etree.QName(node).localname == "decision"})
    every_dmn_read = len(checked.dmn_trees) == len(checked.source.in_bpmn(".dmn"))
    for element in checked.model.elements.values():
        if element.tag != "businessRuleTask":
            continue
        if element.called_decision is None:
            checked.add(element.file, element.id, "decision_missing", name=element.label)
        elif every_dmn_read and element.called_decision not in decisions:
            checked.add(element.file, element.id, "decision_unknown", name=element.label,
                        decision=element.called_decision, known=", ".join(decisions) or "-")


def _check_called_processes(checked: CheckedPackage) -> None:
    known = {p.get("id", "") for tree in checked.bpmn_trees.values()
             for p in tree.getroot().iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")}
    for element in checked.model.elements.values():
        if element.tag == "callActivity" and element.called_element not in known:
            checked.add(element.file, element.id, "called_process_unknown", name=element.label,
                        process=element.called_element or "-", known=", ".join(sorted(known)) or "-")


def _check_component_conditions(checked: CheckedPackage) -> None:
    """``required_when`` must name fields the declaration (the start form) has: a misspelt field
    would silently never require the file."""
    start = next((e for e in checked.model.elements.values()
                  if e.tag == "startEvent" and e.form and e.container_id == e.process_id), None)
    schema = checked.form_docs.get(f"{checked.source.slug}/{start.form}") if start else None
    if not isinstance(schema, dict) or checked.metadata is None:
        return
    top = schema.get("properties") or {}
    for component in checked.metadata.get("components") or []:
        for dotted in component.get("required_when") or {}:
            if dotted.split(".")[0] not in top:
                checked.add(checked.source.metadata_path or "procedure.yaml", None, "component_condition_field",
                            component=component.get("key"), field=dotted)


def _check_bindings(checked: CheckedPackage) -> None:
    """Every path ``fields:`` declares (engine/bindings.py) is a field of a form of the package, an
    approving step's own paths a field of that step's form: a misspelt one would silently read nothing."""
    if checked.metadata is None or checked.registry is None:
        return
    file, slug = checked.source.metadata_path or "procedure.yaml", checked.source.slug
    schemas = {p: d for p, d in checked.form_docs.items() if p.startswith(f"{slug}/") and p.endswith(FORM_SUFFIX)}
    human = {e.id: e for e in checked.model.elements.values() if e.tag in HUMAN_TASK_TAGS}
    for step in (checked.metadata.get("fields") or {}).get("steps") or {}:
        if step not in human:
            checked.add(file, None, "fields_step_unknown", step=step)
    for concept, step, dotted in bindings.declared_paths(checked.metadata):
        own = human[step].form if step in human else None
        where = {f"{slug}/{own}": schemas[f"{slug}/{own}"]} if f"{slug}/{own}" in schemas else schemas
        if not any(bindings.schema_has_path(doc, bindings.split(dotted),
                                            checked.registry.resolver(base_uri=forms.uri_for(path)))
                   for path, doc in where.items()):
            if len(where) == 1 and step:
                checked.add(file, step, "field_path_not_in_step_form", concept=f"steps.{step}.{concept}",
                            field=dotted, form=own, step=step)
            else:
                checked.add(file, step, "field_path_unknown", concept=f"steps.{step}.{concept}" if step else concept,
                            field=dotted)


def _check_element(checked: CheckedPackage, element: Element, connectors: ConnectorRegistry) -> None:
    add = checked.add
    if element.tag in HUMAN_TASK_TAGS and element.lane is None:
        add(element.file, element.id, "element_without_lane", name=element.label)
    if element.tag in HUMAN_TASK_TAGS and not element.form and not (element.instructions or "").strip():
        add(element.file, element.id, "human_task_empty", name=element.label)
    if element.tag == "task":
        add(element.file, element.id, "task_plain", name=element.label)
    if element.tag == "scriptTask" and not any(what == "script" for what, _ in element.scripts):
        add(element.file, element.id, "script_task_empty", name=element.label)
    _check_form_properties(checked, element)
    for key in STATUS_KEYS:
        value = element.properties.get(key)
        if value is not None and not (value.strip().isdigit() and 1 <= int(value) <= 10):
            add(element.file, element.id, "status_invalid", value=value)
    text = element.properties.get("stepDeadline")
    if text is not None and element.deadline is None:
        add(element.file, element.id, "deadline_invalid", value=text)
    for what, source in element.scripts:
        _check_source(checked, element.file, element.id, f"{what} '{element.label}'", source, "exec")
    for param, expression in element.operator_params.items():
        _check_source(checked, element.file, element.id, f"parameter '{param}'", expression, "eval")
    if element.tag == "serviceTask" and element.operator is not None:
        _check_connector(checked, element, connectors)
    if element.payment_amount is not None or element.payment_fee is not None:
        _check_payment_wait(checked, element)


def _check_form_properties(checked: CheckedPackage, element: Element) -> None:
    """The form and layout a step names exist, under the names the product reads."""
    for key, suffix in (("formJsonSchemaFilename", FORM_SUFFIX), ("formUiSchemaFilename", UI_SUFFIX)):
        name = element.properties.get(key)
        if not name:
            continue
        if not name.endswith(suffix):
            checked.add(element.file, element.id, "form_property_name", name=element.label, key=key, value=name,
                        suggested=_spiff_name(name) or name.rsplit(".", 1)[0] + suffix)
        elif f"{checked.source.slug}/{name}" not in checked.form_docs:
            checked.add(element.file, element.id, "form_missing", name=f"forms/{checked.source.slug}/{name}")
    form, ui = element.form, element.ui_form
    if form and ui and form.endswith(FORM_SUFFIX) and ui.endswith(UI_SUFFIX) \
            and ui != form.removesuffix(FORM_SUFFIX) + UI_SUFFIX:
        checked.add(element.file, element.id, "form_ui_not_paired", name=element.label, ui=ui, form=form,
                    expected=form.removesuffix(FORM_SUFFIX) + UI_SUFFIX)


def _check_payment_wait(checked: CheckedPackage, element: Element) -> None:
    """``paymentAmount``/``paymentFee``: a message catch event, a variable name and a fee of procedure.yaml."""
    if element.tag != "intermediateCatchEvent" or element.message is None:
        checked.add(element.file, element.id, "payment_not_message_wait", name=element.label)
    amount = element.payment_amount or ""
    if not amount.isidentifier():
        checked.add(element.file, element.id, "payment_amount_invalid", name=element.label, value=amount)
    fees = [f.get("key") for f in (checked.metadata or {}).get("fees") or [] if isinstance(f, dict)]
    if checked.metadata is not None and element.payment_fee not in fees:
        checked.add(element.file, element.id, "payment_fee_unknown", name=element.label,
                    value=element.payment_fee or "", known=", ".join(map(str, fees)) or "-")


def _check_connector(checked: CheckedPackage, element: Element, connectors: ConnectorRegistry) -> None:
    connector = connectors.get(element.operator or "")
    if connector is None:
        checked.add(element.file, element.id, "connector_unknown", name=element.operator,
                    known=", ".join(connectors.names()) or "-")
        return
    declared = connector.required_params | connector.optional_params
    for param in sorted(set(element.operator_params) - declared):
        checked.add(element.file, element.id, "connector_param_unknown", name=connector.name, param=param,
                    declared=", ".join(sorted(declared)))
    for param in sorted(connector.required_params - set(element.operator_params)):
        checked.add(element.file, element.id, "connector_param_missing", name=connector.name, param=param)
    codes = set(error_codes_of(connector).values())
    for boundary in checked.model.elements.values():
        if boundary.attached_to == element.id and boundary.error_code and boundary.error_code not in codes:
            checked.add(boundary.file, boundary.id, "connector_error_code_unknown", name=connector.name,
                        error_code=boundary.error_code, declared=", ".join(sorted(codes)) or "-")


def _check_source(checked: CheckedPackage, file: str, element_id: str | None, what: str, source: str,
                  mode: Any) -> None:
    for issue in sandbox.check(source, mode):
        if isinstance(issue, SyntaxError):
            checked.add(file, element_id, "script_syntax", what=what, line=issue.lineno or 0, detail=issue.msg)
        else:
            checked.add(file, element_id, "script_forbidden", what=what, line=issue.line,
                        detail=issue.message("vi"), detail_en=issue.message("en"))


def _check_conditions(checked: CheckedPackage) -> None:
    for flow in checked.model.flows:
        if flow.condition:
            _check_source(checked, flow.file, flow.id, "condition", flow.condition, "eval")


# Every other BPMN text SpiffWorkflow evaluates as Python (scripts, conditions on flows and
# connector parameters are checked above with their element's name).
_EVALUATED_BPMN = ("loopCondition", "completionCondition", "loopCardinality", "timeDate", "timeDuration",
                   "timeCycle", "condition", "messagePayload", "formalExpression", "messagePath")
MAX_DMN_CELL = 1_000  # SpiffWorkflow runs a regular expression over each cell before we see it


def _check_other_expressions(checked: CheckedPackage) -> None:
    for file, tree in checked.bpmn_trees.items():
        for node in tree.getroot().iter():
            kind = etree.QName(node).localname if isinstance(node.tag, str) else ""
            if kind in _EVALUATED_BPMN and (node.text or "").strip():
                _check_source(checked, file, _owner_id(node), kind, node.text.strip(), "eval")
    for file, tree in checked.dmn_trees.items():
        for node in tree.getroot().iter():
            if not (isinstance(node.tag, str) and etree.QName(node).localname == "text"):
                continue
            text = (node.text or "").strip()
            kind = etree.QName(node.getparent()).localname if node.getparent() is not None else ""
            if len(text) > MAX_DMN_CELL:
                checked.add(file, _owner_id(node), "script_forbidden", what=kind, line=1,
                            detail=render("sandbox_too_long", "vi", limit=MAX_DMN_CELL),
                            detail_en=render("sandbox_too_long", "en", limit=MAX_DMN_CELL))
            elif text and text != "-" and kind in ("inputExpression", "outputEntry"):
                _check_source(checked, file, _owner_id(node), kind, text, "eval")
            elif text and text != "-" and kind == "inputEntry":
                _check_source(checked, file, _owner_id(node), kind, _dmn_condition(text), "eval")


def _dmn_condition(cell: str) -> str:
    """The expression SpiffWorkflow builds from an input cell: ``? < 5`` with the input in place
    of ``?``, ``< 5`` after the input, or the input ``==`` the cell."""
    if "?" in cell:
        return cell.replace("?", "dmninputexpr")
    if not sandbox.check(f"dmninputexpr {cell}", "eval"):
        return f"dmninputexpr {cell}"
    return f"dmninputexpr == ({cell})"


def _owner_id(node: etree._Element) -> str | None:
    """The id of the nearest element around ``node`` that has one (the task, the rule...)."""
    current: etree._Element | None = node
    while current is not None:
        found = current.get("id")
        if found:
            return str(found)
        current = current.getparent()
    return None


def _check_graph(checked: CheckedPackage) -> None:
    """Every element reachable from a start event; every non-end element has a way out."""
    model = checked.model
    outgoing: dict[str, list[str]] = defaultdict(list)
    for flow in model.flows:
        outgoing[flow.source].append(flow.target)
    attached: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    for element in model.elements.values():
        if element.attached_to:
            attached[element.attached_to].append(element.id)
        children[element.container_id].append(element.id)

    def is_entry(e: Element) -> bool:
        top_level = e.container_id == e.process_id
        return (e.tag == "startEvent" and (top_level or e.container_id in reached)) or e.is_link_catch \
            or e.triggered_by_event or e.for_compensation

    reached: set[str] = set()
    queue: deque[str] = deque()
    changed = True
    while changed:  # repeat so that starts inside sub-processes are picked up once the sub-process is reached
        changed = False
        for element in model.elements.values():
            if element.id not in reached and is_entry(element):
                reached.add(element.id)
                queue.append(element.id)
                changed = True
        while queue:
            current = queue.popleft()
            for nxt in outgoing[current] + attached[current]:
                if nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
                    changed = True
    for element in model.elements.values():
        if element.id not in reached:
            checked.add(element.file, element.id, "unreachable", name=element.label)
        elif _needs_exit(element) and not outgoing[element.id]:
            checked.add(element.file, element.id, "dead_end", name=element.label)


def _needs_exit(element: Element) -> bool:
    """End events, compensation handlers and event sub-processes finish where they are."""
    return element.tag != "endEvent" and not element.for_compensation and not element.triggered_by_event
