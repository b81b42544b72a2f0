"""The service-quality statistics job on a busy province's month, on PostgreSQL (not a test).

Fills a database of its own with N dossiers (default 200,000) filed a year earlier, then N filed in
one month across 60 communes: 80% given a result (a fifth of them late), 30% asked for a fee (two thirds paid online),
70% with a signed result, 10% rated. Then times ``quality.compute`` for that month against a
baseline in the same run: streaming the same dossiers' own columns with no per-dossier facts.
It does both at N/10 first, so the ratio shows how the job scales.

    .venv/bin/python scripts/bench_quality.py [--dossiers 200000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.bench_support import seeded_app  # noqa: E402
from webapp.dossiers.models import Dossier  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.reports import service as quality  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://motcua:motcua@127.0.0.1:5432/motcua_bench_quality"
COMMUNES = 60
MONTH = "2026-06"
HISTORY = 50_000_000  # numbers of the earlier dossiers


def say(text: str = "") -> None:
    print(text, flush=True)


def add_dossiers(first: int, last: int, version_id: int, applicant: int, units: list[int],
                 month_start: str = "2026-06-01", still_open: bool = True) -> None:
    """Dossiers first..last-1 filed during the month, with their results, fees, documents and ratings."""
    params = {"first": first, "last": last, "version": version_id, "applicant": applicant,
              "units": units, "n_units": len(units), "month_start": f"{month_start} 08:00+07",
              "open": still_open}
    bench = ("d.code >= 'Q-' || lpad(CAST(:first AS text), 8, '0') "
             "AND d.code < 'Q-' || lpad(CAST(:last AS text), 8, '0')")
    statements = [
        """INSERT INTO dossiers (code, procedure_version_id, applicant_id, submitted_by_id, receiving_unit_id,
                                 handling_unit_id, channel, status, submitted_at, received_at, due_at, finished_at,
                                 form_data, state, version)
           SELECT 'Q-' || lpad(i::text, 8, '0'), :version, :applicant, :applicant,
                  (:units)[1 + i % :n_units], (:units)[1 + i % :n_units], CASE WHEN i % 3 = 0 THEN 1 ELSE 2 END,
                  CASE WHEN i % 5 = 0 AND :open THEN 4 ELSE 10 END, s, s, s + interval '3 days',
                  CASE WHEN i % 5 = 0 AND :open THEN NULL ELSE s + interval '4 days' END, '{}'::json, '', 1
           FROM generate_series(:first, :last - 1) AS i,
                LATERAL (SELECT CAST(:month_start AS timestamptz) + (i % 600) * interval '1 hour' AS s) AS t""",
        # The result: on time for most, two days late for every fourth one.
        f"""INSERT INTO step_records (dossier_id, at, kind, status)
            SELECT d.id, d.submitted_at + CASE WHEN d.id % 4 = 0 THEN interval '5 days' ELSE interval '2 days' END,
                   'status', 9 FROM dossiers d WHERE d.status = 10 AND {bench}""",
        f"""INSERT INTO step_records (dossier_id, at, kind, status)
            SELECT d.id, d.submitted_at, 'status', 6 FROM dossiers d WHERE d.id % 10 < 3 AND {bench}""",
        f"""INSERT INTO payments (dossier_id, due_task_id, element_id, fee_key, amount, txn_ref, state,
                                  requested_by_id, created_at)
            SELECT d.id, 't', 'e', 'le_phi', 8000, 'Q' || d.id,
                   CASE WHEN d.id % 10 < 2 THEN 'paid' ELSE 'requested' END, :applicant, d.submitted_at
            FROM dossiers d WHERE d.id % 10 < 3 AND {bench}""",
        f"""INSERT INTO documents (dossier_id, component, filename, content_type, size, sha256, storage_key,
                                   uploaded_by_id, uploaded_at)
            SELECT d.id, 'ket_qua', 'kq.pdf', 'application/pdf', 1, md5(d.code) || md5(d.code), d.code,
                   :applicant, d.submitted_at FROM dossiers d WHERE d.status = 10 AND d.id % 8 <> 0 AND {bench}""",
        f"""INSERT INTO dossier_ratings (dossier_id, account_id, score, created_at, updated_at)
            SELECT d.id, :applicant, 1 + d.id % 5, d.finished_at, d.finished_at FROM dossiers d
            WHERE d.status = 10 AND d.id % 10 = 0 AND {bench}""",
    ]
    for statement in statements:
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("dossiers", "step_records", "payments", "documents", "dossier_ratings"):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))


def baseline(month: quality.Month) -> int:
    """Stream the month's dossiers' own columns: what any statistics must at least read."""
    query = (sa.select(Dossier.handling_unit_id, Dossier.channel, Dossier.status, Dossier.submitted_at,
                       Dossier.received_at, Dossier.due_at, Dossier.finished_at)
             .where(Dossier.submitted_at < month.end,
                    sa.or_(Dossier.finished_at.is_(None), Dossier.finished_at >= month.start))
             .execution_options(yield_per=quality.STREAM_BATCH))
    return sum(1 for _ in db.session.execute(query))


def seconds(fn) -> float:  # noqa: ANN001
    started = time.perf_counter()
    fn()
    took = time.perf_counter() - started
    db.session.rollback()
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=200_000)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    args = parser.parse_args()
    app, province = seeded_app(args.database_url, "quality", communes=COMMUNES)
    month = quality.Month.parse(MONTH)
    with app.app_context():
        units, version_id, applicant = province.units, province.version_id, province.applicant
        small = max(1, args.dossiers // 10)
        # A year of history before the month: the job must not read it.
        add_dossiers(HISTORY, HISTORY + args.dossiers, version_id, applicant, units, month_start="2025-06-01",
                     still_open=False)
        say(f"{'dossiers':>10}{'baseline s':>12}{'job s':>8}{'job/baseline':>14}{'dossiers/s':>12}")
        for first, last in ((0, small), (small, args.dossiers)):
            add_dossiers(first, last, version_id, applicant, units)
            seconds(lambda: baseline(month))  # warm the cache for both
            base = min(seconds(lambda: baseline(month)) for _ in range(3))
            job = min(seconds(lambda: quality.compute(MONTH)) for _ in range(3))
            say(f"{last:>10,}{base:>12.2f}{job:>8.2f}{job / base:>13.1f}x{last / job:>12,.0f}")
        quality.compute(MONTH)
        db.session.commit()
        figures = quality.province(MONTH).figures
        say()
        say(f"province, {MONTH}: filed {figures['ho_so_nop']:,}, on time {figures['dung_han']}, "
            f"online {figures['truc_tuyen']}, paid online {figures['thanh_toan_truc_tuyen']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
