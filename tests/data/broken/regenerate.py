"""Regenerate the broken procedure packages used by tests/engine/test_validation.py.

Each case starts from one small valid package (``BASE_*`` below) and breaks exactly one
thing, so a test can assert that the validator names that thing. Run from the repository
root after changing a case:  python tests/data/broken/regenerate.py
The output (``bpmn/<case>/``, ``forms/<case>/``, ``expected.json``) is committed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent

BASE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_mau" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="mau" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_cong_dan" name="cong_dan">
        <bpmn:flowNodeRef>nop</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_tiep_nhan" name="tiep_nhan">
        <bpmn:flowNodeRef>tinh_phi</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>tra_cuu</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>tiep_nhan</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>xong</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="nop" name="Nộp hồ sơ">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="to-khai.schema.json"/>
          <spiffworkflow:property name="statusOnComplete" value="1"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:scriptTask id="tinh_phi" name="Tính phí">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>le_phi = 8000 if so_ban &gt; 1 else 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:serviceTask id="tra_cuu" name="Tra cứu dân cư">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="dan_cu.tra_cuu" resultVariable="cong_dan">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="so_dinh_danh" type="str" value="so_dinh_danh"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="tiep_nhan" name="Tiếp nhận">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="tiep-nhan.schema.json"/>
          <spiffworkflow:property name="statusOnEnter" value="2"/>
          <spiffworkflow:property name="statusOnComplete" value="9"/>
          <spiffworkflow:property name="stepDeadline" value="4h"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="xong" name="Xong">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="statusOnEnter" value="10"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f4</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="nop" targetRef="tinh_phi"/>
    <bpmn:sequenceFlow id="f2" sourceRef="tinh_phi" targetRef="tra_cuu"/>
    <bpmn:sequenceFlow id="f3" sourceRef="tra_cuu" targetRef="tiep_nhan"/>
    <bpmn:sequenceFlow id="f4" sourceRef="tiep_nhan" targetRef="xong"/>
  </bpmn:process>
</bpmn:definitions>
"""

BASE_YAML = """code: "9.000002"
slug: {slug}
name: {{vi: "Thủ tục mẫu", en: "Sample procedure"}}
field: {{vi: "Kiểm thử"}}
level: commune
service_level: toan_trinh
agency: {{vi: "Đơn vị kiểm thử"}}
processing_time: {{amount: 1, unit: working_days}}
fees: []
components: []
result: {{name: {{vi: "Không có"}}, electronic: true}}
legal_basis: []
delivery: [online]
lanes:
  cong_dan: {{role: cong_dan, unit: applicant, name: {{vi: "Công dân"}}}}
  tiep_nhan: {{role: tiep_nhan, unit: receiving, name: {{vi: "Tiếp nhận"}}}}
"""

BASE_FORMS = {
    "to-khai.schema.json": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Tờ khai",
        "properties": {
            "so_dinh_danh": {"type": "string", "title": "Số định danh", "pattern": "^[0-9]{12}$"},
            "so_ban": {"type": "integer", "title": "Số bản", "minimum": 1},
        },
        "required": ["so_dinh_danh", "so_ban"],
    },
    "tiep-nhan.schema.json": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Tiếp nhận",
        "properties": {"dong_y": {"type": "boolean", "title": "Đồng ý tiếp nhận"}},
        "required": ["dong_y"],
    },
}

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="mau" isExecutable="true" name="&lol9;"/>
</bpmn:definitions>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="mau" isExecutable="true" name="&secret;"/>
</bpmn:definitions>
"""


def _replace(old: str, new: str):
    def apply(files: dict[str, str]) -> None:
        assert old in files["process.bpmn"], old
        files["process.bpmn"] = files["process.bpmn"].replace(old, new)
    return apply


def _set(name: str, text: str | None):
    def apply(files: dict[str, str]) -> None:
        if text is None:
            del files[name]
        else:
            files[name] = text
    return apply


_TIEP_NHAN_REF = '<bpmn:flowNodeRef>tiep_nhan</bpmn:flowNodeRef>'
_ORPHAN_REF = "\n        <bpmn:flowNodeRef>bi_bo_quen</bpmn:flowNodeRef>"
_ORPHAN = """<bpmn:userTask id="bi_bo_quen" name="Bị bỏ quên">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="tiep-nhan.schema.json"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:outgoing>f9</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f9" sourceRef="bi_bo_quen" targetRef="xong"/>
    <bpmn:endEvent id="xong\""""

_START_FORM = '\n          <spiffworkflow:property name="formJsonSchemaFilename" value="to-khai.schema.json"/>'
_TIEP_NHAN_FORM = '\n          <spiffworkflow:property name="formJsonSchemaFilename" value="tiep-nhan.schema.json"/>'
# The declaration drawn as the citizen's first user task instead of the start event's form.
_DECLARATION_TASK = """<bpmn:userTask id="khai" name="Khai tờ khai">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="to-khai.schema.json"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f0" sourceRef="khai" targetRef="tinh_phi"/>
    <bpmn:scriptTask id="tinh_phi\""""
_FEE_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_phi" name="Phí"
             namespace="http://motcua.local/dmn/mau">
  <decision id="phi" name="Phí">
    <decisionTable id="DecisionTable_phi" hitPolicy="UNIQUE">
      <input id="Input_so_ban" label="Số bản">
        <inputExpression id="InputExpression_so_ban" typeRef="integer"><text>so_ban</text></inputExpression>
      </input>
      <output id="Output_le_phi" label="Lệ phí" name="le_phi" typeRef="integer"/>
      <rule id="Rule_mot_ban">
        <inputEntry id="InputEntry_mot_ban"><text>1</text></inputEntry>
        <outputEntry id="OutputEntry_mot_ban"><text>0</text></outputEntry>
      </rule>
      <rule id="Rule_nhieu_ban">
        <inputEntry id="InputEntry_nhieu_ban"><text>&gt; 1</text></inputEntry>
        <outputEntry id="OutputEntry_nhieu_ban"><text>8000</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""
_SCRIPT_TASK = """<bpmn:scriptTask id="tinh_phi" name="Tính phí">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>le_phi = 8000 if so_ban &gt; 1 else 0</bpmn:script>
    </bpmn:scriptTask>"""


def _rule_task(decision: str | None) -> str:
    called = f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>" if decision else ""
    return f"""<bpmn:businessRuleTask id="tinh_phi" name="Tính phí">
      <bpmn:extensionElements>{called}</bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>"""


# The desk decides: accepted dossiers end returned, refused ones at an end that forgot its status (3).
_REFUSAL = """<bpmn:exclusiveGateway id="quyet_dinh" name="Đồng ý?"/>
    <bpmn:sequenceFlow id="f5" sourceRef="quyet_dinh" targetRef="xong">
      <bpmn:conditionExpression>dong_y</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f6" sourceRef="quyet_dinh" targetRef="tu_choi">
      <bpmn:conditionExpression>not dong_y</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="tu_choi" name="Từ chối"/>
    <bpmn:sequenceFlow id="f4" sourceRef="tiep_nhan" targetRef="quyet_dinh"/>"""


def _rename_form(old: str, new: str):
    def apply(files: dict[str, str]) -> None:
        files[f"forms/{new}"] = files.pop(f"forms/{old}")
        _replace(f'value="{old}"', f'value="{new}"')(files)
    return apply


def _steps(*mutations):
    def apply(files: dict[str, str]) -> None:
        for mutate in mutations:
            mutate(files)
    return apply


# case -> (mutation, expected problem: code, file suffix, element id or None)
CASES = {
    "thieu-bieu-mau": (
        _set("forms/tiep-nhan.schema.json", None),
        ("form_missing", "process.bpmn", "tiep_nhan"),
    ),
    "bieu-mau-sai": (
        _set("forms/tiep-nhan.schema.json",
             '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "objekt"}'),
        ("form_schema_invalid", "tiep-nhan.schema.json", None),
    ),
    "bieu-mau-ref-hong": (
        _set("forms/tiep-nhan.schema.json",
             '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",'
             ' "properties": {"nguoi": {"$ref": "../common/khong-co.schema.json"}}}'),
        ("form_ref_unresolved", "tiep-nhan.schema.json", None),
    ),
    "lane-la": (
        _replace('name="tiep_nhan">', 'name="phu_thuy">'),
        ("lane_unknown_role", "process.bpmn", "Lane_tiep_nhan"),
    ),
    "connector-la": (
        _replace('id="dan_cu.tra_cuu"', 'id="ngan_hang.chuyen_tien"'),
        ("connector_unknown", "process.bpmn", "tra_cuu"),
    ),
    "script-loi-cu-phap": (
        _replace("le_phi = 8000 if so_ban &gt; 1 else 0", "le_phi = (8000 if so_ban &gt; 1"),
        ("script_syntax", "process.bpmn", "tinh_phi"),
    ),
    "script-cam": (
        _replace("le_phi = 8000 if so_ban &gt; 1 else 0", "import os\nle_phi = os.getcwd()"),
        ("script_forbidden", "process.bpmn", "tinh_phi"),
    ),
    "bom-xml": (
        _set("process.bpmn", BILLION_LAUGHS),
        ("xml_doctype", "process.bpmn", None),
    ),
    "thuc-the-ngoai": (
        _set("process.bpmn", EXTERNAL_ENTITY),
        ("xml_doctype", "process.bpmn", None),
    ),
    "buoc-khong-toi-duoc": (
        lambda files: (
            _replace(_TIEP_NHAN_REF, _TIEP_NHAN_REF + _ORPHAN_REF)(files),
            _replace('<bpmn:endEvent id="xong"', _ORPHAN)(files),
        ),
        ("unreachable", "process.bpmn", "bi_bo_quen"),
    ),
    "metadata-sai": (
        lambda files: files.update(
            {"procedure.yaml": files["procedure.yaml"].replace("level: commune", "level: galaxy")}),
        ("metadata_invalid", "procedure.yaml", None),
    ),
    "ngo-cut": (
        _replace('<bpmn:sequenceFlow id="f4" sourceRef="tiep_nhan" targetRef="xong"/>', ""),
        ("dead_end", "process.bpmn", "tiep_nhan"),
    ),
    "trang-thai-sai": (
        _replace('name="statusOnEnter" value="2"', 'name="statusOnEnter" value="12"'),
        ("status_invalid", "process.bpmn", "tiep_nhan"),
    ),
    "thoi-han-sai": (
        _replace('value="4h"', 'value="bốn giờ"'),
        ("deadline_invalid", "process.bpmn", "tiep_nhan"),
    ),
    "tham-so-connector-thieu": (
        _replace('<spiffworkflow:parameter id="so_dinh_danh" type="str" value="so_dinh_danh"/>', ""),
        ("connector_param_missing", "process.bpmn", "tra_cuu"),
    ),
    "xml-hong": (
        _replace("</bpmn:process>", "</bpmn:proces>"),
        ("xml_malformed", "process.bpmn", None),
    ),
    # --- validate OK means runnable (docs/designer/contract.md) ---
    "khong-co-to-khai": (
        _replace(_START_FORM, ""),
        ("start_form_missing", "process.bpmn", "nop"),
    ),
    "to-khai-o-buoc-nguoi-dung": (
        _steps(_replace(_START_FORM, ""),
               _replace('<bpmn:flowNodeRef>nop</bpmn:flowNodeRef>',
                        '<bpmn:flowNodeRef>nop</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>khai</bpmn:flowNodeRef>'),
               _replace('<bpmn:sequenceFlow id="f1" sourceRef="nop" targetRef="tinh_phi"/>',
                        '<bpmn:sequenceFlow id="f1" sourceRef="nop" targetRef="khai"/>'),
               _replace('<bpmn:scriptTask id="tinh_phi"', _DECLARATION_TASK)),
        ("start_form_on_user_task", "process.bpmn", "khai"),
    ),
    "buoc-khong-lane": (
        _replace("\n        " + _TIEP_NHAN_REF, ""),
        ("element_without_lane", "process.bpmn", "tiep_nhan"),
    ),
    "lane-chua-dinh-tuyen": (
        lambda files: files.update({"procedure.yaml": files["procedure.yaml"].replace(
            '  tiep_nhan: {role: tiep_nhan, unit: receiving, name: {vi: "Tiếp nhận"}}\n', "")}),
        ("lane_not_routed", "process.bpmn", "Lane_tiep_nhan"),
    ),
    "buoc-khong-bieu-mau": (
        _replace(_TIEP_NHAN_FORM, ""),
        ("human_task_empty", "process.bpmn", "tiep_nhan"),
    ),
    "buoc-khong-loai": (
        _steps(_replace('<bpmn:userTask id="tiep_nhan"', '<bpmn:task id="tiep_nhan"'),
               _replace("</bpmn:userTask>", "</bpmn:task>")),
        ("task_plain", "process.bpmn", "tiep_nhan"),
    ),
    "script-trong": (
        _replace("le_phi = 8000 if so_ban &gt; 1 else 0", ""),
        ("script_task_empty", "process.bpmn", "tinh_phi"),
    ),
    "bang-quyet-dinh-la": (
        _steps(_replace(_SCRIPT_TASK, _rule_task("phi_sai")), _set("fee.dmn", _FEE_DMN)),
        ("decision_unknown", "process.bpmn", "tinh_phi"),
    ),
    "thieu-bang-quyet-dinh": (
        _steps(_replace(_SCRIPT_TASK, _rule_task(None)), _set("fee.dmn", _FEE_DMN)),
        ("decision_missing", "process.bpmn", "tinh_phi"),
    ),
    "thieu-trang-thai-tiep-nhan": (
        _replace('\n          <spiffworkflow:property name="statusOnEnter" value="2"/>', ""),
        ("status_received_missing", "process.bpmn", "tiep_nhan"),
    ),
    "thieu-trang-thai-co-ket-qua": (
        _replace('\n          <spiffworkflow:property name="statusOnComplete" value="9"/>', ""),
        ("status_result_ready_missing", "process.bpmn", "xong"),
    ),
    "ket-thuc-thieu-trang-thai": (
        _replace('\n          <spiffworkflow:property name="statusOnEnter" value="10"/>', ""),
        ("status_end_not_final", "process.bpmn", "xong"),
    ),
    "tu-choi-thieu-trang-thai": (
        _steps(_replace('<bpmn:sequenceFlow id="f4" sourceRef="tiep_nhan" targetRef="xong"/>', _REFUSAL),
               _replace(_TIEP_NHAN_REF, _TIEP_NHAN_REF + "\n        <bpmn:flowNodeRef>quyet_dinh</bpmn:flowNodeRef>"
                        "\n        <bpmn:flowNodeRef>tu_choi</bpmn:flowNodeRef>")),
        ("status_end_not_final", "process.bpmn", "tu_choi"),
    ),
    "ket-thuc-khong-toi-duoc": (
        _replace("</bpmn:process>", """  <bpmn:endEvent id="ket_thuc_thua" name="Kết thúc thừa">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="statusOnEnter" value="3"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>"""),
        ("unreachable", "process.bpmn", "ket_thuc_thua"),
    ),
    "bieu-mau-spiff": (
        _rename_form("tiep-nhan.schema.json", "tiep-nhan-schema.json"),
        ("form_spiff_name", "tiep-nhan-schema.json", None),
    ),
    "giao-dien-khong-khop": (
        _steps(_replace(_TIEP_NHAN_FORM, _TIEP_NHAN_FORM + '\n          <spiffworkflow:property '
                        'name="formUiSchemaFilename" value="khac.uischema.json"/>'),
               _set("forms/khac.uischema.json", '{"ui:order": ["dong_y"]}')),
        ("form_ui_not_paired", "process.bpmn", "tiep_nhan"),
    ),
    "tep-la-trong-forms": (
        _set("forms/ghi-chu.txt", "Ghi chú của người thiết kế, không phải biểu mẫu."),
        ("form_file_name", "ghi-chu.txt", None),
    ),
}


def base_files(slug: str) -> dict[str, str]:
    files = {"process.bpmn": BASE_BPMN, "procedure.yaml": BASE_YAML.format(slug=slug)}
    files.update({f"forms/{name}": json.dumps(doc, ensure_ascii=False, indent=2) for name, doc in BASE_FORMS.items()})
    return files


def write(root: Path, slug: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / "forms" / slug / name.removeprefix("forms/") if name.startswith("forms/") \
            else root / "bpmn" / slug / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main() -> None:
    for sub in ("bpmn", "forms"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
    write(HERE, "mau", base_files("mau"))
    expected = {}
    for slug, (mutate, (code, file_suffix, element)) in CASES.items():
        files = base_files(slug)
        mutate(files)
        write(HERE, slug, files)
        expected[slug] = {"code": code, "file": file_suffix, "element": element}
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
