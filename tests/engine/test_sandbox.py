"""Scripts from packages are an allow-list of Python: a corpus of known escapes is refused before
anything runs, and attribute access at run time only reaches what is listed per type."""

from __future__ import annotations

import pytest

from engine import isolation, sandbox
from engine.sandbox import SandboxViolation

# Each: a way out of a Python sandbox seen in the wild or in our own review, and the rule that stops it.
ESCAPES = {
    # the one found by the attacker: attribute names written as keyword patterns of a class pattern
    "match '{0.__globals__[sys].modules[os].environ[MOTCUA_DATA_DIR]}':\n"
    "    case str(format=f):\n        leak = f(range)": "sandbox_statement",
    "match x:\n    case {'a': str(format=f)}:\n        y = f": "sandbox_statement",
    "import os": "sandbox_import",
    "from os import path": "sandbox_import",
    "x = open('/etc/passwd').read()": "sandbox_name",
    "x = __import__('os')": "sandbox_name",
    "x = __builtins__": "sandbox_name",
    "x = ().__class__.__bases__[0].__subclasses__()": "sandbox_private",
    "x = ''.__class__.__mro__[1].__subclasses__()": "sandbox_private",
    "x = (lambda: 0).__globals__": "sandbox_private",
    "def f():\n    pass\nx = f.__globals__": "sandbox_private",
    "g = (i for i in [1]); x = g.gi_frame.f_globals": "sandbox_attribute_runtime",
    "x = '{0.__class__}'.format(1)": "sandbox_private",
    "x = '{0.__class__}'.format_map({})": "sandbox_private",
    "x = f'{(1).__class__}'": "sandbox_private",
    "x = getattr(1, '__class__')": "sandbox_name",
    "x = eval('1')": "sandbox_name",
    "x = type(1)": "sandbox_name",
    "x = vars()": "sandbox_name",
    "class A: pass": "sandbox_statement",
    "def f():\n    global y\n    y = 1": "sandbox_statement",
    "@staticmethod\ndef f():\n    pass": "sandbox_definition",
    "def f(a: print = 1):\n    pass": "sandbox_definition",
    "x = [y := 1]": "sandbox_statement",
    "def f():\n    yield 1": "sandbox_statement",
    "with x as y:\n    pass": "sandbox_statement",
    "x = _motcua_attr": "sandbox_name",
    "_motcua_attr = 1": "sandbox_name",
    "def f(_motcua_attr):\n    pass": "sandbox_definition",
    "x = (lambda _a: _a)(1)": "sandbox_definition",
    "x = 2 ** n": "sandbox_power",
    "x = 10 ** 100000": "sandbox_power",
    "date.today = 1": "sandbox_attribute_write",
    "try:\n    pass\nexcept* ValueError:\n    pass": "sandbox_statement",
}
# Refused at run time: the attribute exists on no type's list, whatever object it is read from.
RUNTIME_ESCAPES = [
    "g = (i for i in [1]); x = g.gi_frame",
    "x = date.today().resolution",
    "f = lambda: 0\nx = f.gi_code",
    "x = timedelta(1).max.resolution",
    "x = {}.fromkeys",
    "x = [].mro",
    "try:\n    1 / 0\nexcept Exception as e:\n    x = e.args",
    "x = str.join",
]


@pytest.mark.parametrize("script,code", list(ESCAPES.items()))
def test_escape_attempts_are_refused_before_running(script: str, code: str) -> None:
    found = sandbox.check(script, "exec")
    if code == "sandbox_attribute_runtime":
        with pytest.raises(SandboxViolation) as info:
            isolation.execute(script, {"n": 3})
        assert info.value.code == "sandbox_attribute"
        return
    assert code in {getattr(p, "code", None) for p in found}, found
    with pytest.raises(SandboxViolation) as info:
        isolation.execute(script, {"n": 3, "x": 1})
    assert info.value.code in {p.code for p in found if isinstance(p, SandboxViolation)}


@pytest.mark.parametrize("script", RUNTIME_ESCAPES)
def test_attributes_not_listed_for_a_type_are_refused_when_read(script: str) -> None:
    assert sandbox.check(script, "exec") == []
    data: dict[str, object] = {}
    with pytest.raises(SandboxViolation) as info:
        isolation.execute(script, data)
    assert info.value.code == "sandbox_attribute"
    assert "x" not in data


def test_the_guard_itself_answers_per_exact_type() -> None:
    assert sandbox.guarded_getattr("Ab", "lower")() == "ab"
    assert sandbox.guarded_getattr(sandbox.SCRIPT_GLOBALS["date"], "fromisoformat")("2026-01-02").day == 2
    for obj, name in [(1, "real"), (True, "bit_length"), ("a", "format"), (str, "join"), (isolation, "os")]:
        with pytest.raises(SandboxViolation):
            sandbox.guarded_getattr(obj, name)


def test_environment_is_unreachable_even_through_allowed_objects() -> None:
    data: dict[str, object] = {}
    with pytest.raises(SandboxViolation):
        isolation.execute("x = date.today().__class__.__module__", data)
    assert "x" not in data


def test_huge_range_is_refused() -> None:
    with pytest.raises(SandboxViolation) as info:
        isolation.execute("x = sum(range(10 ** 12))", {})
    assert info.value.code == "sandbox_range"


def test_ordinary_script_reads_and_writes_task_data() -> None:
    data = {"tre_em": {"ngay_sinh": "2026-01-01"}, "submitted_on": "2026-01-31", "tmp": 1, "ds": [1]}
    isolation.execute(
        "so_ngay = (date.fromisoformat(submitted_on) - date.fromisoformat(tre_em['ngay_sinh'])).days\n"
        "tong = sum(x * 2 for x in range(4))\n"
        "ten = 'Nguyễn Văn An'.upper().split()[0]\n"
        "ds.append(2)\n"
        "hom_nay = date.today().year > 2000\n"
        "def nhan_doi(v):\n    return v * 2\n"
        "gap = nhan_doi(tong)\n"
        "del tmp",
        data,
    )
    assert data["so_ngay"] == 30
    assert data["tong"] == 12
    assert data["gap"] == 24
    assert data["ten"] == "NGUYỄN"
    assert data["ds"] == [1, 2]  # changed in place, still written back
    assert data["hom_nay"] is True
    assert "tmp" not in data
    assert "date" not in data and "nhan_doi" not in data  # helpers are not written back into the dossier


def test_dates_a_script_makes_come_back_as_dates() -> None:
    data: dict[str, object] = {}
    isolation.execute("ngay = date(2026, 6, 8) + timedelta(days=1)", data)
    assert data["ngay"] == sandbox.SCRIPT_GLOBALS["date"](2026, 6, 9)


def test_expressions_evaluate_against_data() -> None:
    assert isolation.evaluate("ket_qua == 'tiep_nhan' and so_ngay <= 60", {"ket_qua": "tiep_nhan", "so_ngay": 3})
    assert not isolation.evaluate("len(ds) > 2", {"ds": [1]})
    assert isolation.evaluate("nhan['hinh_thuc'] in ('a', 'b')", {"nhan": {"hinh_thuc": "b"}})


@pytest.mark.parametrize("expression,bounded", [
    ("ket_qua == 'tiep_nhan'", True),
    ("nhan['hinh_thuc'] == 'buu_chinh' and not le_phi", True),
    ("a if b else c", True),
    ("len(ds) > 2", False),  # a call
    ("'a' * n", False),  # may allocate
    ("[a, a, a]", False),  # grows when stored
    ("f'{a:>99999999}'", False),
    ("(1, 2)", False),
])
def test_only_expressions_bounded_by_construction_run_in_the_callers_process(expression: str, bounded: bool) -> None:
    assert sandbox.is_bounded(expression) is bounded


def test_syntax_errors_are_reported_with_a_line() -> None:
    found = sandbox.check("x = 1\ny = (", "exec")
    assert isinstance(found[0], SyntaxError)
    assert found[0].lineno == 2


@pytest.mark.parametrize("source,code", [
    ("", "sandbox_empty"),
    ("x = 1\n" * 5000, "sandbox_too_long"),
    ("x = " + "(" * 300 + "1" + ")" * 300, None),  # the parser refuses: a syntax error or too deep
])
def test_empty_long_and_deep_sources_are_refused_with_a_reason(source: str, code: str | None) -> None:
    found = sandbox.check(source, "exec")
    assert found
    if code:
        assert found[0].code == code
