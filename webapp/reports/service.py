"""Compute a month's service-quality indicators into ``quality_snapshots`` and read them back.

The computation reads one row of facts per dossier that the month concerns (filed in it, given a
result in it, or open during it), streamed, so a month of a busy province costs the job memory
for the tallies only; pages never compute, they read the stored figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.calendar import VN_TZ
from engine.statuses import DossierStatus
from webapp.accounts.models import Unit
from webapp.dossiers.models import Document, Dossier, StepRecord
from webapp.extensions import db
from webapp.feedback.models import Rating
from webapp.models import utcnow
from webapp.payments.models import Payment
from webapp.reports.indicators import UNSATISFIED_MAX_SCORE, DossierFacts, tally_by_unit
from webapp.reports.models import PROVINCE_SCOPE, QualitySnapshot, unit_scope
from webapp.results.service import RESULT_COMPONENT

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
STREAM_BATCH = 1000


class PeriodError(ValueError):
    """A month that is not YYYY-MM, or one that has not begun."""


@dataclass(frozen=True)
class Month:
    period: str  # YYYY-MM
    start: datetime  # first instant, Vietnam time
    end: datetime  # first instant of the next month

    @classmethod
    def parse(cls, period: str) -> Month:
        match = PERIOD.match(period or "")
        if match is None:
            raise PeriodError(f"month must look like 2026-12, not {period[:20]!r}")
        year, month = int(match[1]), int(match[2])
        if year < 2000:
            raise PeriodError(f"month {period} is before the year 2000")
        start = datetime(year, month, 1, tzinfo=VN_TZ)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=VN_TZ)
        return cls(period, start, end)

    @classmethod
    def current(cls) -> Month:
        return cls.of(utcnow())

    @classmethod
    def of(cls, moment: datetime) -> Month:
        local = moment.astimezone(VN_TZ)
        return cls.parse(f"{local.year:04d}-{local.month:02d}")

    def previous(self) -> Month:
        year, month = (self.start.year, self.start.month - 1) if self.start.month > 1 else (self.start.year - 1, 12)
        return Month.parse(f"{year:04d}-{month:02d}")


def _facts(month: Month, cutoff: datetime) -> Iterator[DossierFacts]:
    result_at = (sa.select(sa.func.min(StepRecord.at))
                 .where(StepRecord.dossier_id == Dossier.id, StepRecord.kind == "status",
                        StepRecord.status.in_((DossierStatus.RESULT_READY, DossierStatus.RETURNED)))
                 .scalar_subquery())
    fee_due = sa.exists().where(StepRecord.dossier_id == Dossier.id, StepRecord.kind == "status",
                                StepRecord.status == DossierStatus.PAYMENT_REQUESTED)
    paid = sa.exists().where(Payment.dossier_id == Dossier.id, Payment.state == "paid")
    electronic = sa.exists().where(Document.dossier_id == Dossier.id, Document.component == RESULT_COMPONENT)
    unsatisfied = sa.exists().where(Rating.dossier_id == Dossier.id, Rating.score <= UNSATISFIED_MAX_SCORE)
    query = (sa.select(Dossier.handling_unit_id, Dossier.channel, Dossier.status, Dossier.submitted_at,
                       Dossier.received_at, Dossier.due_at, Dossier.finished_at, result_at.label("result_at"),
                       fee_due.label("fee_due"), paid.label("paid"), electronic.label("electronic"),
                       unsatisfied.label("unsatisfied"), Dossier.reused_data)
             .where(Dossier.submitted_at < cutoff,
                    sa.or_(Dossier.finished_at.is_(None), Dossier.finished_at >= month.start))
             .execution_options(yield_per=STREAM_BATCH))
    for row in db.session.execute(query):
        yield DossierFacts(unit_id=row.handling_unit_id, channel=row.channel, status=row.status,
                           submitted_at=row.submitted_at, received_at=row.received_at, due_at=row.due_at,
                           finished_at=row.finished_at, result_at=row.result_at, fee_due=bool(row.fee_due),
                           paid_online=bool(row.paid), electronic_result=bool(row.electronic),
                           rated_unsatisfied=bool(row.unsatisfied), reused_data=bool(row.reused_data))


def compute(period: str, *, now: datetime | None = None) -> int:
    """Replace the month's snapshot rows (the caller commits); returns how many were written.
    Safe to run twice: the second run writes the same figures again."""
    month = Month.parse(period)
    now = now or utcnow()
    if month.start > now:
        raise PeriodError(f"month {period} has not begun")
    cutoff = min(month.end, now)
    live = cutoff == now
    province, units = tally_by_unit(_facts(month, cutoff), start=month.start, cutoff=cutoff, live=live)
    db.session.execute(sa.delete(QualitySnapshot).where(QualitySnapshot.period == month.period))
    final = not live
    rows = [QualitySnapshot(period=month.period, scope=PROVINCE_SCOPE, unit_id=None, figures=province.figures(),
                            computed_at=now, final=final)]
    rows += [QualitySnapshot(period=month.period, scope=unit_scope(unit_id), unit_id=unit_id,
                             figures=tally.figures(), computed_at=now, final=final)
             for unit_id, tally in sorted(units.items())]
    db.session.add_all(rows)
    db.session.flush()  # two computations at once collide here, on the unique key
    return len(rows)


def refresh(*, now: datetime | None = None) -> list[str]:
    """Beat: this month's figures, and last month's once more if they were computed before it
    ended (so every month ends with final figures). Returns the months computed."""
    now = now or utcnow()
    this = Month.of(now)
    months = [this.period]
    last = this.previous()
    if not db.session.scalar(sa.select(QualitySnapshot.final).where(
            QualitySnapshot.period == last.period, QualitySnapshot.scope == PROVINCE_SCOPE)):
        months.insert(0, last.period)
    for period in months:
        compute(period, now=now)
    return months


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    snapshot: QualitySnapshot


def province(period: str) -> QualitySnapshot | None:
    return db.session.scalar(sa.select(QualitySnapshot).where(
        QualitySnapshot.period == period, QualitySnapshot.scope == PROVINCE_SCOPE))


def units(period: str, *, page: int, per_page: int) -> tuple[list[UnitRow], int]:
    """The month's units, by name, a page at a time, and how many there are."""
    condition = sa.and_(QualitySnapshot.period == period, QualitySnapshot.unit_id.is_not(None))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(QualitySnapshot).where(condition)) or 0
    rows = db.session.execute(
        sa.select(Unit, QualitySnapshot).join(QualitySnapshot, QualitySnapshot.unit_id == Unit.id)
        .where(condition).order_by(Unit.name, Unit.id).limit(per_page).offset((page - 1) * per_page)).all()
    return [UnitRow(unit, snapshot) for unit, snapshot in rows], total


def months() -> list[str]:
    """Months with figures, newest first."""
    return list(db.session.scalars(sa.select(QualitySnapshot.period).where(
        QualitySnapshot.scope == PROVINCE_SCOPE).order_by(QualitySnapshot.period.desc()).limit(36)))
