"""Claiming due BPMN timers costs what is due, not what is waiting (not a test).

Fills ``timer_schedule`` on a scratch SQLite database with N waiting timers (due next month)
plus 100 due ones, and times one beat tick (``claim_due``: the conditional UPDATE ... RETURNING
and the outbox rows) for several N. Prints milliseconds per tick and the ratio against the
smallest N: near 1 means beat never reads the waiting timers.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from webapp import create_app
from webapp.cli import upgrade_database
from webapp.extensions import db
from webapp.models import utcnow
from webapp.outbox.models import OutboxMessage
from webapp.settings import Settings
from webapp.timers import service as timers
from webapp.timers.models import TimerDue

DUE = 100


def tick_ms(waiting: int, rounds: int) -> float:
    best = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"MOTCUA_DATA_DIR": folder, "MOTCUA_SECRET_KEY": secrets.token_urlsafe(48),
                                      "MOTCUA_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.db'}"})
        app = create_app({"TESTING": True}, settings=settings)
        upgrade_database(app)
        with app.app_context():
            now = utcnow()
            table = TimerDue.__table__
            rows = [{"dossier_id": i, "kind": "bpmn_timer", "due_at": now + timedelta(days=30), "claims": 0}
                    for i in range(1, waiting + 1)]
            db.session.execute(sa.insert(table), rows)  # dossier ids only: SQLite does not check them here
            db.session.commit()
            for _ in range(rounds):
                db.session.execute(sa.delete(table).where(table.c.dossier_id > waiting))
                db.session.execute(sa.delete(OutboxMessage.__table__))
                db.session.execute(sa.insert(table), [
                    {"dossier_id": waiting + i, "kind": "bpmn_timer", "due_at": now - timedelta(minutes=1),
                     "claims": 0} for i in range(1, DUE + 1)])
                db.session.commit()
                started = time.perf_counter()
                claimed = timers.claim_due(limit=DUE)
                db.session.commit()  # the beat job commits the claims with their jobs
                best = min(best, (time.perf_counter() - started) * 1000)
                assert len(claimed) == DUE
            db.engine.dispose()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="waiting timers, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results = {size: tick_ms(size, args.rounds) for size in sizes}
    base = results[sizes[0]]
    print(f"one beat tick claiming {DUE} due timers (best of {args.rounds}, SQLite):")
    for size, ms in results.items():
        print(f"  {size:>8} waiting: {ms:7.1f} ms  ({ms / base:.2f}x)")


if __name__ == "__main__":
    main()
