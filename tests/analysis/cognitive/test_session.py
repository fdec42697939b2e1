"""What a session's reviews and events say: pauses, duration, blocks, load input, days (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.cognitive.session import (
    ReviewFacts,
    SessionFacts,
    SessionSummary,
    block_performance,
    daily_aggregates,
    late_night_minutes,
    session_duration_seconds,
    session_load_input,
    session_pauses,
)

T0 = datetime(2026, 3, 2, 8, 0)


def reviews_at(*spec: tuple[float, int, str]) -> tuple[ReviewFacts, ...]:
    """Reviews answered ``s`` seconds after T0, taking ``ms``, rated ``rating``."""
    return tuple(ReviewFacts(T0 + timedelta(seconds=s), ms, r) for s, ms, r in spec)


GAPS = reviews_at(
    (60, 6000, "GOOD"),
    (120, 6000, "GOOD"),
    (420, 5000, "AGAIN"),
    (480, 6000, "GOOD"),
    (900, 6000, "EASY"),
)


def test_pauses_from_review_gaps() -> None:
    """Idle time before a review = gap − its time spent: 300 − 5 = 295 s and 420 − 6 = 414 s
    exceed 2 minutes; 60 − 6 = 54 s does not."""
    count, seconds = session_pauses(SessionFacts("s", T0, reviews=GAPS))
    assert count == 2
    assert seconds == pytest.approx(295 + 414)


def test_pauses_sent_by_the_platform_win() -> None:
    """SESSION_ENDED's pauseCount / pausedMs replace the gap rule."""
    facts = SessionFacts("s", T0, reviews=GAPS, ended={"pauseCount": 1, "pausedMs": 60_000})
    assert session_pauses(facts) == (1, 60.0)


def test_duration_sources_in_order() -> None:
    """durationMs, else the event's durationMs, else end − start, else the last activity."""
    assert session_duration_seconds(SessionFacts("s", T0, duration_ms=1_200_000)) == 1200.0
    ended = SessionFacts("s", T0, ended={"durationMs": 600_000})
    assert session_duration_seconds(ended) == 600.0
    done = SessionFacts("s", T0, completed_at=T0 + timedelta(minutes=15))
    assert session_duration_seconds(done) == 900.0
    assert session_duration_seconds(SessionFacts("s", T0, reviews=GAPS)) == 900.0


def test_block_performance_golden() -> None:
    """Eight reviews in four blocks of two: GOOD/EASY shares 100, 50, 0, 100; seven: none."""
    ratings = ["GOOD", "EASY", "GOOD", "AGAIN", "HARD", "AGAIN", "GOOD", "GOOD"]
    assert block_performance(ratings) == (100.0, 50.0, 0.0, 100.0)
    assert block_performance(ratings[:7]) == ()


def test_load_input_of_a_session() -> None:
    """The load input takes latencies, correctness, pauses and the active time from the facts."""
    facts = SessionFacts("s", T0, duration_ms=1_200_000, reviews=GAPS)
    data = session_load_input(facts, 5000.0, 30.0)
    assert data.latencies_ms == (6000.0, 6000.0, 5000.0, 6000.0, 6000.0)
    assert data.correct == (True, True, False, True, True)
    assert (data.pause_count, data.pause_seconds) == (2, pytest.approx(709.0))
    assert data.active_seconds == pytest.approx(1200 - 709)
    assert data.duration_minutes == 20.0
    assert data.performance_scores == ()  # five reviews: too few for four blocks
    assert (data.baseline_latency_ms, data.optimal_session_minutes) == (5000.0, 30.0)


def test_dominant_objective_and_measurable() -> None:
    """Most reviews win, ties go to the smallest id; a session without anything is not measured."""
    reviews = tuple(
        ReviewFacts(T0 + timedelta(minutes=i), 5000, "GOOD", o) for i, o in enumerate("bab")
    )
    assert SessionFacts("s", T0, reviews=reviews).dominant_objective == "b"
    tie = tuple(ReviewFacts(T0, 5000, "GOOD", o) for o in "ba")
    assert SessionFacts("s", T0, reviews=tie).dominant_objective == "a"
    assert not SessionFacts("s", T0).measurable
    assert SessionFacts("s", T0, reviews=tie).measurable


@settings(max_examples=80, deadline=None)
@given(
    start_minute=st.integers(min_value=0, max_value=60 * 24 * 365),
    minutes=st.integers(min_value=0, max_value=60 * 30),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York"]),
)
def test_late_night_minutes_are_part_of_the_session(
    start_minute: int, minutes: int, zone: str
) -> None:
    """Never more than the session's length nor below zero; a 24-hour stay has the whole six hours."""
    start = datetime(2026, 1, 1) + timedelta(minutes=start_minute)
    late = late_night_minutes(start, start + timedelta(minutes=minutes), ZoneInfo(zone))
    assert 0.0 <= late <= minutes + 1e-9
    if zone == "UTC":  # no daylight saving: every day has exactly 23:00–05:00
        day = late_night_minutes(start, start + timedelta(days=1), ZoneInfo(zone))
        assert day == pytest.approx(360.0)


def test_daily_aggregates_golden() -> None:
    """Two sessions on one day (UTC): minutes add, loads and performance average."""
    zone = ZoneInfo("UTC")
    summaries = [
        SessionSummary("a", datetime(2026, 3, 9, 22, 30), 60.0, 40.0, 80.0, 50.0),
        SessionSummary("b", datetime(2026, 3, 9, 8, 0), 30.0, 60.0, 60.0, None),
    ]
    (day,) = daily_aggregates(
        summaries, [], [(datetime(2026, 3, 9, 12), 80.0)], zone, date(2026, 3, 10)
    )
    assert day.day == date(2026, 3, 9)
    assert day.study_minutes == 90.0
    assert day.mean_load == pytest.approx(60.0)  # (40 + 60 + 80) / 3
    assert day.mean_performance == pytest.approx(70.0)
    assert day.engagement == 50.0
    assert day.late_night_minutes == pytest.approx(30.0)  # 23:00–23:30


def test_late_night_minutes_cross_midnight_in_the_local_zone() -> None:
    """22:30–01:30 local (Berlin, UTC+1 in March) has 150 minutes after 23:00."""
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 2, 21, 30)  # 22:30 local
    assert late_night_minutes(start, start + timedelta(hours=3), zone) == pytest.approx(150.0)


def test_daily_aggregates_do_not_count_todays_pending_mission_as_missed() -> None:
    zone = ZoneInfo("UTC")
    missions = [
        (date(2026, 3, 9), "PENDING"),
        (date(2026, 3, 10), "PENDING"),
        (date(2026, 3, 8), "SKIPPED"),
    ]
    days = {d.day: d for d in daily_aggregates([], missions, [], zone, date(2026, 3, 10))}
    assert days[date(2026, 3, 9)].sessions_planned == 1
    assert days[date(2026, 3, 9)].sessions_completed == 0
    assert date(2026, 3, 10) not in days
    assert days[date(2026, 3, 8)].sessions_skipped == 1


def test_late_night_minutes_cover_23_to_05_local() -> None:
    """Minutes between 23:00 and 05:00 local, across midnight and in the early morning."""
    zone = ZoneInfo("Europe/Berlin")

    def ms(day: date, hour: float) -> datetime:  # the naive-UTC instant of a local time
        local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(hours=hour)
        return local.astimezone(UTC).replace(tzinfo=None)

    day = date(2026, 1, 12)
    assert late_night_minutes(ms(day, 22.5), ms(day, 24.5), zone) == pytest.approx(90)
    assert late_night_minutes(ms(day, 4.0), ms(day, 6.0), zone) == pytest.approx(60)
    assert late_night_minutes(ms(day, 12.0), ms(day, 13.0), zone) == 0
