"""What the benchmark scripts share: a PostgreSQL database of their own, emptied for each run."""

from __future__ import annotations

import sqlalchemy as sa
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
