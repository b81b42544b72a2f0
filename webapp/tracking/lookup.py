"""Public lookup by dossier code and a second factor, with a guessing limit kept in the database.

A wrong code and a wrong second factor are indistinguishable to the caller, and failures are
counted per code whether it exists or not, so the lookup reveals nothing about which codes exist.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine.bindings import Bindings
from webapp.accounts.models import Account
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.tracking.models import LookupThrottle

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


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


def find(code: str, factor: str, *, now: datetime) -> Outcome:
    """The dossier when code and factor match; otherwise count a failure. The caller commits."""
    key = _key(code)
    throttle = db.session.get(LookupThrottle, key)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        return Outcome(locked_until=throttle.locked_until)
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code.strip()))
    expected = second_factor(dossier) if dossier is not None else None
    # Compare even without a dossier, so both failures take the same path.
    if hmac.compare_digest((expected or "----").encode(), factor.encode()) and expected is not None:
        if throttle is not None:
            db.session.delete(throttle)
        return Outcome(dossier=dossier)
    return Outcome(locked_until=_fail(key, now))


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
