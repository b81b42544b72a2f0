"""Engine overhead over bare SpiffWorkflow on khai-sinh (``make bench``; not a test).

Runs N birth registrations to completion in one process, several rounds:
  * bare:        SpiffWorkflow directly, same parsed spec, no validation, no serialization;
  * bare+spiff:  the same, plus SpiffWorkflow's own JSON serializer round trip before every
                 step (what an application saving state with the library would pay);
  * engine-mem:  engine.Engine without saving state (validation, deadlines, statuses, sandbox);
  * engine:      engine.Engine with a serialize/deserialize round trip before every step,
                 as the web service does; scripts run in the isolated script processes;
  * engine-inproc: the same with scripts run in this process without limits (how the engine ran
                 them before engine/isolation.py): the difference is the cost of isolation.
Each figure is the best of the rounds (the machine's noise only ever adds time). Prints
instances per second and the ratios against bare.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import sandbox
from engine.compiler import Procedure
from engine.isolation import ScriptPool
from engine.package import read_package
from engine.runtime import VN_TZ, Engine

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "data" / "samples" / "khai-sinh"
STEPS = ["tiep-nhan", "tham-dinh", "phe-duyet", "tra-ket-qua"]
NOW = datetime(2026, 6, 8, 9, 0, tzinfo=VN_TZ)


def _load(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))


def run_bare(
    procedure: Procedure, start: dict[str, Any], answers: list[dict[str, Any]],
    serializer: BpmnWorkflowSerializer | None = None,
) -> None:
    engine = PythonScriptEngine(environment=TaskDataEnvironment({"date": date, "datetime": datetime,
                                                                 "timedelta": timedelta}))
    workflow = BpmnWorkflow(procedure.spec, procedure.subprocess_specs, script_engine=engine)
    first = workflow.get_next_task(state=TaskState.READY)
    first.data.update(start)
    first.data["submitted_on"] = NOW.date().isoformat()
    workflow.do_engine_steps()
    for answer in answers:
        if serializer is not None:
            workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
            workflow.script_engine = engine
        (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.data.update(answer)
        task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed()


def run_engine(
    engine: Engine, procedure: Procedure, start: dict[str, Any], answers: list[dict[str, Any]],
    save: bool = True,
) -> None:
    instance, advance = engine.start(procedure, start, now=NOW)
    for answer in answers:
        if save:
            instance = engine.deserialize(procedure, engine.serialize(instance))
        (task,) = engine.ready_tasks(instance)
        advance = engine.complete(instance, task.id, answer, now=NOW)
    assert advance.completed and instance.status == 10


class InProcessScripts:
    """For comparison only: scripts in this process, with the allow-list but no process, no limits."""

    calls = 0

    def run(self, request: dict[str, Any], time_limit: float) -> dict[str, Any]:
        InProcessScripts.calls += 1
        code = sandbox.compile_checked(request["source"], request["mode"])
        data = request["data"]
        scope = sandbox.scope_for(data, request["extra"])
        result = sandbox.run_here(code, scope)
        if request["mode"] == "eval":
            return {"value": result}
        helpers = sandbox.scope_for({}, request["extra"])
        changed = {k: v for k, v in scope.items() if not sandbox.is_helper(k, v, helpers)}
        return {"changed": changed, "deleted": [k for k in data if k not in scope]}


def timed(n: int, once: Any) -> float:
    once()  # warm-up: caches, imports
    gc.collect()
    started = time.perf_counter()
    for _ in range(n):
        once()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="instances per run (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best time of each kind is kept")
    args = parser.parse_args()

    engine = Engine(script_pool=ScriptPool(size=1))
    in_process = Engine(script_pool=InProcessScripts())  # type: ignore[arg-type]
    t0 = time.perf_counter()
    procedure = engine.load(read_package(REPO / "bpmn" / "khai-sinh"))
    print(f"compile khai-sinh: {(time.perf_counter() - t0) * 1000:.0f} ms (once per version, then cached)")
    start, answers = _load("to-khai"), [_load(name) for name in STEPS]
    state_size = len(engine.serialize(engine.start(procedure, start, now=NOW)[0]).encode())
    print(f"serialized state after submission: {state_size / 1024:.1f} KiB")

    spiff_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    runs = {
        "bare": lambda: run_bare(procedure, start, answers),
        "bare+spiff": lambda: run_bare(procedure, start, answers, spiff_serializer),
        "engine-mem": lambda: run_engine(engine, procedure, start, answers, save=False),
        "engine": lambda: run_engine(engine, procedure, start, answers),
        "engine-inproc": lambda: run_engine(in_process, procedure, start, answers),
    }
    InProcessScripts.calls = 0
    run_engine(in_process, procedure, start, answers)
    per_instance = InProcessScripts.calls
    print(f"isolated script runs per instance: {per_instance} (bounded conditions and cells run in process)")
    best: dict[str, float] = {}
    for round_no in range(1, args.rounds + 1):
        print(f"-- round {round_no}/{args.rounds}: {args.n} instances each", flush=True)
        for label, once in runs.items():
            elapsed = timed(args.n, once)
            best[label] = min(best.get(label, elapsed), elapsed)
            print(f"   {label:<13} {elapsed:6.2f} s", flush=True)
    print(f"== best of {args.rounds} rounds, {args.n} instances, {len(answers)} human steps each")
    for label, elapsed in best.items():
        ratio = elapsed / best["bare"]
        print(f"{label:<13} {args.n / elapsed:8.1f} instances/s  {elapsed / args.n * 1000:6.2f} ms/instance"
              f"  {ratio:5.2f}x bare")
    print(f"engine (saving state at every step) / bare: {best['engine'] / best['bare']:.2f}x (aim <= 1.5x)")
    extra = (best["engine"] - best["engine-inproc"]) / args.n
    print(f"isolation: {extra * 1000:.2f} ms per instance, {extra / max(per_instance, 1) * 1e6:.0f} us per isolated "
          f"script run; engine-inproc / bare: {best['engine-inproc'] / best['bare']:.2f}x")


if __name__ == "__main__":
    main()
