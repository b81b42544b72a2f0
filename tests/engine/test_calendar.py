"""Tests for engine.calendar: legal deadlines must be exact, so both worked
examples on real 2026 dates and property-based invariants are checked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import VN_TZ, WorkingCalendar

CAL = WorkingCalendar()
VN_2026 = holidays.country_holidays("VN", years=2026)
DAY_SECONDS = (4 * 60 + 3 * 60 + 30) * 60  # 07:30-11:30 + 13:30-17:00

# March 2026 has no VN public holiday: Mon 2 .. Sun 8, Mon 9 .. Fri 13.
MON = date(2026, 3, 2)
TUE, WED, THU, FRI, SAT, SUN = (MON + timedelta(days=i) for i in range(1, 7))
NEXT_MON = MON + timedelta(days=7)

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, database=None)


def at(d: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Naive local datetime on ``d``."""
    return datetime(d.year, d.month, d.day, hour, minute, second)


def close(d: date) -> datetime:
    """17:00 on ``d`` (default close of business)."""
    return at(d, 17)


# --------------------------------------------------------------------------
# Library data the calendar relies on
# --------------------------------------------------------------------------


def test_march_2026_fixture_week_has_no_holiday() -> None:
    """Guards the fixture dates used by the examples below."""
    assert not any(MON + timedelta(days=i) in VN_2026 for i in range(14))


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 2, 16),
        date(2026, 2, 17),
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
    ],
)
def test_weekday_public_holidays_2026_are_not_working_days(day: date) -> None:
    assert day in VN_2026, f"library no longer lists {day} as a VN holiday"
    assert day.weekday() < 5
    assert not CAL.is_working_day(day)


def test_every_library_holiday_on_a_weekday_is_a_day_off() -> None:
    weekday_holidays = [d for d in VN_2026 if d.year == 2026 and d.weekday() < 5]
    assert weekday_holidays
    assert not any(CAL.is_working_day(d) for d in weekday_holidays)


def test_library_make_up_saturday_2026_08_22_is_a_working_day() -> None:
    """2026-08-31 off is substituted from Sat 2026-08-22, which is therefore worked."""
    assert date(2026, 8, 22) in VN_2026.weekend_workdays
    assert CAL.is_working_day(date(2026, 8, 22))
    assert not CAL.is_working_day(date(2026, 8, 23))


# --------------------------------------------------------------------------
# Working days
# --------------------------------------------------------------------------


def test_weekdays_work_and_weekends_do_not() -> None:
    assert all(CAL.is_working_day(d) for d in (MON, TUE, WED, THU, FRI))
    assert not CAL.is_working_day(SAT)
    assert not CAL.is_working_day(SUN)


def test_next_working_day_skips_weekend_and_tet() -> None:
    assert CAL.next_working_day(FRI) == NEXT_MON
    assert CAL.next_working_day(MON) == TUE
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


def test_due_skips_weekend() -> None:
    assert CAL.due_at(at(FRI, 10), 1, "working_days") == close(NEXT_MON)


def test_due_skips_tet() -> None:
    received = datetime(2026, 2, 13, 10)  # Friday before Tết
    assert CAL.due_at(received, 1, "working_days") == datetime(2026, 2, 23, 17)
    assert CAL.due_at(received, 2, "working_days") == datetime(2026, 2, 24, 17)


def test_received_during_tet_starts_after_tet() -> None:
    assert CAL.due_at(datetime(2026, 2, 17, 10), 0, "working_days") == datetime(2026, 2, 23, 17)


def test_one_working_day_from_monday_morning_is_tuesday_close() -> None:
    assert CAL.due_at(at(MON, 9), 1, "working_days") == close(TUE)


def test_extra_day_off() -> None:
    cal = WorkingCalendar(extra_days_off=frozenset({WED}))
    assert not cal.is_working_day(WED)
    assert cal.due_at(at(TUE, 9), 1, "working_days") == close(THU)
    assert CAL.due_at(at(TUE, 9), 1, "working_days") == close(WED)


def test_make_up_saturday() -> None:
    cal = WorkingCalendar(make_up_working_days=frozenset({SAT}))
    assert cal.is_working_day(SAT)
    assert cal.due_at(at(FRI, 9), 1, "working_days") == close(SAT)
    assert cal.next_working_day(SAT) == NEXT_MON


def test_extra_day_off_beats_make_up_day_and_library_swap() -> None:
    swapped = date(2026, 8, 22)
    cal = WorkingCalendar(extra_days_off=frozenset({SAT, swapped}), make_up_working_days=frozenset({SAT}))
    assert not cal.is_working_day(SAT)
    assert not cal.is_working_day(swapped)


def test_end_of_working_day() -> None:
    assert CAL.end_of_working_day(MON) == close(MON)
    with pytest.raises(ValueError, match="not a working day"):
        CAL.end_of_working_day(SAT)


def test_datetime_is_rejected_where_a_date_is_expected() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(at(MON, 9))


# --------------------------------------------------------------------------
# Cut-off and same-day rules
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (at(MON, 14, 59, 59), close(TUE)),
        (at(MON, 15), close(WED)),
        (at(MON, 16, 30), close(WED)),
    ],
)
def test_cutoff_1500(received: datetime, expected: datetime) -> None:
    assert CAL.due_at(received, 1, "working_days", cutoff=time(15)) == expected


def test_without_cutoff_late_afternoon_still_counts_today() -> None:
    assert CAL.due_at(at(MON, 16, 30), 1, "working_days") == close(TUE)


def test_cutoff_on_friday_moves_to_monday() -> None:
    assert CAL.due_at(at(FRI, 15, 30), 0, "working_days", cutoff=time(15)) == close(NEXT_MON)


def test_same_day() -> None:
    assert CAL.due_at(at(MON, 9), 0, "working_days") == close(MON)
    assert CAL.due_at(at(MON, 16), 0, "working_days", cutoff=time(15)) == close(TUE)
    assert CAL.due_at(at(MON, 14), 0, "working_days", cutoff=time(15)) == close(MON)


@pytest.mark.parametrize("received", [at(MON, 17), at(MON, 18, 30), at(SAT, 9)])
def test_received_at_or_after_close_or_on_day_off_starts_next_working_day(received: datetime) -> None:
    expected_day = TUE if received.date() == MON else NEXT_MON
    assert CAL.due_at(received, 0, "working_days") == close(expected_day)
    assert CAL.due_at(received, 1, "working_hours") == at(expected_day, 8, 30)


def test_received_before_opening_starts_at_opening() -> None:
    assert CAL.due_at(at(MON, 6), 1, "working_hours") == at(MON, 8, 30)
    assert CAL.due_at(at(MON, 6), 0, "working_hours") == at(MON, 7, 30)


# --------------------------------------------------------------------------
# Working hours
# --------------------------------------------------------------------------


def test_working_seconds_across_lunch_break() -> None:
    assert CAL.working_seconds_between(at(MON, 11), at(MON, 14)) == 3600
    assert CAL.working_seconds_between(at(MON, 12), at(MON, 13, 30)) == 0
    assert CAL.working_seconds_between(at(MON, 0), at(TUE, 0)) == DAY_SECONDS


def test_working_seconds_across_weekend_and_reversed_interval() -> None:
    assert CAL.working_seconds_between(at(FRI, 16), at(NEXT_MON, 8, 30)) == 7200
    assert CAL.working_seconds_between(at(TUE, 9), at(MON, 9)) == 0


def test_add_working_hours_across_lunch_break() -> None:
    assert CAL.add_working_seconds(at(MON, 11), 3600) == at(MON, 14)
    assert CAL.due_at(at(MON, 11), 1, "working_hours") == at(MON, 14)
    assert CAL.due_at(at(MON, 12), 1, "working_hours") == at(MON, 14, 30)


def test_add_working_hours_across_weekend() -> None:
    assert CAL.due_at(at(FRI, 16), 2, "working_hours") == at(NEXT_MON, 8, 30)


def test_add_working_seconds_returns_earliest_instant() -> None:
    """Exactly filling the morning ends at 11:30, not after lunch."""
    assert CAL.add_working_seconds(at(MON, 7, 30), 4 * 3600) == at(MON, 11, 30)
    assert CAL.add_working_seconds(at(MON, 17), 1) == at(TUE, 7, 30, 1)


def test_add_zero_seconds_returns_start_even_outside_hours() -> None:
    start = at(SAT, 3, 15)
    assert CAL.add_working_seconds(start, 0) is start


def test_add_negative_seconds_raises() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        CAL.add_working_seconds(at(MON, 9), -1)


def test_custom_working_hours_are_used() -> None:
    cal = WorkingCalendar.from_settings(working_hours="08:00-12:00")
    assert cal.end_of_working_day(MON) == at(MON, 12)
    assert cal.due_at(at(MON, 11), 2, "working_hours") == at(TUE, 9)


def test_long_span_is_consistent() -> None:
    due = CAL.due_at(at(MON, 7, 30), 10_000, "working_days")
    worked = CAL.working_seconds_between(at(MON, 7, 30), due)
    added = CAL.add_working_seconds(at(MON, 7, 30), 10_001 * DAY_SECONDS)
    assert worked == 10_001 * DAY_SECONDS
    assert added == due
    assert due.year >= 2060


# --------------------------------------------------------------------------
# Pauses
# --------------------------------------------------------------------------


def test_full_day_pause_pushes_due_by_one_day() -> None:
    received = at(MON, 9)
    assert CAL.due_at(received, 3, "working_days") == close(THU)
    assert CAL.due_at(received, 3, "working_days", pauses=[(at(TUE, 7, 30), at(TUE, 17))]) == close(FRI)


def test_overlapping_pauses_are_not_counted_twice() -> None:
    pauses = [(at(TUE, 10), at(TUE, 17)), (at(TUE, 7, 30), at(TUE, 12))]
    assert CAL.due_at(at(MON, 9), 3, "working_days", pauses=pauses) == close(FRI)


def test_pause_over_weekend_only_counts_working_time() -> None:
    received = at(MON, 9)
    weekend_only = [(close(FRI), at(NEXT_MON, 7, 30))]
    assert CAL.due_at(received, 3, "working_days", pauses=weekend_only) == close(THU)
    two_hours = [(at(FRI, 16), at(NEXT_MON, 8, 30))]
    assert CAL.due_at(received, 3, "working_days", pauses=two_hours) == at(FRI, 9, 30)


def test_pause_is_counted_only_from_clock_start() -> None:
    pauses = [(at(MON, 7, 30), at(MON, 10))]  # received 09:00: only 1 h counts
    assert CAL.due_at(at(MON, 9), 3, "working_days", pauses=pauses) == at(FRI, 8, 30)
    before_start = [(at(FRI - timedelta(days=7), 8), at(FRI - timedelta(days=7), 16))]
    assert CAL.due_at(at(MON, 9), 3, "working_days", pauses=before_start) == close(THU)


def test_empty_pause_has_no_effect_and_reversed_pause_raises() -> None:
    assert CAL.due_at(at(MON, 9), 1, "working_days", pauses=[(at(MON, 10), at(MON, 10))]) == close(TUE)
    with pytest.raises(ValueError, match="before it starts"):
        CAL.due_at(at(MON, 9), 1, "working_days", pauses=[(at(MON, 11), at(MON, 10))])


# --------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------


def test_aware_input_is_converted_to_vietnam_time() -> None:
    received = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi
    due = CAL.due_at(received, 1, "working_days")
    assert due == datetime(2026, 3, 3, 17, tzinfo=VN_TZ)
    assert due.tzinfo is VN_TZ


def test_aware_input_crossing_midnight_uses_vietnam_date() -> None:
    received = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # Mon 06:00 in Hanoi
    assert CAL.due_at(received, 0, "working_days") == datetime(2026, 3, 2, 17, tzinfo=VN_TZ)
    assert CAL.add_working_seconds(received, 60) == datetime(2026, 3, 2, 7, 31, tzinfo=VN_TZ)


def test_aware_working_seconds_between() -> None:
    start = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 local
    end = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)
    assert CAL.working_seconds_between(start, end) == 5400


def test_mixing_naive_and_aware_raises() -> None:
    aware = datetime(2026, 3, 2, 9, tzinfo=VN_TZ)
    with pytest.raises(ValueError, match="mix"):
        CAL.working_seconds_between(aware, at(MON, 10))
    with pytest.raises(ValueError, match="mix"):
        CAL.due_at(aware, 1, "working_days", pauses=[(at(MON, 10), at(MON, 11))])


# --------------------------------------------------------------------------
# Bad input and settings
# --------------------------------------------------------------------------


def test_due_at_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="amount"):
        CAL.due_at(at(MON, 9), -1, "working_days")
    with pytest.raises(ValueError, match="unit"):
        CAL.due_at(at(MON, 9), 1, "calendar_days")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pair"):
        CAL.due_at(at(MON, 9), 1, "working_days", pauses=[(at(MON, 10),)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="cutoff"):
        CAL.due_at(at(MON, 9), 1, "working_days", cutoff=time(15, tzinfo=UTC))


def test_from_settings_parses_dates_and_hours() -> None:
    cal = WorkingCalendar.from_settings(
        extra_days_off=["2026-03-04", " 2026-03-05 "],
        make_up_working_days=["2026-03-07"],
        working_hours="7:30-11:30, 13:00-16:30",
    )
    assert cal.extra_days_off == frozenset({WED, THU})
    assert cal.make_up_working_days == frozenset({SAT})
    assert cal.working_hours == ((time(7, 30), time(11, 30)), (time(13), time(16, 30)))


@pytest.mark.parametrize("hours", [None, "", "   "])
def test_from_settings_defaults(hours: str | None) -> None:
    assert WorkingCalendar.from_settings(working_hours=hours) == WorkingCalendar()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extra_days_off": ["2026-02-30"]}, "extra_days_off.*2026-02-30"),
        ({"extra_days_off": ["2026/03/04"]}, "extra_days_off.*YYYY-MM-DD"),
        ({"make_up_working_days": ["tomorrow"]}, "make_up_working_days"),
        ({"extra_days_off": "2026-03-04"}, "single string"),
        ({"working_hours": "07:30-12:00,11:00-17:00"}, "overlaps"),
        ({"working_hours": "13:30-17:00,07:30-11:30"}, "ordered"),
        ({"working_hours": "11:30-07:30"}, "end must be after start"),
        ({"working_hours": "08:00-08:00"}, "end must be after start"),
        ({"working_hours": "0730-1130"}, "HH:MM"),
        ({"working_hours": "07:30-11:30,"}, "HH:MM-HH:MM"),
        ({"working_hours": "25:00-26:00"}, "valid time"),
    ],
)
def test_from_settings_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_settings(**kwargs)  # type: ignore[arg-type]


def test_constructor_validates_configuration() -> None:
    with pytest.raises(ValueError, match="at least one"):
        WorkingCalendar(working_hours=())
    with pytest.raises(ValueError, match="extra_days_off"):
        WorkingCalendar(extra_days_off=frozenset({at(MON, 0)}))


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

HOUR_LAYOUTS = [
    "07:30-11:30,13:30-17:00",
    "08:00-12:00",
    "07:00-09:00,09:00-10:00,14:00-18:30",
]
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31))
CALENDARS = st.builds(
    WorkingCalendar.from_settings,
    extra_days_off=st.lists(DAYS.map(date.isoformat), max_size=6),
    make_up_working_days=st.lists(DAYS.map(date.isoformat), max_size=6),
    working_hours=st.sampled_from(HOUR_LAYOUTS),
)
UNITS = st.sampled_from(["working_days", "working_hours"])
CUTOFFS = st.none() | st.times(min_value=time(12), max_value=time(17))


@st.composite
def pause_lists(draw: st.DrawFn) -> list[tuple[datetime, datetime]]:
    """Up to three pauses of at most 10 days each."""
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(MOMENTS)
        pauses.append((start, start + draw(st.timedeltas(timedelta(0), timedelta(days=10)))))
    return pauses


def in_working_period(cal: WorkingCalendar, moment: datetime) -> bool:
    """True if ``moment`` lies in a closed working period of a working day."""
    return cal.is_working_day(moment.date()) and any(
        start <= moment.time() <= end for start, end in cal.working_hours
    )


@PROPERTY_SETTINGS
@given(CALENDARS, MOMENTS, st.integers(0, 40), UNITS, CUTOFFS, pause_lists())
def test_due_is_never_before_received(
    cal: WorkingCalendar,
    received: datetime,
    amount: int,
    unit: str,
    cutoff: time | None,
    pauses: list[tuple[datetime, datetime]],
) -> None:
    assert cal.due_at(received, amount, unit, cutoff=cutoff, pauses=pauses) >= received  # type: ignore[arg-type]


@PROPERTY_SETTINGS
@given(CALENDARS, MOMENTS, st.integers(0, 60 * DAY_SECONDS))
def test_add_working_seconds_round_trips_and_is_earliest(
    cal: WorkingCalendar, start: datetime, seconds: int
) -> None:
    result = cal.add_working_seconds(start, seconds)
    if seconds == 0:
        assert result == start
        return
    assert result > start
    assert in_working_period(cal, result)
    assert cal.working_seconds_between(start, result) == seconds
    assert cal.working_seconds_between(start, result - timedelta(microseconds=1)) < seconds


@PROPERTY_SETTINGS
@given(CALENDARS, MOMENTS, MOMENTS, MOMENTS)
def test_working_seconds_are_additive(cal: WorkingCalendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    a, b, c = (m.replace(microsecond=0) for m in (a, b, c))
    total = cal.working_seconds_between(a, c)
    assert total == cal.working_seconds_between(a, b) + cal.working_seconds_between(b, c)
    assert cal.working_seconds_between(c, a) == 0


@PROPERTY_SETTINGS
@given(CALENDARS, MOMENTS, st.integers(0, 40), st.integers(1, 10), UNITS, CUTOFFS)
def test_due_is_monotonic_in_amount(
    cal: WorkingCalendar, received: datetime, amount: int, extra: int, unit: str, cutoff: time | None
) -> None:
    shorter = cal.due_at(received, amount, unit, cutoff=cutoff)  # type: ignore[arg-type]
    longer = cal.due_at(received, amount + extra, unit, cutoff=cutoff)  # type: ignore[arg-type]
    assert shorter < longer


@PROPERTY_SETTINGS
@given(CALENDARS, MOMENTS, st.integers(0, 40), CUTOFFS)
def test_working_days_due_is_a_close_and_counts_exactly_amount_days(
    cal: WorkingCalendar, received: datetime, amount: int, cutoff: time | None
) -> None:
    due = cal.due_at(received, amount, "working_days", cutoff=cutoff)
    assert due == cal.end_of_working_day(due.date())
    start_day = cal.due_at(received, 0, "working_days", cutoff=cutoff)
    day_seconds = cal.working_seconds_between(datetime.combine(due.date(), time()), due)
    assert cal.working_seconds_between(start_day, due) == amount * day_seconds


@PROPERTY_SETTINGS
@given(CALENDARS, MOMENTS, st.integers(0, 40), UNITS, CUTOFFS, pause_lists())
def test_pauses_never_make_due_earlier_and_duplicates_do_not_count(
    cal: WorkingCalendar,
    received: datetime,
    amount: int,
    unit: str,
    cutoff: time | None,
    pauses: list[tuple[datetime, datetime]],
) -> None:
    plain = cal.due_at(received, amount, unit, cutoff=cutoff)  # type: ignore[arg-type]
    paused = cal.due_at(received, amount, unit, cutoff=cutoff, pauses=pauses)  # type: ignore[arg-type]
    doubled = cal.due_at(received, amount, unit, cutoff=cutoff, pauses=pauses + pauses[::-1])  # type: ignore[arg-type]
    assert paused >= plain
    assert doubled == paused


@PROPERTY_SETTINGS
@given(CALENDARS, DAYS)
def test_next_working_day_is_the_first_working_day_after(cal: WorkingCalendar, day: date) -> None:
    following = cal.next_working_day(day)
    assert following > day
    assert cal.is_working_day(following)
    gap = (following - day).days
    assert not any(cal.is_working_day(day + timedelta(days=i)) for i in range(1, gap))


@PROPERTY_SETTINGS
@given(CALENDARS, DAYS)
def test_end_of_working_day_closes_a_working_day(cal: WorkingCalendar, day: date) -> None:
    working_day = cal.next_working_day(day)
    end = cal.end_of_working_day(working_day)
    assert end.date() == working_day
    assert cal.is_working_day(end.date())
    midnight_after = datetime.combine(working_day + timedelta(days=1), time())
    assert cal.working_seconds_between(end, midnight_after) == 0
    assert cal.working_seconds_between(datetime.combine(working_day, time()), end) > 0


@PROPERTY_SETTINGS
@given(
    MOMENTS,
    st.integers(0, 30),
    UNITS,
    st.timedeltas(min_value=timedelta(hours=-12), max_value=timedelta(hours=14)),
)
def test_aware_input_matches_naive_local_computation(
    local: datetime, amount: int, unit: str, offset: timedelta
) -> None:
    aware = local.replace(tzinfo=VN_TZ).astimezone(timezone(offset))
    naive_due = CAL.due_at(local, amount, unit)  # type: ignore[arg-type]
    aware_due = CAL.due_at(aware, amount, unit)  # type: ignore[arg-type]
    assert aware_due.tzinfo is VN_TZ
    assert aware_due.replace(tzinfo=None) == naive_due
