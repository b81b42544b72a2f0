"""What the benchmark scripts share: a PostgreSQL database of their own, emptied for each run."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url


def fresh_postgres_database(url: str) -> None:
    """Create the database ``url`` names if it is missing, then empty it (PostgreSQL only)."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}" ENCODING \'UTF8\' TEMPLATE template0'))
    admin.dispose()
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@dataclass(frozen=True)
class Province:
    """A benchmark's seeded database: communes to spread dossiers over, the khai-sinh version, a citizen."""

    units: list[int]
    version_id: int
    applicant: int


def seeded_app(database_url: str, name: str, *, communes: int) -> tuple[Flask, Province]:
    """An app on a fresh PostgreSQL database with the demo data, the library and ``communes`` communes."""
    from webapp import create_app
    from webapp.accounts.models import Account, Unit
    from webapp.cli import upgrade_database
    from webapp.demo import seed
    from webapp.extensions import db
    from webapp.procedures.service import load_library, published_version
    from webapp.settings import Settings

    fresh_postgres_database(database_url)
    data_dir = Path(tempfile.mkdtemp(prefix=f"motcua-bench-{name}-"))
    app = create_app(settings=Settings.from_env({"MOTCUA_DATABASE_URL": database_url,
                                                 "MOTCUA_DATA_DIR": str(data_dir),
                                                 "MOTCUA_SECRET_KEY": secrets.token_urlsafe(48)}))
    upgrade_database(app)
    with app.app_context():
        seed()
        load_library(Path(app.config["MOTCUA_LIBRARY"]), actor_id=None)
        home = db.session.scalar(sa.select(Unit).where(Unit.code == "H41.01.01"))
        extra = [Unit(code=f"H41.90.{i:02d}", name=f"UBND xã thử {i}", kind="commune", parent_id=home.parent_id)
                 for i in range(communes - 1)]
        db.session.add_all(extra)
        db.session.commit()
        province = Province(units=[home.id, *(u.id for u in extra)], version_id=published_version("khai-sinh").id,
                            applicant=db.session.scalar(sa.select(Account.id).where(Account.username == "an")))
    return app, province
