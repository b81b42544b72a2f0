"""Public lookup by dossier code and a second factor, with guessing limits kept in the database.

A wrong code and a wrong second factor are indistinguishable to the caller, and failures are
counted whether the code exists or not, so the lookup reveals nothing about which codes exist.

Three limits, so that someone else's wrong tries do not lock the owner out:
- one client on one code: 5 wrong tries lock that client out of that code (15 min, doubling);
- one client on any codes: 20 wrong tries lock that client out of the lookup;
- one code from everywhere: 50 wrong tries in a day lock the code for everyone (the 4 digits
  would otherwise fall to many addresses guessing together); the owner still sees the dossier by
  signing in with the national identity.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine.bindings import Bindings
from webapp.accounts import throttle as attempts
from webapp.accounts.models import Account
from webapp.accounts.throttle import Policy
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.tracking.models import LookupThrottle

MAX_FAILURES = 50  # one code, from every client together
WINDOW = timedelta(days=1)
LOCKOUT = timedelta(hours=1)
CODE_FROM_CLIENT = Policy("lookup:code-client", max_failures=5, window=timedelta(minutes=15),
                          first_lock=timedelta(minutes=15))
CLIENT = Policy("lookup:client", max_failures=20, window=timedelta(minutes=15), first_lock=timedelta(minutes=15))


@dataclass(frozen=True)
class Outcome:
    dossier: Dossier | None = None
    locked_until: datetime | None = None


def _key(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


def second_factor(dossier: Dossier) -> str | None:
    """Last 4 digits of the phone given for the result (as notifications use it), else of the identity number."""
    phone = Bindings.for_metadata(dossier.procedure_version.meta).text(dossier.form_data, "contact_phone")
    digits = "".join(ch for ch in str(phone or "") if ch.isascii() and ch.isdigit())
    if not digits:
        digits = db.session.scalar(sa.select(Account.identity_number).where(Account.id == dossier.applicant_id)) or ""
    return digits[-4:] if len(digits) >= 4 else None


def find(code: str, factor: str, *, client: str, now: datetime) -> Outcome:
    """The dossier when code and factor match; otherwise count a failure. The caller commits."""
    key = _key(code)
    pair = f"{key}|{client}"
    for policy, value in ((CLIENT, client), (CODE_FROM_CLIENT, pair)):
        until = attempts.locked_until(policy, value, now=now)
        if until is not None:
            return Outcome(locked_until=until)
    throttle = db.session.get(LookupThrottle, key)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        return Outcome(locked_until=throttle.locked_until)
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code.strip()))
    expected = second_factor(dossier) if dossier is not None else None
    # Compare even without a dossier, so both failures take the same path.
    if hmac.compare_digest((expected or "----").encode(), factor.encode()) and expected is not None:
        if throttle is not None:
            db.session.delete(throttle)
        attempts.succeed(CODE_FROM_CLIENT, pair)
        return Outcome(dossier=dossier)
    locks = [attempts.fail(CLIENT, client, now=now), attempts.fail(CODE_FROM_CLIENT, pair, now=now), _fail(key, now)]
    return Outcome(locked_until=max((lock for lock in locks if lock is not None), default=None))


def _fail(key: str, now: datetime) -> datetime | None:
    """Count one failure; the time until which the code is locked once there are too many."""
    throttle = db.session.get(LookupThrottle, key)
    if throttle is None:
        try:
            db.session.add(LookupThrottle(code_hash=key, failures=1, window_started_at=now))
            db.session.flush()
            return None
        except IntegrityError:  # another process counted the first failure at the same moment
            db.session.rollback()  # a lookup writes nothing else
            throttle = db.session.get(LookupThrottle, key)
    assert throttle is not None
    if throttle.window_started_at <= now - WINDOW:
        throttle.failures, throttle.window_started_at, throttle.locked_until = 1, now, None
        return None
    # Increment in SQL, so concurrent failures all count.
    db.session.execute(sa.update(LookupThrottle).where(LookupThrottle.code_hash == key)
                       .values(failures=LookupThrottle.failures + 1).execution_options(synchronize_session=False))
    db.session.refresh(throttle)
    if throttle.failures >= MAX_FAILURES:
        throttle.locked_until = now + LOCKOUT
        return throttle.locked_until
    return None
