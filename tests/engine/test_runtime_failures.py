"""A bad script or a failing connector fails that one instance, clearly, never the process."""

from __future__ import annotations

from engine.connectors import ConnectorError, ConnectorRegistry
from engine.package import PackageSource, read_package
from engine.runtime import Engine, EngineError
from fakes.population import FakePopulationRegistry
from tests.conftest import DATA

BASE = read_package(DATA / "broken" / "bpmn" / "mau")
START = {"so_dinh_danh": "001090000001", "so_ban": 2}


def _with_script(script: str) -> PackageSource:
    files = dict(BASE.files)
    path = "bpmn/mau/process.bpmn"
    files[path] = files[path].replace(b"le_phi = 8000 if so_ban &gt; 1 else 0", script.encode())
    return PackageSource("mau", files)


def _engine() -> tuple[Engine, FakePopulationRegistry]:
    fake = FakePopulationRegistry(people={"001090000001": {"ho_ten": "Nguyễn Văn An"}})
    registry = ConnectorRegistry()
    registry.register(fake)
    return Engine(connectors=registry, script_time_limit=0.2), fake


def test_valid_package_calls_the_connector_with_declared_parameters_only() -> None:
    engine, fake = _engine()
    instance, advance = engine.start(engine.load(BASE), START)
    assert advance.failure is None
    assert fake.calls == [{"so_dinh_danh": "001090000001"}]
    assert instance.data["le_phi"] == 8000
    assert instance.data["cong_dan"] == {"found": True, "person": {"ho_ten": "Nguyễn Văn An"}}


def test_connector_failure_fails_the_instance_with_a_retryable_flag() -> None:
    engine, fake = _engine()
    fake.fail_next.append(ConnectorError("gateway timeout", retryable=True))
    instance, advance = engine.start(engine.load(BASE), START)
    assert advance.failure is not None
    assert advance.failure.element_id == "tra_cuu"
    assert advance.failure.params["retryable"] is True
    assert "dan_cu.tra_cuu" in advance.failure.message("en") and "gateway timeout" in advance.failure.message("en")
    assert instance.failure == advance.failure
    # A failed instance refuses further work until someone deals with it.
    try:
        engine.run_automatic(instance)
    except EngineError as err:
        assert err.code == "instance_is_failed"
    else:
        raise AssertionError("a failed instance accepted work")


def test_runaway_script_is_stopped_and_only_that_instance_fails() -> None:
    engine, _ = _engine()
    looping = engine.load(_with_script("while True:\n    pass"))
    instance, advance = engine.start(looping, START)
    assert advance.failure is not None and advance.failure.element_id == "tinh_phi"
    assert "0.2" in advance.failure.message("en")
    # The same engine keeps serving other procedures.
    _, fine = engine.start(engine.load(BASE), START)
    assert fine.failure is None


def test_runtime_sandbox_limit_fails_the_instance_with_the_rule_broken() -> None:
    engine, _ = _engine()
    greedy = engine.load(_with_script("le_phi = len(list(range(so_ban * 10 ** 9)))"))
    _, advance = engine.start(greedy, START)
    assert advance.failure is not None
    assert "range" in advance.failure.message("en")


def test_failure_survives_serialization() -> None:
    engine, fake = _engine()
    fake.fail_next.append(ConnectorError("bad request", retryable=False))
    procedure = engine.load(BASE)
    instance, advance = engine.start(procedure, START)
    restored = engine.deserialize(procedure, engine.serialize(instance))
    assert restored.failure == advance.failure
    assert restored.failure.params["retryable"] is False
