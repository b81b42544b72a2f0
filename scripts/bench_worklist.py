"""The officer worklist with a province's worth of dossiers on PostgreSQL (not a test).

Fills a database of its own with N dossiers (default 1,000,000) across 60 communes, one work item
per dossier (10% still waiting, the rest done), then times ``list_work_items`` for a civil-status
officer of one commune: the first page, a later page, and a search by code. It first measures the
same queries at N/100 dossiers, so the ratio shows how the worklist scales, and prints the query
plan of the first page.

    .venv/bin/python scripts/bench_worklist.py [--dossiers 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.bench_support import seeded_app  # noqa: E402
from webapp.accounts import service as accounts  # noqa: E402
from webapp.accounts.models import Account  # noqa: E402
from webapp.dossiers import service  # noqa: E402
from webapp.extensions import db  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://motcua:motcua@127.0.0.1:5432/motcua_bench_worklist"
COMMUNES = 60
ROUNDS = 200


def say(text: str = "") -> None:
    print(text, flush=True)


def add_dossiers(first: int, last: int, version_id: int, applicant: int, units: list[int]) -> None:
    """Dossiers first..last-1 (set-based SQL: a million rows in a minute, not an hour)."""
    params = {"first": first, "last": last, "version": version_id, "applicant": applicant,
              "units": units, "n_units": len(units)}
    db.session.execute(sa.text("""
        INSERT INTO dossiers (code, procedure_version_id, applicant_id, submitted_by_id, receiving_unit_id,
                              handling_unit_id, channel, status, submitted_at, due_at, form_data, state, version)
        SELECT 'BENCH-' || lpad(i::text, 8, '0'), :version, :applicant, :applicant,
               (:units)[1 + i % :n_units], (:units)[1 + i % :n_units], 2,
               CASE WHEN i % 10 = 0 THEN 4 ELSE 10 END,
               now() - (i % 700) * interval '1 hour', now() + (i % 97 - 30) * interval '1 hour',
               '{}'::json, '', 1
        FROM generate_series(:first, :last - 1) AS i"""), params)
    db.session.execute(sa.text("""
        INSERT INTO work_items (dossier_id, task_id, element_id, name, lane, role, unit_id, state, entered_at, due_at)
        SELECT d.id, md5(d.code), 'tham_dinh_xu_ly', 'Thẩm định, xử lý', 'chuyen_vien_ho_tich',
               'chuyen_vien_ho_tich', d.handling_unit_id,
               CASE WHEN d.status = 4 THEN 'ready' ELSE 'done' END, d.submitted_at, d.due_at
        FROM dossiers d WHERE d.code >= 'BENCH-' || lpad(CAST(:first AS text), 8, '0')
                          AND d.code < 'BENCH-' || lpad(CAST(:last AS text), 8, '0')"""), params)
    db.session.commit()
    # What autovacuum does on a live database after a bulk load: statistics and the visibility map
    # (without it, counting a queue cannot stay in the index).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE dossiers"))
        conn.execute(sa.text("VACUUM ANALYZE work_items"))


def timed(fn, rounds: int = ROUNDS) -> tuple[float, float]:  # noqa: ANN001
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(officer) -> dict[str, tuple[float, float]]:  # noqa: ANN001
    def query(**kwargs):  # noqa: ANN003, ANN202
        rows, total = service.list_work_items(officer, **kwargs)
        db.session.rollback()
        return rows, total

    return {
        # What the officer's page asks: a page of 25, the count stopping after 1,000.
        "first page": timed(lambda: query(page=1, per_page=25, count_limit=1000)),
        "page 20": timed(lambda: query(page=20, per_page=25, count_limit=1000)),
        "search by code": timed(lambda: query(q="BENCH-0000", per_page=25, count_limit=1000)),
        # The JSON API counts exactly: the baseline the capped count is measured against.
        "exact count": timed(lambda: query(page=1, per_page=25)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    args = parser.parse_args()
    app, province = seeded_app(args.database_url, "worklist", communes=COMMUNES)
    with app.app_context():
        units, version_id, applicant = province.units, province.version_id, province.applicant
        officer = accounts.principal_for(db.session.scalar(sa.select(Account).where(Account.username == "hotich")))
        small = max(1, args.dossiers // 100)
        results = {}
        for size, (first, last) in ((small, (0, small)), (args.dossiers, (small, args.dossiers))):
            started = time.perf_counter()
            add_dossiers(first, last, version_id, applicant, units)
            say(f"{size:>9,} dossiers in the database ({time.perf_counter() - started:.0f} s to add)")
            results[size] = measure(officer)
            rows, total = service.list_work_items(officer, page=1, per_page=25)
            say(f"          officer 'hotich' (1 of {COMMUNES} communes) has {total:,} waiting steps")
            db.session.rollback()
        say()
        say(f"{'query':<16}{'p50 ms':>10}{'p95 ms':>10}   (at {small:,}: p50, p95; p95 ratio)")
        for name, (p50, p95) in results[args.dossiers].items():
            s50, s95 = results[small][name]
            say(f"{name:<16}{p50:>10.2f}{p95:>10.2f}   ({s50:.2f}, {s95:.2f}; x{p95 / s95:.2f})")
        say()
        say("plan of the first page:")
        query = service.worklist_query(officer, limit=25)
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        for line in db.session.execute(sa.text(f"EXPLAIN ANALYZE {compiled}")).scalars():
            say("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
