"""Working-day calendar for Vietnamese administrative deadlines.

Why this module exists: legal processing times for public-service dossiers
("thủ tục hành chính") are expressed in *working* days or hours, so every
deadline the engine shows to a citizen or an officer must skip weekends,
public holidays and province-declared days off, and must respect office hours.

Working days
    Monday to Friday, except Vietnamese public holidays (taken from the
    maintained ``holidays`` library, including its observed / substituted days
    off) and ``extra_days_off``.  A weekend day becomes a working day if it is
    in ``make_up_working_days`` or the library records it as a make-up working
    Saturday (e.g. 2026-08-22, worked in exchange for 2026-08-31 off).
    ``extra_days_off`` always wins.  Note: the library has no VN holidays
    after 2100; dates beyond that only skip weekends.

Working time
    The union of ``working_hours`` periods on working days (default
    07:30-11:30 and 13:30-17:00).  Intervals are half-open ``[start, end)``.

``due_at(received, amount, unit, cutoff=None, pauses=())``
    * Clock start: if ``received`` is not on a working day, or is at or after
      the close of its working day, or ``cutoff`` is given and
      ``received.time() >= cutoff`` (the 15:00 rule: late dossiers count from
      the next working day), the clock starts at the opening of the next
      working day.  Before opening on a working day it starts at that day's
      opening; otherwise it starts at ``received`` itself.
    * ``"working_days"``: ``amount == 0`` ("same day") is due at the close of
      the start day; ``amount == N >= 1`` is due at the close of the N-th
      working day after the start day (the start day is not counted).
      Example: received Mon 09:00, 1 working day -> Tue 17:00.
    * ``"working_hours"``: ``add_working_seconds(clock_start, amount * 3600)``.
    * ``pauses``: ``(start, end)`` intervals during which the clock is stopped
      (e.g. waiting for the citizen to supplement the dossier).  Overlapping
      pauses are merged, each is clipped to ``[clock_start, +inf)``, and the
      deadline is pushed by the working time they contain:
      ``add_working_seconds(due_unpaused, paused_working_seconds)``.  A pause
      whose end is before its start raises ``ValueError``.

Time zones
    Naive datetimes are local Vietnam time.  Aware datetimes are converted to
    ``Asia/Ho_Chi_Minh`` and results are returned aware in that zone.  Mixing
    naive and aware datetimes in one call raises ``ValueError``.

Performance
    Long spans advance whole days at a time (never minute by minute), and the
    holiday table is built once per year and cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

__all__ = ["VN_TZ", "DurationUnit", "WorkingCalendar"]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DurationUnit = Literal["working_days", "working_hours"]
Period = tuple[time, time]

DEFAULT_WORKING_HOURS: tuple[Period, ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


# --------------------------------------------------------------------------
# Holiday data (cached per year: building the table costs ~0.5 ms per year)
# --------------------------------------------------------------------------


@cache
def _library_year(year: int) -> holidays.HolidayBase:
    """Build the library's VN table for one year; cached because it is reused."""
    return holidays.country_holidays("VN", years=year)


@cache
def _public_holidays(year: int) -> frozenset[date]:
    """VN public holidays (incl. observed/substituted days off) of one year."""
    return frozenset(d for d in _library_year(year) if d.year == year)


@cache
def _library_weekend_workdays(year: int) -> frozenset[date]:
    """Weekend days the government swapped into working days in ``year``.

    The library may register a swap in the table of the following year
    (e.g. work on Sat 2014-12-27 for Fri 2015-01-02 off), so both are read.
    """
    swaps: set[date] = set()
    for table in (_library_year(year), _library_year(year + 1)):
        swaps |= getattr(table, "weekend_workdays", set())  # attribute absent in old releases
    return frozenset(d for d in swaps if d.year == year)


# --------------------------------------------------------------------------
# Input validation and parsing helpers
# --------------------------------------------------------------------------


def _check_date(d: date) -> None:
    """Reject datetimes: a datetime never equals a date, so set lookups would silently miss."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def _validate_periods(periods: tuple[Period, ...]) -> None:
    """Ensure working periods are naive, non-empty, ordered and non-overlapping."""
    if not periods:
        raise ValueError("working_hours must contain at least one period")
    previous_end: time | None = None
    for start, end in periods:
        if not isinstance(start, time) or not isinstance(end, time):
            raise TypeError("working_hours periods must be (time, time) pairs")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("working_hours times must be naive (local Vietnam time)")
        if end <= start:
            raise ValueError(f"working period {start:%H:%M}-{end:%H:%M}: end must be after start")
        if previous_end is not None and start < previous_end:
            raise ValueError(
                f"working period starting {start:%H:%M} overlaps or precedes the previous "
                f"period ending {previous_end:%H:%M}; periods must be ordered and disjoint"
            )
        previous_end = end


def _validate_days(name: str, days: frozenset[date]) -> None:
    """Ensure a day set holds plain dates only."""
    for d in days:
        try:
            _check_date(d)
        except TypeError as exc:
            raise ValueError(f"{name} must contain datetime.date values: {exc}") from None


def _parse_iso_dates(name: str, values: Iterable[str]) -> frozenset[date]:
    """Parse YYYY-MM-DD strings from settings, naming the offending value on error."""
    if isinstance(values, str):
        raise ValueError(f"{name} must be a list of YYYY-MM-DD strings, not a single string")
    parsed: set[date] = set()
    for raw in values:
        text = raw.strip() if isinstance(raw, str) else raw
        if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
            raise ValueError(f"{name}: {raw!r} is not a YYYY-MM-DD date")
        try:
            parsed.add(date.fromisoformat(text))
        except ValueError as exc:
            raise ValueError(f"{name}: {raw!r} is not a valid date ({exc})") from None
    return frozenset(parsed)


def _parse_clock(text: str, spec: str) -> time:
    """Parse ``H:MM``, ``HH:MM`` or ``HH:MM:SS`` from a working-hours setting."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"working_hours {spec!r}: {text!r} is not HH:MM")
    hour, minute, second = (int(group or 0) for group in match.groups())
    try:
        return time(hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"working_hours {spec!r}: {text!r} is not a valid time ({exc})") from None


def _parse_working_hours(spec: str) -> tuple[Period, ...]:
    """Parse ``"07:30-11:30,13:30-17:00"`` into periods (validated later)."""
    periods: list[Period] = []
    for chunk in spec.split(","):
        bounds = [part.strip() for part in chunk.split("-")]
        if len(bounds) != 2 or not all(bounds):
            raise ValueError(f"working_hours {spec!r}: {chunk.strip()!r} is not HH:MM-HH:MM")
        periods.append((_parse_clock(bounds[0], spec), _parse_clock(bounds[1], spec)))
    return tuple(periods)


# --------------------------------------------------------------------------
# Time-zone handling: compute on naive local time, restore awareness at the end
# --------------------------------------------------------------------------


def _is_aware(value: datetime) -> bool:
    """True if ``value`` carries a usable UTC offset."""
    return value.tzinfo is not None and value.utcoffset() is not None


def _to_local(values: Sequence[datetime]) -> tuple[list[datetime], bool]:
    """Convert datetimes to naive Vietnam local time; report whether input was aware."""
    for value in values:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
    flags = {_is_aware(value) for value in values}
    if len(flags) > 1:
        raise ValueError("cannot mix naive and timezone-aware datetimes")
    aware = flags == {True}
    if not aware:
        return list(values), False
    return [value.astimezone(VN_TZ).replace(tzinfo=None) for value in values], True


def _restore(value: datetime, aware: bool) -> datetime:
    """Return ``value`` aware in Vietnam time if the caller passed aware input."""
    return value.replace(tzinfo=VN_TZ) if aware else value


def _merge_intervals(intervals: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Merge overlapping/touching intervals so shared time is counted once."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# --------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and office hours used to compute legal deadlines."""

    extra_days_off: frozenset[date] = frozenset()
    make_up_working_days: frozenset[date] = frozenset()
    working_hours: tuple[Period, ...] = DEFAULT_WORKING_HOURS

    def __post_init__(self) -> None:
        """Normalise containers and fail fast on an invalid configuration."""
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "make_up_working_days", frozenset(self.make_up_working_days))
        object.__setattr__(self, "working_hours", tuple(tuple(p) for p in self.working_hours))
        _validate_days("extra_days_off", self.extra_days_off)
        _validate_days("make_up_working_days", self.make_up_working_days)
        _validate_periods(self.working_hours)

    @classmethod
    def from_settings(
        cls,
        extra_days_off: Iterable[str] = (),
        make_up_working_days: Iterable[str] = (),
        working_hours: str | None = None,
    ) -> WorkingCalendar:
        """Build a calendar from string settings (env/config), with clear errors."""
        periods = DEFAULT_WORKING_HOURS
        if working_hours is not None and working_hours.strip():
            periods = _parse_working_hours(working_hours)
        return cls(
            extra_days_off=_parse_iso_dates("extra_days_off", extra_days_off),
            make_up_working_days=_parse_iso_dates("make_up_working_days", make_up_working_days),
            working_hours=periods,
        )

    # ---- days ------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Whether offices are open on ``d`` (see module docstring for precedence)."""
        _check_date(d)
        if d in self.extra_days_off:
            return False
        if d in self.make_up_working_days or d in _library_weekend_workdays(d.year):
            return True
        return d.weekday() < 5 and d not in _public_holidays(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        _check_date(d)
        candidate = d + _ONE_DAY
        while not self.is_working_day(candidate):
            candidate += _ONE_DAY
        return candidate

    def end_of_working_day(self, d: date) -> datetime:
        """Close of the last working period of working day ``d`` (naive local time)."""
        if not self.is_working_day(d):
            raise ValueError(f"{d.isoformat()} is not a working day")
        return datetime.combine(d, self.working_hours[-1][1])

    # ---- seconds ---------------------------------------------------------

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Whole working seconds inside ``[start, end)``; 0 if ``end <= start``."""
        (start, end), _ = _to_local((start, end))
        return self._work_between(start, end) // _SECOND

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """Earliest instant at which ``seconds`` of working time have elapsed since ``start``."""
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        (local,), aware = _to_local((start,))
        if seconds == 0:
            return start
        return _restore(self._add_work(local, timedelta(seconds=seconds)), aware)

    # ---- deadlines -------------------------------------------------------

    def due_at(
        self,
        received: datetime,
        amount: int,
        unit: DurationUnit,
        *,
        cutoff: time | None = None,
        pauses: Sequence[tuple[datetime, datetime]] = (),
    ) -> datetime:
        """Legal deadline of a dossier (rules in the module docstring)."""
        if amount < 0:
            raise ValueError(f"amount must be >= 0, got {amount}")
        if cutoff is not None and cutoff.tzinfo is not None:
            raise ValueError("cutoff must be a naive time (local Vietnam time)")
        if any(len(pause) != 2 for pause in pauses):
            raise ValueError("each pause must be a (start, end) pair")
        flat = [received] + [moment for pause in pauses for moment in pause]
        local, aware = _to_local(flat)
        local_pauses = list(zip(local[1::2], local[2::2], strict=True))
        clock_start = self._clock_start(local[0], cutoff)
        due = self._due_unpaused(clock_start, amount, unit)
        due = self._add_work(due, self._paused_work(clock_start, local_pauses))
        return _restore(due, aware)

    # ---- internals (all on naive local datetimes) ------------------------

    @property
    def _day_length(self) -> timedelta:
        """Working time in one full working day."""
        return sum(
            (datetime.combine(date.min, e) - datetime.combine(date.min, s) for s, e in self.working_hours),
            timedelta(0),
        )

    def _periods(self, d: date) -> list[tuple[datetime, datetime]]:
        """Working periods of ``d`` as datetimes (empty on a day off)."""
        if not self.is_working_day(d):
            return []
        return [(datetime.combine(d, s), datetime.combine(d, e)) for s, e in self.working_hours]

    def _opening(self, d: date) -> datetime:
        """Start of the first working period of ``d``."""
        return datetime.combine(d, self.working_hours[0][0])

    def _work_on_day(self, d: date, lo: datetime, hi: datetime) -> timedelta:
        """Working time of day ``d`` that lies inside ``[lo, hi)``."""
        total = timedelta(0)
        for start, end in self._periods(d):
            overlap = min(end, hi) - max(start, lo)
            if overlap > timedelta(0):
                total += overlap
        return total

    def _count_working_days(self, first: date, last: date) -> int:
        """Number of working days in the inclusive range ``[first, last]``."""
        count = 0
        day = first
        while day <= last:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def _work_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``: partial edge days plus whole middle days."""
        if end <= start:
            return timedelta(0)
        first, last = start.date(), end.date()
        total = self._work_on_day(first, start, end)
        if last == first:
            return total
        middle_days = self._count_working_days(first + _ONE_DAY, last - _ONE_DAY)
        return total + middle_days * self._day_length + self._work_on_day(last, start, end)

    def _add_work(self, start: datetime, amount: timedelta) -> datetime:
        """Earliest instant after ``start`` with ``amount`` of working time elapsed."""
        if amount <= timedelta(0):
            return start
        remaining = amount
        for period_start, period_end in self._periods(start.date()):
            lo = max(period_start, start)
            if lo >= period_end:
                continue
            if remaining <= period_end - lo:
                return lo + remaining
            remaining -= period_end - lo
        day = self.next_working_day(start.date())
        day_length = self._day_length
        while remaining > day_length:
            remaining -= day_length
            day = self.next_working_day(day)
        return self._consume_within_day(day, remaining)

    def _consume_within_day(self, day: date, remaining: timedelta) -> datetime:
        """Instant on working ``day`` at which ``remaining`` (<= a full day) has elapsed."""
        for period_start, period_end in self._periods(day):
            if remaining <= period_end - period_start:
                return period_start + remaining
            remaining -= period_end - period_start
        raise AssertionError("remaining work exceeds one working day")  # pragma: no cover

    def _clock_start(self, received: datetime, cutoff: time | None) -> datetime:
        """When the legal clock starts for a dossier received at ``received``."""
        day = received.date()
        late = cutoff is not None and received.time() >= cutoff
        if not self.is_working_day(day) or late or received >= self.end_of_working_day(day):
            return self._opening(self.next_working_day(day))
        return max(received, self._opening(day))

    def _due_unpaused(self, clock_start: datetime, amount: int, unit: DurationUnit) -> datetime:
        """Deadline before pauses are applied."""
        if unit == "working_hours":
            return self._add_work(clock_start, timedelta(hours=amount))
        if unit != "working_days":
            raise ValueError(f"unit must be 'working_days' or 'working_hours', got {unit!r}")
        day = clock_start.date()
        for _ in range(amount):
            day = self.next_working_day(day)
        return self.end_of_working_day(day)

    def _paused_work(self, clock_start: datetime, pauses: Sequence[tuple[datetime, datetime]]) -> timedelta:
        """Working time inside the (merged) pauses, counted from the clock start."""
        for pause_start, pause_end in pauses:
            if pause_end < pause_start:
                raise ValueError(f"pause ends ({pause_end}) before it starts ({pause_start})")
        total = timedelta(0)
        for pause_start, pause_end in _merge_intervals(pauses):
            total += self._work_between(max(pause_start, clock_start), pause_end)
        return total
