"""The HTTP service on PostgreSQL under load, against the bare engine (``make bench-http``; not a test).

What it does, in one run:
  1. resets a PostgreSQL database (default ``motcua_bench``: created if missing, schema dropped
     and recreated, so every run starts empty) and prepares it with the product's own CLI
     (``db upgrade``, ``demo seed``, ``procedures load``, ``create-token`` for ``an`` and ``tiepnhan``);
  2. starts gunicorn (``-k gthread --threads 4``, W workers) on a free local port;
  3. for each client count C, two phases of N requests each, spread over C threads that each
     keep one HTTP/1.1 connection open:
       * submissions: the citizen ``an`` POSTs a khai-sinh declaration to /api/v1/dossiers (201);
       * completions: the desk officer ``tiepnhan`` completes the intake step of those dossiers
         (POST /api/v1/work-items/<id>/complete, 200);
     a short warm-up (not counted) first lets every worker compile the procedure;
  4. baseline: the same engine work in-process, without HTTP and without a database
     (``Engine.start`` + serialize; deserialize + complete the intake step + serialize),
     best of a few rounds.

How to read it:
  * req/s is the phase's throughput (requests finished / wall time, errors included);
    p50/p95/mean are per-request latencies seen by the client, in milliseconds;
  * errors are responses with another status than expected, or requests that failed
    (timeout, connection error); they are listed, grouped by status and error code;
  * "latency x" = mean HTTP latency at that concurrency (about C / throughput) divided by the
    baseline time per operation: what HTTP, authentication, the database, the audit log and
    the JSON response cost on top of the engine, for one request;
  * "thr x" = HTTP throughput divided by the baseline's (one thread, one core); it can pass
    1 only when several workers use several cores. The machine's core count is printed:
    with fewer cores than workers, the extra concurrency only queues.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "data" / "samples" / "khai-sinh" / "to-khai.json"
DEFAULT_URL = "postgresql+psycopg://motcua:motcua@127.0.0.1:5432/motcua_bench"
INTAKE = {"ket_qua_tiep_nhan": "tiep_nhan"}
REQUEST_TIMEOUT = 30.0  # seconds, every HTTP request
START_TIMEOUT = 60.0  # seconds for gunicorn to answer /healthz
STOP_TIMEOUT = 15.0  # seconds for gunicorn to stop after SIGTERM
BASELINE_ROUNDS = 3
ERROR_EXAMPLES = 3  # full bodies printed per kind of error


class BenchError(Exception):
    """A fatal problem with a message for the user, and the exit status to use."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def say(text: str = "") -> None:
    print(text, flush=True)


# --- database ------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    """Create the database if missing, then empty it (drop and recreate the public schema)."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql") or not target.database:
        raise BenchError(f"--database-url must be a PostgreSQL URL with a database name, got {target!r}", 2)
    try:
        _create_database_if_missing(target)
        _reset_schema(target)
    except sa.exc.OperationalError as err:
        reason = str(err.orig or err).strip().splitlines()[0]
        raise BenchError(f"cannot reach PostgreSQL at {target.render_as_string(hide_password=True)}: {reason}\n"
                         "start it (and the motcua role) with: bash scripts/ci_postgres.sh", 2) from None
    except sa.exc.DBAPIError as err:
        reason = str(err.orig or err).strip().splitlines()[0]
        raise BenchError(f"cannot create or reset database {target.database}: {reason}") from None


def _create_database_if_missing(target: URL) -> None:
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": target.database})
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(target.database)
                conn.execute(sa.text(f"CREATE DATABASE {quoted} ENCODING 'UTF8' TEMPLATE template0"))
                say(f"created database {target.database}")
    finally:
        admin.dispose()


def _reset_schema(target: URL) -> None:
    engine = sa.create_engine(target, connect_args={"connect_timeout": 5})
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


# --- the product's CLI -----------------------------------------------------------------


def run_cli(env: dict[str, str], *args: str) -> str:
    """Run ``python -m webapp.cli ARGS`` and return its standard output."""
    command = [sys.executable, "-m", "webapp.cli", *args]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise BenchError(f"`{shlex.join(command[1:])}` failed with status {done.returncode}:\n"
                         f"{done.stdout}{done.stderr}")
    return done.stdout


def prepare_product(env: dict[str, str]) -> dict[str, str]:
    """Migrate, seed, load the library; return a fresh bearer token for ``an`` and ``tiepnhan``."""
    for args in (("db", "upgrade"), ("demo", "seed"), ("procedures", "load")):
        started = time.perf_counter()
        out = run_cli(env, *args)
        first = out.strip().splitlines()[0] if out.strip() else ""  # demo seed: the header, not a token
        say(f"  motcua {' '.join(args):<16} {time.perf_counter() - started:5.1f} s  {first[:70]}")
    return {user: run_cli(env, "create-token", "--user", user).strip().splitlines()[-1]
            for user in ("an", "tiepnhan")}


# --- gunicorn ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if this script dies without cleaning up (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text("utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[Server]:
    """Start gunicorn, wait until /healthz answers, and always stop it (and its workers)."""
    port = free_port()
    command = [str(REPO / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", "4",
               "-b", f"127.0.0.1:{port}", "--graceful-timeout", "10", "webapp:create_app()"]
    say(f"  {shlex.join([os.path.relpath(command[0], REPO), *command[1:]])}")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
    server = Server(process, port, log)
    try:
        wait_healthy(server)
        yield server
    finally:
        stop(server)


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"gunicorn exited with status {server.process.returncode} before answering /healthz; "
                             f"last lines of its log ({server.log}):\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            last_error = f"status {status}"
        except OSError as err:
            last_error = str(err)
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer /healthz within {START_TIMEOUT:.0f} s ({last_error}); "
                     f"last lines of its log:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """SIGTERM to the master (it stops its workers); SIGKILL to its process group if it hangs."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"gunicorn (pid {process.pid}) ignored SIGTERM for {STOP_TIMEOUT:.0f} s: killing its process group")
    # The group is the one start_new_session gave the master: only gunicorn's own processes are in it.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# --- load ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    latency: float  # seconds
    status: int | None  # None when the request failed without a response
    body: bytes
    error: str = ""  # error code from the body, or the exception


@dataclass
class PhaseResult:
    name: str
    clients: int
    wall: float
    outcomes: list[Outcome]
    expected: int
    reconnects: int
    values: list[Any] = field(default_factory=list)  # what the phase produced for the next one

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != self.expected]

    @property
    def throughput(self) -> float:
        return len(self.outcomes) / self.wall if self.wall else 0.0

    def latency_ms(self, q: float) -> float:
        return percentile([o.latency for o in self.outcomes], q) * 1000

    @property
    def mean_ms(self) -> float:
        return sum(o.latency for o in self.outcomes) / len(self.outcomes) * 1000 if self.outcomes else 0.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


class Client:
    """One persistent connection; reconnects (and counts it) when the server closed it."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept-Language": "en"}
        self.conn = self._connect()
        self.reconnects = 0

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)

    def post(self, path: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Outcome:
        body = json.dumps(payload).encode()
        started = time.perf_counter()
        try:
            status, answer = self._send(path, body, {**self.headers, **(headers or {})})
        except (OSError, http.client.HTTPException) as err:
            self.conn.close()
            self.conn = self._connect()
            return Outcome(time.perf_counter() - started, None, b"", f"{type(err).__name__}: {err}")
        return Outcome(time.perf_counter() - started, status, answer, _error_code(answer))

    def _send(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed in between: nothing was processed.
                if attempt == 2:
                    raise
                self.conn.close()
                self.conn = self._connect()
                self.reconnects += 1
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def _error_code(body: bytes) -> str:
    try:
        decoded = json.loads(body)
    except ValueError:
        return ""
    error = decoded.get("error") if isinstance(decoded, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """Round-robin split: part i gets items i, i+parts, ..."""
    return [items[i::parts] for i in range(parts)]


Job = Callable[[Client, Any], tuple[Outcome, Any]]


def run_phase(name: str, port: int, token: str, clients: int, jobs: list[Any], job: Job, expected: int
              ) -> PhaseResult:
    """Run ``job`` once per item of ``jobs`` on ``clients`` threads, one connection each."""
    shares = split(jobs, clients)
    outcomes: list[list[Outcome]] = [[] for _ in shares]
    values: list[list[Any]] = [[] for _ in shares]
    reconnects = [0] * len(shares)
    crashes: list[str] = []
    start_line = threading.Barrier(len(shares) + 1)

    def worker(index: int) -> None:
        client = Client(port, token)
        start_line.wait()
        try:
            for item in shares[index]:
                outcome, value = job(client, item)
                outcomes[index].append(outcome)
                if outcome.status == expected and value is not None:
                    values[index].append(value)
        except Exception as err:  # a bug here, not a server error: stop the run loudly
            crashes.append(f"{threading.current_thread().name}: {type(err).__name__}: {err}")
        finally:
            reconnects[index] = client.reconnects
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), name=f"{name}-{i}", daemon=True)
               for i in range(len(shares))]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if crashes:
        raise BenchError("a client thread crashed:\n" + "\n".join(crashes))
    return PhaseResult(name, clients, wall, [o for part in outcomes for o in part], expected, sum(reconnects),
                       [v for part in values for v in part])


def submit_job(declaration: dict[str, Any]) -> Job:
    def submit(client: Client, _: Any) -> tuple[Outcome, Any]:
        outcome = client.post("/api/v1/dossiers", {"procedure": "khai-sinh", "data": declaration},
                              {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"})
        item_id = None
        if outcome.status == 201:
            steps = json.loads(outcome.body).get("current_steps") or []
            item_id = steps[0]["id"] if steps else None
            if item_id is None:
                outcome.status, outcome.error = -1, "201 without current_steps"
        return outcome, item_id

    return submit


def complete_job(client: Client, item_id: int) -> tuple[Outcome, Any]:
    return client.post(f"/api/v1/work-items/{item_id}/complete", {"data": INTAKE}), None


def run_load(port: int, tokens: dict[str, str], clients: int, requests: int, declaration: dict[str, Any]
             ) -> tuple[PhaseResult, PhaseResult]:
    submissions = run_phase("submit", port, tokens["an"], clients, list(range(requests)),
                            submit_job(declaration), 201)
    completions = run_phase("complete", port, tokens["tiepnhan"], clients, submissions.values,
                            complete_job, 200)
    return submissions, completions


def warm_up(port: int, tokens: dict[str, str], workers: int, declaration: dict[str, Any]) -> None:
    """A few uncounted requests so each worker has compiled the procedure and opened its pool."""
    started = time.perf_counter()
    clients = workers * 4  # as many connections as the server has threads
    submitted, completed = run_load(port, tokens, clients, clients * 4, declaration)
    failed = len(submitted.errors) + len(completed.errors)
    say(f"  warm-up: {len(submitted.outcomes)} submissions + {len(completed.outcomes)} completions "
        f"on {clients} connections in {time.perf_counter() - started:.1f} s ({failed} errors, not counted)")
    for phase in (submitted, completed):
        report_errors(phase)


# --- baseline -------------------------------------------------------------------------------


@dataclass
class Baseline:
    ops: int
    submit_s: float  # best total time for ops submissions
    complete_s: float

    def per_op_ms(self, phase: str) -> float:
        return (self.submit_s if phase == "submit" else self.complete_s) / self.ops * 1000

    def ops_per_s(self, phase: str) -> float:
        return self.ops / (self.submit_s if phase == "submit" else self.complete_s)


def run_baseline(requests: int, declaration: dict[str, Any]) -> Baseline:
    """The engine's work for both phases, in-process, no HTTP, no database; best of a few rounds."""
    from engine.package import read_package
    from engine.runtime import Engine

    engine = Engine()
    procedure = engine.load(read_package(REPO / "bpmn" / "khai-sinh"))

    def submit_all() -> list[str]:
        return [engine.serialize(engine.start(procedure, declaration)[0]) for _ in range(requests)]

    def complete_all(states: list[str]) -> None:
        for state in states:
            instance = engine.deserialize(procedure, state)
            (task,) = engine.ready_tasks(instance, lane="tiep_nhan")
            advance = engine.complete(instance, task.id, INTAKE)
            assert advance.failure is None and instance.status == 4, advance
            engine.serialize(instance)

    complete_all(submit_all()[:3])  # warm-up: caches, lazy imports
    best_submit = best_complete = float("inf")
    for _ in range(BASELINE_ROUNDS):
        started = time.perf_counter()
        states = submit_all()
        middle = time.perf_counter()
        complete_all(states)
        ended = time.perf_counter()
        best_submit, best_complete = min(best_submit, middle - started), min(best_complete, ended - middle)
    return Baseline(requests, best_submit, best_complete)


# --- report ---------------------------------------------------------------------------------


def report_phase(phase: PhaseResult) -> None:
    say(f"  C={phase.clients:<3} {phase.name:<9} {len(phase.outcomes):5d} req in {phase.wall:6.2f} s  "
        f"{phase.throughput:7.1f} req/s  p50 {phase.latency_ms(50):7.1f} ms  p95 {phase.latency_ms(95):7.1f} ms  "
        f"mean {phase.mean_ms:7.1f} ms  max {phase.latency_ms(100):7.1f} ms  errors {len(phase.errors)}"
        + (f"  (reconnects {phase.reconnects})" if phase.reconnects else ""))
    report_errors(phase)


def report_errors(phase: PhaseResult) -> None:
    kinds = Counter((o.status, o.error) for o in phase.errors)
    for (status, code), count in kinds.most_common():
        say(f"      ERROR {count} x status {status} {code}")
        bodies = dict.fromkeys(o.body.strip()[:300].decode("utf-8", errors="replace") or "(no body)"
                               for o in phase.errors if (o.status, o.error) == (status, code))
        for body in list(bodies)[:ERROR_EXAMPLES]:  # distinct bodies only
            say(f"        {body}")


def ratio_rows(results: list[PhaseResult], baseline: Baseline) -> list[list[str]]:
    rows = []
    for phase in results:
        per_request_ms = phase.clients / phase.throughput * 1000 if phase.throughput else float("inf")
        rows.append([
            str(phase.clients), phase.name, f"{phase.throughput:.1f}", f"{phase.latency_ms(50):.1f}",
            f"{phase.latency_ms(95):.1f}", f"{per_request_ms:.1f}", str(len(phase.errors)),
            f"{per_request_ms / baseline.per_op_ms(phase.name):.1f}x",
            f"{phase.throughput / baseline.ops_per_s(phase.name):.2f}x",
        ])
    return rows


def markdown_table(header: list[str], rows: list[list[str]], text_columns: int = 2) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, ["-" * w for w in widths], *rows]
    def cell(index: int, text: str, width: int) -> str:  # text columns to the left, numbers to the right
        return text.ljust(width) if index < text_columns else text.rjust(width)

    return "\n".join("| " + " | ".join(cell(i, t, w) for i, (t, w) in enumerate(zip(line, widths, strict=True)))
                     + " |" for line in lines)


def report_summary(args: argparse.Namespace, results: list[PhaseResult], baseline: Baseline) -> None:
    say("== HTTP+DB overhead against the in-process engine (per request = C / throughput = mean latency)")
    rows = ratio_rows(results, baseline)
    for row in rows:
        say(f"  C={row[0]:<3} {row[1]:<9} per request {row[5]:>7} ms = {row[7]:>7} baseline;  "
            f"throughput {row[2]:>7} req/s = {row[8]:>6} baseline")
    say()
    say("== summary")
    say(f"command: {shlex.join(sys.orig_argv)}")
    say(f"gunicorn workers: {args.workers} (gthread, 4 threads each); os.cpu_count(): {os.cpu_count()}; "
        f"PostgreSQL: {make_url(args.database_url).render_as_string(hide_password=True)}")
    say(f"baseline (in-process Engine, no HTTP, no database, 1 thread, best of {BASELINE_ROUNDS}, "
        f"{baseline.ops} ops): submit {baseline.ops_per_s('submit'):.0f} ops/s = "
        f"{baseline.per_op_ms('submit'):.2f} ms/op; complete {baseline.ops_per_s('complete'):.0f} ops/s = "
        f"{baseline.per_op_ms('complete'):.2f} ms/op")
    say(markdown_table(["C", "phase", "req/s", "p50 ms", "p95 ms", "per req ms", "errors", "latency x", "thr x"],
                       rows))


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,4,16", help="comma-separated client counts (default 1,4,16)")
    parser.add_argument("--requests", type=int, default=200, help="requests per phase and client count (default 200)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"SQLAlchemy URL (default {DEFAULT_URL})")
    args = parser.parse_args(argv)
    try:
        args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        parser.error("--clients takes whole numbers separated by commas, e.g. 1,4,16")
    if not args.client_counts or min(args.client_counts) < 1:
        parser.error("--clients needs at least one count, each at least 1")
    if args.requests < 1 or args.workers < 1:
        parser.error("--requests and --workers must be at least 1")
    return args


def bench(args: argparse.Namespace, data_dir: Path) -> None:
    declaration = json.loads(SAMPLE.read_text("utf-8"))
    env = {**os.environ, "MOTCUA_DATABASE_URL": args.database_url, "MOTCUA_DATA_DIR": str(data_dir),
           "MOTCUA_SECRET_KEY": secrets.token_urlsafe(48)}  # gunicorn refuses to start without one
    env.pop("MOTCUA_LIBRARY", None)  # the repository's own library
    say(f"-- database {make_url(args.database_url).render_as_string(hide_password=True)} (reset)")
    prepare_database(args.database_url)
    say("-- preparing with the product's CLI")
    tokens = prepare_product(env)
    say(f"-- gunicorn, {args.workers} workers, os.cpu_count() = {os.cpu_count()}")
    results: list[PhaseResult] = []
    with gunicorn(env, args.workers, data_dir / "gunicorn.log") as server:
        say(f"  listening on 127.0.0.1:{server.port}, log {server.log}")
        warm_up(server.port, tokens, args.workers, declaration)
        for clients in args.client_counts:
            say(f"-- {clients} client(s), {args.requests} requests per phase")
            for phase in run_load(server.port, tokens, clients, args.requests, declaration):
                report_phase(phase)
                results.append(phase)
        if server.process.poll() is not None:
            raise BenchError(f"gunicorn died during the run; log tail:\n{server.log_tail()}")
    say(f"-- baseline: in-process engine, {args.requests} ops per phase, best of {BASELINE_ROUNDS}")
    baseline = run_baseline(args.requests, declaration)
    for phase in ("submit", "complete"):
        say(f"  {phase:<9} {baseline.ops_per_s(phase):7.1f} ops/s  {baseline.per_op_ms(phase):6.2f} ms/op")
    say()
    report_summary(args, results, baseline)


def _terminate(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through every finally: gunicorn is stopped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
            bench(args, Path(tmp))
    except BenchError as err:
        print(f"bench_http: error: {err}", file=sys.stderr, flush=True)
        return err.status
    except KeyboardInterrupt:
        print("bench_http: interrupted; gunicorn stopped", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
