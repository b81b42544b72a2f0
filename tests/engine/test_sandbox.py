"""Scripts from packages cannot import, touch files or the environment, reach internals, or run forever."""

from __future__ import annotations

import pytest

from engine import sandbox
from engine.sandbox import SandboxViolation, ScriptTimeout

ESCAPES = {
    "import os": "sandbox_import",
    "from os import path": "sandbox_import",
    "x = open('/etc/passwd').read()": "sandbox_name",
    "x = __import__('os')": "sandbox_name",
    "x = __builtins__": "sandbox_name",
    "x = ().__class__.__bases__[0].__subclasses__()": "sandbox_private",
    "x = (lambda: 0).__globals__": "sandbox_private",
    "g = (i for i in [1]); x = g.gi_frame.f_globals": "sandbox_private",
    "x = '{0.__class__}'.format(1)": "sandbox_private",
    "x = getattr(1, '__class__')": "sandbox_name",
    "x = eval('1')": "sandbox_name",
    "class A: pass": "sandbox_statement",
    "def f():\n    global y\n    y = 1": "sandbox_statement",
    "x = 2 ** n": "sandbox_power",
    "x = 10 ** 100000": "sandbox_power",
}


@pytest.mark.parametrize("script,code", list(ESCAPES.items()))
def test_escape_attempts_are_refused_before_running(script: str, code: str) -> None:
    found = sandbox.check(script, "exec")
    assert code in {getattr(p, "code", None) for p in found}
    with pytest.raises(SandboxViolation) as info:
        sandbox.execute(script, {"n": 3})
    assert info.value.code in {p.code for p in found if isinstance(p, SandboxViolation)}


def test_environment_is_unreachable_even_through_allowed_objects() -> None:
    data: dict[str, object] = {}
    with pytest.raises(SandboxViolation):
        sandbox.execute("x = date.today().__class__.__module__", data)
    assert "x" not in data


def test_infinite_loop_is_stopped_by_the_time_limit() -> None:
    with pytest.raises(ScriptTimeout) as info:
        sandbox.execute("while True:\n    pass", {}, time_limit=0.2)
    assert info.value.line == 2 or info.value.line == 1
    assert "0.2" in info.value.message("en")


def test_loop_inside_a_function_is_stopped_too() -> None:
    script = "def spin():\n    while True:\n        pass\nspin()"
    with pytest.raises(ScriptTimeout):
        sandbox.execute(script, {}, time_limit=0.2)


def test_huge_range_is_refused() -> None:
    with pytest.raises(SandboxViolation) as info:
        sandbox.execute("x = sum(range(10 ** 12))", {})
    assert info.value.code == "sandbox_range"


def test_trace_function_is_restored_after_a_timeout() -> None:
    import sys

    before = sys.gettrace()
    with pytest.raises(ScriptTimeout):
        sandbox.execute("while True: pass", {}, time_limit=0.05)
    assert sys.gettrace() is before


def test_ordinary_script_reads_and_writes_task_data() -> None:
    data = {"tre_em": {"ngay_sinh": "2026-01-01"}, "submitted_on": "2026-01-31", "tmp": 1}
    sandbox.execute(
        "so_ngay = (date.fromisoformat(submitted_on) - date.fromisoformat(tre_em['ngay_sinh'])).days\n"
        "tong = sum(x * 2 for x in range(4))\n"
        "del tmp",
        data,
    )
    assert data["so_ngay"] == 30
    assert data["tong"] == 12
    assert "tmp" not in data
    assert "date" not in data  # helpers are not written back into the dossier


def test_expressions_evaluate_against_data() -> None:
    assert sandbox.evaluate("ket_qua == 'tiep_nhan' and so_ngay <= 60", {"ket_qua": "tiep_nhan", "so_ngay": 3})
    assert not sandbox.evaluate("len(ds) > 2", {"ds": [1]})


def test_syntax_errors_are_reported_with_a_line() -> None:
    found = sandbox.check("x = 1\ny = (", "exec")
    assert isinstance(found[0], SyntaxError)
    assert found[0].lineno == 2
