"""Background jobs end to end, and what enqueueing adds to a request (``make bench-jobs``; not a test).

What it does, in one run:
  1. prepares a database (default: PostgreSQL ``motcua_bench_jobs``, created if missing and
     emptied; ``--database-url sqlite:///...`` works too) and uses a Redis broker
     (default ``redis://127.0.0.1:6379/13``; its ``celery`` queue is purged);
  2. baseline: the same N probe jobs run in this process, without broker or worker
     (the job, then recording its end in the outbox, one transaction per job; workers gather
     their marks into fewer transactions, webapp/outbox/marks.py, so they can beat it);
  3. for W = 1, 2, 4 worker processes (one ``celery worker --concurrency W``, prefork):
     N ``jobs.probe`` rows are committed to the outbox at once, then the clock runs while this
     process relays them (outbox -> Redis) and the workers run them and mark them done, until
     every row is done; jobs/s = N / that time;
  4. the enqueue cost added to an HTTP request: two GET routes (no CSRF token to fetch) that do the same work (write an
     audit row, commit), one also enqueueing a job, which the process's hand-over thread sends to Redis
     after the commit (webapp/outbox/handover.py), called alternately through the WSGI stack in this
     process; medians per request, each timed from a quiet hand-over thread (the publish, printed
     apart, is work the process still does, just not while the client waits).

How to read it: "x base" = jobs/s over the in-process baseline; "x 1 worker" = over one
worker process. On a machine with fewer cores than processes, extra workers only queue.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.bench_support import fresh_postgres_database  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.audit.service import record  # noqa: E402
from webapp.cli import upgrade_database  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.outbox import health  # noqa: E402
from webapp.outbox.handover import hand_over  # noqa: E402
from webapp.outbox.models import OutboxMessage  # noqa: E402
from webapp.outbox.service import enqueue, mark_completed, relay  # noqa: E402
from webapp.outbox.tasks import probe  # noqa: E402
from webapp.settings import Settings  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://motcua:motcua@127.0.0.1:5432/motcua_bench_jobs"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def say(text: str = "") -> None:
    print(text, flush=True)


def open_jobs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.completed_at.is_(None))) or 0


def add_probes(n: int) -> list[int]:
    rows = [enqueue("jobs.probe") for _ in range(n)]
    db.session.commit()
    return [row.id for row in rows]


def baseline(n: int) -> float:
    ids = add_probes(n)
    started = time.perf_counter()
    for outbox_id in ids:
        probe.run(outbox_id=outbox_id)
        mark_completed(outbox_id)
    return n / (time.perf_counter() - started)


def end_to_end(n: int, timeout: float) -> float:
    add_probes(n)
    started = time.perf_counter()
    while True:
        sent = relay(limit=500)
        if not sent:
            if open_jobs() == 0:
                return n / (time.perf_counter() - started)
            time.sleep(0.01)
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"timed out: {open_jobs()} of {n} jobs still open after {timeout:.0f} s")


def start_workers(env: dict[str, str], processes: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "webapp.worker", "worker", "--pool", "prefork", "--concurrency",
             str(processes), "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
            env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)


def request_cost(app, rounds: int) -> tuple[float, float, float]:  # noqa: ANN001
    """Median ms of the same request without and with an enqueue, and of the broker publish of
    that job (done by the hand-over thread, no longer inside the request)."""

    @app.get("/bench/plain")
    def plain() -> str:
        record("bench.request", actor_id=None)
        db.session.commit()
        return "ok"

    @app.get("/bench/enqueue")
    def with_job() -> str:
        record("bench.request", actor_id=None)
        enqueue("jobs.probe")
        db.session.commit()
        return "ok"

    client = app.test_client()
    times: dict[str, list[float]] = {"plain": [], "enqueue": [], "publish": []}
    celery = app.extensions["celery"]
    publish = celery.send_task

    def timed_publish(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        started = time.perf_counter()
        try:
            return publish(*args, **kwargs)
        finally:
            times["publish"].append((time.perf_counter() - started) * 1000)

    celery.send_task = timed_publish
    for i in range(rounds + 50):
        for name in ("plain", "enqueue") if i % 2 else ("enqueue", "plain"):
            started = time.perf_counter()
            response = client.get(f"/bench/{name}")
            took = time.perf_counter() - started
            response.close()
            assert response.status_code == 200, response.status_code
            # Outside the clock: the thread's publish must not land on the next request's time.
            hand_over.wait()
            if i >= 50:  # warm-up
                times[name].append(took * 1000)
    celery.send_task = publish
    return (statistics.median(times["plain"]), statistics.median(times["enqueue"]),
            statistics.median(times["publish"][50:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per measurement (default 2000)")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts (default 1,2,4)")
    parser.add_argument("--requests", type=int, default=500, help="requests per route (default 500)")
    parser.add_argument("--database-url", default=os.environ.get("MOTCUA_BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis", default=os.environ.get("MOTCUA_BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-jobs-"))
    fresh_postgres_database(args.database_url)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MOTCUA_DATA_DIR": str(data_dir),
           "MOTCUA_DATABASE_URL": args.database_url, "MOTCUA_BROKER_URL": args.redis,
           "MOTCUA_SECRET_KEY": secrets.token_urlsafe(48)}  # the workers refuse to start without one
    app = create_app(settings=Settings.from_env(env))
    upgrade_database(app)
    say(f"database {make_url(args.database_url).render_as_string(hide_password=True)}, broker {args.redis}, "
        f"{os.cpu_count()} cores, {args.jobs} jobs per run")
    with app.app_context():
        app.extensions["celery"].control.purge()
        base = baseline(args.jobs)
        say(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes share the machine)")
        say(f"{'in-process baseline (no broker, no worker)':<44} {base:8.0f} jobs/s")
        one = None
        for count in (int(w) for w in args.workers.split(",")):
            worker = start_workers(env, count, data_dir / "worker.log")
            try:
                if health.probe(60) is None:
                    raise SystemExit(f"the workers did not start; see {data_dir / 'worker.log'}")
                rate = end_to_end(args.jobs, args.timeout)
            finally:
                worker.terminate()
                worker.wait(timeout=60)
            one = one or rate
            say(f"{f'end to end, {count} worker process(es)':<44} {rate:8.0f} jobs/s   "
                f"x base {rate / base:5.2f}   x 1 worker {rate / one:5.2f}")
        plain, with_job, publish = request_cost(app, args.requests)
        app.extensions["celery"].control.purge()
    say(f"request without enqueue (median)             {plain:8.3f} ms")
    say(f"request with enqueue (median)                {with_job:8.3f} ms   added {with_job - plain:6.3f} ms "
        f"(x {with_job / plain:4.2f})")
    say(f"Redis publish in the hand-over thread        {publish:8.3f} ms   (after the response, not in it)")
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
