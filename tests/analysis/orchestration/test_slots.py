"""Slot recommendation: the score formula, candidates, buffer, top K, burnout rules, DST days."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.orchestration.slots import (
    HourScore,
    HourScoreTable,
    PreferenceKind,
    PreferenceWindow,
    RecentSession,
    SlotKind,
    SlotRequest,
    combine_score,
    hour_scores_from_heatmap,
    recommend_slots,
    score_candidates,
)
from twin.analysis.patterns.study_time import Heatmap
from twin.enums import BurnoutRiskLevel

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_5AM = datetime(2025, 3, 3, 5, 0, tzinfo=BERLIN)  # a Monday


def local(day: int, hour: int, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    """2025-03-{day} hh:mm in ``tz``."""
    return datetime(2025, 3, day, hour, minute, tzinfo=tz)


def flat_table(score: float = 50.0, n: int = 10) -> HourScoreTable:
    return HourScoreTable(
        tuple(HourScore(k, h, score, n) for k in ("weekday", "weekend") for h in range(24))
    )


def test_score_formula_golden() -> None:
    """Monday 07:00, 60 min (block 07:00–08:10):
    historical = (15·80 + 5·50)/(15+5) = 72.5 (weekday 07 cell, flat prior 50, k = 5);
    availability = 50 (tentative 07:30–08:00); preference = 100 (declared 06:00–09:00);
    recentSuccess = mean(90 at 07:20, 70 at 06:10) = 80 (08:30 is 90 min away, the 20-day-old
    session is outside 14 days);
    score = 0.4·72.5 + 0.3·50 + 0.2·100 + 0.1·80 = 29 + 15 + 20 + 8 = 72."""
    request = SlotRequest(
        now=MONDAY_5AM,
        timezone="Europe/Berlin",
        duration_minutes=60,
        days=1,
        busy=BusyTime.of([BusyInterval(local(3, 7, 30), local(3, 8, 0), 0.5)]),
        hour_scores=HourScoreTable((HourScore("weekday", 7, 80.0, 15),)),
        preferences=(PreferenceWindow(6 * 60, 9 * 60, PreferenceKind.PREFER, label="mornings"),),
        recent_sessions=(
            RecentSession(local(1, 7, 20), 90.0),
            RecentSession(local(2, 6, 10), 70.0),
            RecentSession(local(2, 8, 30), 10.0),
            RecentSession(datetime(2025, 2, 11, 7, 0, tzinfo=BERLIN), 0.0),
        ),
    )
    candidates, _, _, _ = score_candidates(request, 60, SlotKind.STUDY)
    seven = next(c for c in candidates if c.start == local(3, 7, 0))
    assert seven.historical.score == pytest.approx(72.5)
    assert seven.historical.confidence == pytest.approx(0.75)
    assert (seven.availability, seven.preference) == (50.0, 100.0)
    assert (seven.recent_success, seven.recent_sessions) == (pytest.approx(80.0), 2)
    assert seven.score == pytest.approx(72.0)
    assert [c.to_json()["kind"] for c in seven.conflicts] == ["tentative"]
    reasons = seven.reasons()
    assert reasons["historicalSessions"] == 15 and reasons["preferenceWindows"] == ["mornings"]
    assert combine_score(72.5, 50, 100, 80) == pytest.approx(72.0)


def test_cold_start_uses_the_population_prior_with_low_confidence() -> None:
    """No history: historical = prior (50 flat, or the cohort's cell), confidence 0.1."""
    table = HourScoreTable(prior=(HourScore("weekend", 10, 64.0, 300),))
    assert table.historical("weekday", 9).score == 50.0
    weekend = table.historical("weekend", 10)
    assert (weekend.score, weekend.sessions, weekend.confidence) == (64.0, 0, 0.1)


def test_buffer_after_the_session_is_required() -> None:
    """Busy 10:00–11:00; 60-min sessions: 08:30 fits (ends 09:30, buffer to 09:40), 09:00 does not
    (it ends at 10:00, but its 10-minute buffer would run into the meeting); 11:00 fits."""
    request = SlotRequest(
        now=MONDAY_5AM,
        timezone="Europe/Berlin",
        duration_minutes=60,
        days=1,
        busy=BusyTime.of([BusyInterval(local(3, 10), local(3, 11))]),
    )
    starts = {c.start for c in score_candidates(request, 60, SlotKind.STUDY)[0]}
    assert local(3, 8, 30) in starts
    assert local(3, 9, 0) not in starts and local(3, 9, 30) not in starts
    assert local(3, 10, 0) not in starts and local(3, 10, 30) not in starts
    assert local(3, 11, 0) in starts
    # The last start is 22:00 (a 60-minute session must end by 23:00).
    assert max(starts) == local(3, 22, 0)
    assert min(starts) == local(3, 6, 0)


def test_top_k_at_most_two_a_day_never_overlapping() -> None:
    """A strong weekday 07:00 and 18:00 history: 5 slots, ≤ 2 per day, ranked by score, disjoint."""
    cells = [HourScore("weekday", 7, 95.0, 40), HourScore("weekday", 18, 90.0, 40)]
    answer = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=45,
            hour_scores=HourScoreTable(tuple(cells)),
        )
    )
    assert len(answer.slots) == 5
    assert [s.rank for s in answer.slots] == [1, 2, 3, 4, 5]
    assert [s.score for s in answer.slots] == sorted((s.score for s in answer.slots), reverse=True)
    assert max(Counter(s.local_date for s in answer.slots).values()) <= 2
    # Ties (same score every weekday) go to the earliest days: Monday and Tuesday 07:00 first.
    assert [s.start for s in answer.slots[:2]] == [local(3, 7), local(4, 7)]
    for a in answer.slots:
        for b in answer.slots:
            if a is not b:
                assert (
                    a.end + timedelta(minutes=10) <= b.start
                    or b.end + timedelta(minutes=10) <= a.start
                )
    assert all(s.kind is SlotKind.STUDY and s.duration_minutes == 45 for s in answer.slots)
    one_day = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=45,
            days=1,
            hour_scores=HourScoreTable(tuple(cells)),
        )
    )
    assert [s.start for s in one_day.slots] == [local(3, 7), local(3, 18)]


def test_true_peak_recovered_and_a_blocked_peak_avoided() -> None:
    """Peak 07:00 (90, n 40), second best 10:00 (75, n 40), elsewhere 55: the top slot is 07:00;
    with a class 07:00–09:00 every weekday the weekday slots move to 10:00."""
    cells = tuple(
        HourScore(
            kind, h, 90.0 if h == 7 else 75.0 if h == 10 else 55.0, 40 if h in (7, 10) else 10
        )
        for kind in ("weekday", "weekend")
        for h in range(24)
    )
    free = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=60,
            hour_scores=HourScoreTable(cells),
        )
    )
    assert free.slots[0].start.astimezone(BERLIN).hour == 7
    classes = [BusyInterval(local(d, 7), local(d, 9)) for d in (3, 4, 5, 6, 7)]
    blocked = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=60,
            hour_scores=HourScoreTable(cells),
            busy=BusyTime.of(classes),
        )
    )
    weekday = [s for s in blocked.slots if s.weekday < 5]
    assert weekday
    assert all(s.start.astimezone(BERLIN).hour == 10 for s in weekday)
    assert blocked.candidates_busy > 0


def test_avoided_window_ranks_below_neutral_time() -> None:
    """With a flat history, an AVOID 06:00–12:00 window (score 0 vs 50) keeps mornings out of the top 5."""
    answer = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=60,
            hour_scores=flat_table(),
            preferences=(
                PreferenceWindow(6 * 60, 12 * 60, PreferenceKind.AVOID, label="no mornings"),
            ),
        )
    )
    assert all(s.start.astimezone(BERLIN).hour >= 12 for s in answer.slots)


def test_burnout_high_one_short_review_a_day_and_critical_rest() -> None:
    """HIGH: review slots of 30 min (5.4's HIGH cap), at most one a day. CRITICAL: none, rest."""
    high = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=60,
            burnout=BurnoutRiskLevel.HIGH,
        )
    )
    assert len(high.slots) == 5
    assert all(s.kind is SlotKind.REVIEW and s.duration_minutes == 30 for s in high.slots)
    assert len({s.local_date for s in high.slots}) == 5
    critical = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=60,
            burnout=BurnoutRiskLevel.CRITICAL,
        )
    )
    assert critical.slots == ()
    assert critical.rest is not None and critical.rest.rest_days == 2
    assert critical.to_json()["rest"] == {"restDays": 2, "message": critical.rest.message}


def test_dst_days_offer_real_wall_times_and_real_durations() -> None:
    """Pacific/Easter: 2025-09-06 jumps 22:00 → 23:00 (22:00 and 22:30 do not exist);
    2025-04-05 repeats 21:00–21:59 (offered once). Every 30-min slot lasts 30 real minutes."""
    tz = ZoneInfo("Pacific/Easter")
    for day, expected_count in ((date(2025, 9, 6), 32), (date(2025, 4, 5), 34)):
        now = datetime.combine(day, datetime.min.time()).replace(tzinfo=tz)
        request = SlotRequest(now=now, timezone="Pacific/Easter", duration_minutes=30, days=1)
        candidates = [
            c for c in score_candidates(request, 30, SlotKind.STUDY)[0] if c.local_date == day
        ]
        walls = [c.start.astimezone(tz).strftime("%H:%M") for c in candidates]
        assert len(walls) == len(set(walls)) == expected_count
        # Real minutes: subtract in UTC (within one zone Python subtracts wall times).
        assert all(
            c.end.astimezone(UTC) - c.start.astimezone(UTC) == timedelta(minutes=30)
            for c in candidates
        )
        if day.month == 9:
            assert "22:00" not in walls and "22:30" not in walls and walls[-1] == "21:30"
        else:
            assert walls[-1] == "22:30" and walls.count("21:00") == 1


def test_blocked_intervals_and_busy_age() -> None:
    """Sessions already planned block slots like busy time; the answer says how old the blocks are."""
    synced = MONDAY_5AM - timedelta(minutes=95)
    planned = (local(3, 7), local(3, 8))
    answer = recommend_slots(
        SlotRequest(
            now=MONDAY_5AM,
            timezone="Europe/Berlin",
            duration_minutes=60,
            days=1,
            blocked=(planned,),
            busy_synced_at=synced,
            top_k=50,
        )
    )
    assert all(
        not (s.start < planned[1] and planned[0] < s.end + timedelta(minutes=10))
        for s in answer.slots
    )
    assert answer.busy_age_minutes == pytest.approx(95.0)
    assert answer.to_json()["busyAgeMinutes"] == 95.0


def test_hour_scores_from_heatmap_pool_by_day_type() -> None:
    """Mon 07:00 (mean 80, n 2) and Tue 07:00 (mean 50, n 1) pool to weekday 07:00 = 70 (n 3)."""
    scores: list[list[float | None]] = [[None] * 24 for _ in range(7)]
    counts = [[0] * 24 for _ in range(7)]
    scores[0][7], counts[0][7] = 80.0, 2
    scores[1][7], counts[1][7] = 50.0, 1
    scores[6][20], counts[6][20] = 65.0, 4
    heatmap = Heatmap(
        mean_performance=tuple(tuple(r) for r in scores),
        mean_score=tuple(tuple(r) for r in scores),
        sessions=tuple(tuple(r) for r in counts),
    )
    cells = {
        (c.day_type, c.hour): (c.mean_score, c.sessions) for c in hour_scores_from_heatmap(heatmap)
    }
    assert cells == {("weekday", 7): (pytest.approx(70.0), 3), ("weekend", 20): (65.0, 4)}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration_minutes": 10}, "duration_minutes"),
        ({"duration_minutes": 121}, "duration_minutes"),
        ({"days": 0}, "days"),
        ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"now": datetime(2025, 3, 3, 5, 0)}, "now"),
    ],
)
def test_bad_requests_name_the_field(kwargs: dict[str, object], field: str) -> None:
    """Each invalid input is a ValueError naming the field (the API turns it into a 422)."""
    base: dict[str, object] = {
        "now": MONDAY_5AM,
        "timezone": "Europe/Berlin",
        "duration_minutes": 60,
    }
    with pytest.raises(ValueError, match=field):
        SlotRequest(**{**base, **kwargs})  # type: ignore[arg-type]


def test_slot_json_is_what_the_table_stores() -> None:
    """recommendedSchedule carries start/end with offsets, local labels, score, reasons and conflicts."""
    answer = recommend_slots(
        SlotRequest(now=MONDAY_5AM, timezone="Europe/Berlin", duration_minutes=45, days=1, top_k=1)
    )
    data = answer.slots[0].to_json()
    assert data["start"] == "2025-03-03T06:00:00+01:00"
    assert data["durationMinutes"] == 45 and data["bufferMinutes"] == 10
    assert data["localStart"] == "06:00" and data["weekday"] == "Mon"
    assert set(data["reasons"]) >= {
        "historical",
        "availability",
        "preference",
        "recentSuccess",
        "weights",
    }  # type: ignore[arg-type]
    assert "scores" in answer.slots[0].reasoning_text()
    assert answer.slots[0].start.astimezone(UTC) == datetime(2025, 3, 3, 5, 0, tzinfo=UTC)
