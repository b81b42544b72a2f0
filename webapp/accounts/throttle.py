"""Failed attempts counted in the database, per account and per client, with an exponential lockout.

Officer sign-in and the public lookup count their failures here: in the database so that every
gunicorn worker (and every server) sees the same counts, on SQLite and PostgreSQL alike. Keys are
HMACs of ``scope:value`` under the secret key. A key collects ``max_failures`` failures, each less
than ``window`` after the previous one, and is then locked for ``first_lock``; every further failure
after a lock has ended locks it twice as long, up to ``longest_lock``. While a key is locked, nothing
is even tried (the right password too is refused) and nothing is counted, so hammering a locked key
does not lengthen its lock. A quiet ``window`` after the last failure forgets the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from webapp.accounts.models import AttemptThrottle
from webapp.extensions import db


@dataclass(frozen=True)
class Policy:
    scope: str
    max_failures: int
    window: timedelta
    first_lock: timedelta
    longest_lock: timedelta = timedelta(hours=1)

    def lock_for(self, failures: int) -> timedelta | None:
        over = failures - self.max_failures
        if over < 0:
            return None
        return min(self.first_lock * (2 ** min(over, 20)), self.longest_lock)


def key_of(policy: Policy, value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{policy.scope}:{value}".encode(), hashlib.sha256).hexdigest()


def locked_until(policy: Policy, value: str, *, now: datetime) -> datetime | None:
    """Until when ``value`` may not try again, or None."""
    row = db.session.get(AttemptThrottle, key_of(policy, value))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def fail(policy: Policy, value: str, *, now: datetime) -> datetime | None:
    """Count one failure (the caller commits); the end of the lock it starts, if it starts one."""
    key = key_of(policy, value)
    row = db.session.get(AttemptThrottle, key)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(AttemptThrottle(key=key, failures=0, last_failure_at=now))
        except IntegrityError:  # another process counted its first failure at the same moment
            pass
        row = db.session.get(AttemptThrottle, key)
        assert row is not None
    if row.last_failure_at <= now - policy.window and (row.locked_until is None or row.locked_until <= now):
        row.failures, row.locked_until = 0, None  # a quiet window: forgotten
        db.session.flush()
    # Increment in SQL, so that concurrent failures in other workers all count.
    db.session.execute(sa.update(AttemptThrottle).where(AttemptThrottle.key == key)
                       .values(failures=AttemptThrottle.failures + 1, last_failure_at=now)
                       .execution_options(synchronize_session=False))
    db.session.refresh(row)
    lock = policy.lock_for(row.failures)
    if lock is None:
        return None
    row.locked_until = now + lock
    return row.locked_until


def succeed(policy: Policy, value: str) -> None:
    """Forget ``value``'s failures (an account that signed in); the caller commits."""
    db.session.execute(sa.delete(AttemptThrottle).where(AttemptThrottle.key == key_of(policy, value)))
