"""Dossier codes: receiving unit, day and a daily sequence, unique under concurrency.

The format is configurable (MOTCUA_DOSSIER_CODE) because the national rule changed over
time: ``{unit}-{date:%y%m%d}-{seq:04d}`` (older) or ``{unit}-{date:%Y%m%d}-{seq:07d}``.
The sequence row is incremented with UPDATE ... RETURNING inside the submitting
transaction, so two submissions never get the same number and a rolled-back one gives its
number back.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from webapp.accounts.models import Unit
from webapp.dossiers.models import DossierCodeCounter
from webapp.extensions import db


def next_code(unit: Unit, day: date, code_format: str) -> str:
    return code_format.format(unit=unit.code, date=day, seq=_next_sequence(unit.id, day))


def _next_sequence(unit_id: int, day: date) -> int:
    bump = (
        sa.update(DossierCodeCounter)
        .where(DossierCodeCounter.unit_id == unit_id, DossierCodeCounter.day == day)
        .values(last=DossierCodeCounter.last + 1)
        .returning(DossierCodeCounter.last)
        .execution_options(synchronize_session=False)
    )
    seq = db.session.execute(bump).scalar()
    if seq is not None:
        return seq
    try:
        with db.session.begin_nested():  # first dossier of the day for this unit
            db.session.add(DossierCodeCounter(unit_id=unit_id, day=day, last=1))
        return 1
    except IntegrityError:  # another submission created the row first
        seq = db.session.execute(bump).scalar()
        assert seq is not None
        return seq
