"""Hostile procedure packages for tests: the valid sample package of tests/data/broken/ with a
script, a flow condition, a timer or a decision-table cell replaced by an attacker's text."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from tests.conftest import DATA

_BASE = DATA / "broken"
_SCRIPT = "le_phi = 8000 if so_ban &gt; 1 else 0"


def package_files(script: str, slug: str = "thu-doc") -> dict[str, bytes]:
    """The sample package as ``{path: bytes}`` under ``slug``, its script task running ``script``.
    The sample's service task is dropped, so the script's outcome is what the dossier shows."""
    bpmn = (_BASE / "bpmn" / "mau" / "process.bpmn").read_text("utf-8")
    assert _SCRIPT in bpmn
    bpmn = bpmn.replace(_SCRIPT, escape(script))
    bpmn = bpmn.replace('<bpmn:sequenceFlow id="f2" sourceRef="tinh_phi" targetRef="tra_cuu"/>',
                        '<bpmn:sequenceFlow id="f2" sourceRef="tinh_phi" targetRef="tiep_nhan"/>')
    start, end = bpmn.index('    <bpmn:serviceTask id="tra_cuu"'), bpmn.index("    </bpmn:serviceTask>\n")
    bpmn = bpmn[:start] + bpmn[end + len("    </bpmn:serviceTask>\n"):]
    bpmn = bpmn.replace("<bpmn:flowNodeRef>tra_cuu</bpmn:flowNodeRef>", "")
    bpmn = bpmn.replace('<bpmn:sequenceFlow id="f3" sourceRef="tra_cuu" targetRef="tiep_nhan"/>', "")
    bpmn = bpmn.replace("<bpmn:incoming>f3</bpmn:incoming>", "<bpmn:incoming>f2</bpmn:incoming>")
    metadata = (_BASE / "bpmn" / "mau" / "procedure.yaml").read_text("utf-8")
    metadata = metadata.replace("slug: mau", f"slug: {slug}").replace('code: "9.000002"', 'code: "9.000099"')
    files = {f"bpmn/{slug}/process.bpmn": bpmn.encode(), f"bpmn/{slug}/procedure.yaml": metadata.encode()}
    for form in (_BASE / "forms" / "mau").iterdir():
        files[f"forms/{slug}/{form.name}"] = form.read_bytes()
    return files


def write_package(root: Path, files: dict[str, bytes]) -> Path:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return root


def as_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def with_timer(files: dict[str, bytes], expression: str, slug: str = "thu-doc") -> dict[str, bytes]:
    """A boundary timer on the desk step whose duration is ``expression``."""
    path = f"bpmn/{slug}/process.bpmn"
    bpmn = files[path].decode()
    timer = (f'<bpmn:boundaryEvent id="qua_han" name="Quá hạn" attachedToRef="tiep_nhan" cancelActivity="false">'
             f'<bpmn:outgoing>f_qua_han</bpmn:outgoing><bpmn:timerEventDefinition id="td">'
             f'<bpmn:timeDuration>{escape(expression)}</bpmn:timeDuration></bpmn:timerEventDefinition>'
             f'</bpmn:boundaryEvent><bpmn:endEvent id="het_han" name="Hết hạn"><bpmn:incoming>f_qua_han'
             f'</bpmn:incoming></bpmn:endEvent>'
             f'<bpmn:sequenceFlow id="f_qua_han" sourceRef="qua_han" targetRef="het_han"/>')
    bpmn = bpmn.replace("  </bpmn:process>", timer + "\n  </bpmn:process>")
    bpmn = bpmn.replace("<bpmn:flowNodeRef>xong</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>xong</bpmn:flowNodeRef><bpmn:flowNodeRef>qua_han</bpmn:flowNodeRef>"
                        "<bpmn:flowNodeRef>het_han</bpmn:flowNodeRef>")
    return {**files, path: bpmn.encode()}


def with_condition(files: dict[str, bytes], condition: str, slug: str = "thu-doc") -> dict[str, bytes]:
    """The flow out of the script task carries ``condition``."""
    path = f"bpmn/{slug}/process.bpmn"
    bpmn = files[path].decode().replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="tinh_phi" targetRef="tiep_nhan"/>',
        f'<bpmn:sequenceFlow id="f2" sourceRef="tinh_phi" targetRef="tiep_nhan"><bpmn:conditionExpression>'
        f'{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>')
    return {**files, path: bpmn.encode()}
