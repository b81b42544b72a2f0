"""A package carrying a known sandbox escape is refused by validation (and `motcua validate`),
wherever the code sits: script task, flow condition, timer, decision-table cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import cli
from engine.compiler import validate_package
from engine.local_systems import default_registry
from engine.package import PackageSource, read_package
from tests.engine.test_sandbox import ESCAPES
from tests.hostile import package_files, with_condition, with_timer, write_package


def _codes(files: dict[str, bytes]) -> list[str]:
    return [p.code for p in validate_package(PackageSource("thu-doc", files), default_registry())]


def test_the_hostile_packages_start_from_a_valid_one() -> None:
    assert _codes(package_files("le_phi = 0")) == []


@pytest.mark.parametrize("script", list(ESCAPES))
def test_every_known_escape_in_a_script_task_is_refused(script: str) -> None:
    if ESCAPES[script] == "sandbox_attribute_runtime":
        pytest.skip("refused when it runs: the attribute is on no type's list (tests/engine/test_sandbox.py)")
    assert set(_codes(package_files(script))) & {"script_forbidden", "script_syntax"}


@pytest.mark.parametrize("expression", ["().__class__.__bases__", "'{0.__globals__}'.format(x)", "__import__('os')"])
def test_escapes_in_conditions_and_timers_are_refused(expression: str) -> None:
    base = package_files("le_phi = 0")
    assert "script_forbidden" in _codes(with_condition(base, expression))
    assert "script_forbidden" in _codes(with_timer(base, expression))


def test_escapes_in_decision_table_cells_are_refused() -> None:
    files = package_files("le_phi = 0")
    dmn = (Path(__file__).parents[2] / "bpmn" / "khai-sinh" / "fee.dmn").read_text("utf-8")
    cell = dmn.index("<inputEntry")
    text_at = dmn.index("<text>", cell) + len("<text>")
    hostile = dmn[:text_at] + "().__class__.__subclasses__()" + dmn[dmn.index("</text>", text_at):]
    codes = _codes({**files, "bpmn/thu-doc/fee.dmn": hostile.encode()})
    assert "script_forbidden" in codes


def test_motcua_validate_refuses_the_attackers_package_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    escape = next(iter(ESCAPES))  # the match statement that read the secret key
    write_package(tmp_path, package_files(escape))
    assert read_package(tmp_path / "bpmn" / "thu-doc").slug == "thu-doc"
    status = cli.main(["validate", str(tmp_path / "bpmn" / "thu-doc")])
    out = capsys.readouterr()
    assert status != 0
    assert "match" in out.out + out.err
    assert "Traceback" not in out.out + out.err
