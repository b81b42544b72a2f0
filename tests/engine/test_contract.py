"""What makes a package valid and runnable (docs/designer/contract.md): every problem at once,
confirmation steps, spiff-arena names and bpmn-js-spiffworkflow messages."""

from __future__ import annotations

import re

import pytest

from engine.compiler import validate_package
from engine.connectors import ConnectorRegistry
from engine.forms import FormInvalid
from engine.local_systems import default_registry
from engine.package import PackageSource, read_library, read_package
from engine.runtime import Engine
from fakes.population import FakePopulationRegistry
from tests.conftest import DATA, REPO, library_package

BASE = read_package(DATA / "broken" / "bpmn" / "mau")
PROCESS = "bpmn/mau/process.bpmn"
START = {"so_dinh_danh": "001090000001", "so_ban": 2}
TIEP_NHAN_FORM = '<spiffworkflow:property name="formJsonSchemaFilename" value="tiep-nhan.schema.json"/>'
INSTRUCTIONS = ("<spiffworkflow:instructionsForEndUser>Đối chiếu bản chính rồi xác nhận."
                "</spiffworkflow:instructionsForEndUser>")


def _engine() -> Engine:
    registry = ConnectorRegistry()
    registry.register(FakePopulationRegistry(people={"001090000001": {"ho_ten": "Nguyễn Văn An"}}))
    return Engine(connectors=registry)


def _mau(*replacements: tuple[str, str], extra: dict[str, bytes] | None = None) -> PackageSource:
    text = BASE.files[PROCESS].decode("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return PackageSource("mau", {**BASE.files, PROCESS: text.encode("utf-8"), **(extra or {})})


def _codes(source: PackageSource) -> list[str]:
    return [p.code for p in validate_package(source, default_registry())]


# --- confirmation steps (spiff-arena: instructions, no form) ------------------------------------

@pytest.mark.parametrize("tag", ["userTask", "manualTask"])
def test_a_step_with_instructions_only_runs_as_a_confirmation(tag: str) -> None:
    opening = '<bpmn:userTask id="tiep_nhan" name="Tiếp nhận">\n      <bpmn:extensionElements>'
    source = _mau((TIEP_NHAN_FORM, ""), (opening, opening.replace("userTask", tag) + INSTRUCTIONS),
                  ("</bpmn:userTask>", f"</bpmn:{tag}>"))
    assert _codes(source) == []
    engine = _engine()
    instance, advance = engine.start(engine.load(source), START)
    (step,) = advance.ready
    assert step.element_id == "tiep_nhan" and step.form is None and step.schema == {}
    assert step.instructions == "Đối chiếu bản chính rồi xác nhận."
    # Data cannot ride along a confirmation into the dossier.
    with pytest.raises(FormInvalid) as info:
        engine.complete(instance, step.id, {"le_phi": 0})
    assert [e.path for e in info.value.errors] == ["le_phi"]
    done = engine.complete(instance, step.id, {})
    assert done.failure is None and done.completed
    assert [c.code for c in done.status_changes] == [9, 10] and instance.status == 10


def test_a_step_with_neither_form_nor_instructions_is_refused() -> None:
    problems = validate_package(_mau((TIEP_NHAN_FORM, "")), default_registry())
    assert [(p.code, p.element) for p in problems] == [("human_task_empty", "tiep_nhan")]
    assert "instructionsForEndUser" in problems[0].message("en")


# --- every problem at once ------------------------------------------------------------------------

def test_a_package_with_several_problems_reports_all_of_them_with_the_wrong_decision() -> None:
    source = library_package("khai-sinh")
    path = "bpmn/khai-sinh/process.bpmn"
    text = source.files[path].decode("utf-8")
    for old, new in [
        ("<spiffworkflow:calledDecisionId>le_phi_khai_sinh<", "<spiffworkflow:calledDecisionId>le_phi_khai_tu<"),
        ('<spiffworkflow:property name="statusOnEnter" value="2"/>', ""),
        ("<bpmn:flowNodeRef>tham_dinh_xu_ly</bpmn:flowNodeRef>", ""),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text = re.sub(r'(<bpmn:scriptTask id="tinh_so_ngay".*?<bpmn:script>).*?(</bpmn:script>)', r"\1\2", text,
                  count=1, flags=re.S)
    files = {**source.files, path: text.encode("utf-8"),
             "forms/khai-sinh/ghi-chu-schema.json": b'{"type": "object"}'}
    problems = validate_package(PackageSource("khai-sinh", files), default_registry())
    found = {(p.code, p.element) for p in problems}
    assert {("decision_unknown", "xac_dinh_le_phi"), ("script_task_empty", "tinh_so_ngay"),
            ("element_without_lane", "tham_dinh_xu_ly"), ("form_spiff_name", None)} <= found
    assert any(code == "status_received_missing" for code, _ in found)
    wrong = next(p for p in problems if p.code == "decision_unknown")
    assert "le_phi_khai_tu" in wrong.message("en") and "le_phi_khai_sinh" in wrong.message("en")
    assert "le_phi_khai_tu" in wrong.message("vi")


def test_a_wrong_decision_alone_is_a_sentence_not_the_engine_text() -> None:
    source = library_package("dang-ky-ho-kinh-doanh")
    path = "bpmn/dang-ky-ho-kinh-doanh/process.bpmn"
    text = source.files[path].replace(b">le_phi_ho_kinh_doanh<", b">le_phi_sai<")
    problems = validate_package(PackageSource(source.slug, {**source.files, path: text}), default_registry())
    assert [(p.code, p.element) for p in problems] == [("decision_unknown", "xac_dinh_le_phi")]
    assert problems[0].message("en").startswith("The business rule task 'Xác định lệ phí' calls the decision")


def test_the_library_keeps_every_national_status() -> None:
    for source in read_library(REPO / "bpmn"):
        assert _codes(source) == [], source.slug


# --- spiff-arena names -----------------------------------------------------------------------------

def test_spiff_arena_form_names_are_refused_with_the_name_to_use() -> None:
    files = {k.replace("tiep-nhan.schema.json", "tiep-nhan-schema.json"): v for k, v in BASE.files.items()}
    files["forms/mau/tiep-nhan-uischema.json"] = b"{}"
    files[PROCESS] = files[PROCESS].replace(b'value="tiep-nhan.schema.json"', b'value="tiep-nhan-schema.json"')
    problems = validate_package(PackageSource("mau", files), default_registry())
    by_file = {p.file: p for p in problems if p.code == "form_spiff_name"}
    assert set(by_file) == {"forms/mau/tiep-nhan-schema.json", "forms/mau/tiep-nhan-uischema.json"}
    assert "tiep-nhan.schema.json" in by_file["forms/mau/tiep-nhan-schema.json"].message("en")
    assert "tiep-nhan.uischema.json" in by_file["forms/mau/tiep-nhan-uischema.json"].message("vi")
    step = next(p for p in problems if p.code == "form_property_name")
    assert step.element == "tiep_nhan" and "tiep-nhan.schema.json" in step.message("en")


# --- messages as bpmn-js-spiffworkflow writes them ------------------------------------------------

_MESSAGES = """<bpmn:collaboration id="Collaboration_mau">
    <bpmn:participant id="Participant_mau" name="Mẫu" processRef="mau"/>
    <bpmn:correlationKey name="MainCorrelationKey" id="CorrelationKey_main">
      <bpmn:correlationPropertyRef>ma_ho_so</bpmn:correlationPropertyRef>
    </bpmn:correlationKey>
  </bpmn:collaboration>
  <bpmn:message id="ket_qua_xac_minh" name="ket_qua_xac_minh"/>
  <bpmn:message id="yeu_cau_xac_minh" name="yeu_cau_xac_minh"/>
  <bpmn:correlationProperty id="ma_ho_so" name="ma_ho_so">
    <bpmn:correlationPropertyRetrievalExpression messageRef="yeu_cau_xac_minh">
      <bpmn:formalExpression>ma_ho_so</bpmn:formalExpression>
    </bpmn:correlationPropertyRetrievalExpression>
  </bpmn:correlationProperty>
  <bpmn:process id="mau" isExecutable="true">"""
_SEND_AND_WAIT = """<bpmn:intermediateThrowEvent id="gui_xac_minh" name="Gửi yêu cầu xác minh">
      <bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:messageEventDefinition id="Def_gui" messageRef="yeu_cau_xac_minh">
        <bpmn:extensionElements>
          <spiffworkflow:messagePayload>{"ma_ho_so": ma_ho_so, "so_dinh_danh": so_dinh_danh}
          </spiffworkflow:messagePayload>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="cho_xac_minh" name="Chờ kết quả xác minh">
      <bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing>
      <bpmn:messageEventDefinition id="Def_cho" messageRef="ket_qua_xac_minh">
        <bpmn:extensionElements>
          <spiffworkflow:messageVariable>xac_minh</spiffworkflow:messageVariable>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="tiep_nhan" targetRef="gui_xac_minh"/>
    <bpmn:sequenceFlow id="f5" sourceRef="gui_xac_minh" targetRef="cho_xac_minh"/>
    <bpmn:sequenceFlow id="f6" sourceRef="cho_xac_minh" targetRef="xong"/>"""


def test_messages_written_by_bpmn_js_spiffworkflow_load_and_run() -> None:
    source = _mau(('<bpmn:process id="mau" isExecutable="true">', _MESSAGES),
                  ('<bpmn:sequenceFlow id="f4" sourceRef="tiep_nhan" targetRef="xong"/>', _SEND_AND_WAIT))
    assert _codes(source) == []
    engine = _engine()
    instance, advance = engine.start(engine.load(source), START, context={"ma_ho_so": "HS-1"})
    (step,) = advance.ready
    waiting = engine.complete(instance, step.id, {"dong_y": True})
    assert waiting.failure is None and not waiting.completed
    sent = [e for e in instance.workflow.bpmn_events if e.event_definition.name == "yeu_cau_xac_minh"]
    assert sent and sent[0].payload == {"ma_ho_so": "HS-1", "so_dinh_danh": "001090000001"}
    done = engine.deliver_message(instance, "ket_qua_xac_minh", {"hop_le": True})
    assert done.failure is None and done.completed
    assert instance.data["xac_minh"] == {"hop_le": True}
