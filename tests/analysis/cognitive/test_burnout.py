"""Burnout risk: golden fortnight, level and window edges, interventions, recovery, properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.cognitive.baseline import (
    fitted_drop,
    is_overloaded_day,
    level_change,
    rolling_loads,
)
from twin.analysis.cognitive.burnout import (
    BurnoutFactorName,
    DailyStudyAggregate,
    assess_burnout_risk,
    intensity_factor,
    is_recovery_day,
    peak_week_hours,
    recovery_deficit_factor,
    risk_level,
)
from twin.analysis.cognitive.burnout_advice import (
    SIGNAL_ADVICE,
    MissionOverride,
    recommendations_for,
)
from twin.analysis.cognitive.burnout_signals import WarningSignal, WarningSignalType
from twin.analysis.cognitive.recovery import AssessmentSnapshot, RecoveryDirection, track_recovery
from twin.enums import BurnoutRiskLevel, Severity

NOW = date(2025, 3, 14)
LONG_AGO = date(2024, 1, 1)


def _golden_fortnight() -> list[DailyStudyAggregate]:
    """14 days, 1–14 March 2025, built so each factor is a round number."""
    days = []
    for i in range(14):
        second_week = i >= 7
        days.append(
            DailyStudyAggregate(
                day=date(2025, 3, 1) + timedelta(days=i),
                study_minutes=180.0,
                mean_load=70.0 if second_week else 30.0,
                sessions_planned=2,
                sessions_completed=1 if second_week else 2,
                sessions_skipped=1 if second_week else 0,
                mean_performance=80.0 - i,
                engagement=70.0,
                late_night_minutes=45.0 if i in (9, 10, 11, 12) else 0.0,
            )
        )
    return days


def test_golden_fortnight() -> None:
    """Each factor and the risk, computed by hand."""
    result = assess_burnout_risk(_golden_fortnight(), NOW, history_start=LONG_AGO)
    f = {factor.name: factor for factor in result.factors}
    # 180 min × 7 days = 21 h in either week: (21 − 10) / (25 − 10) · 100 = 73.33
    assert f[BurnoutFactorName.INTENSITY].value == pytest.approx(21.0)
    assert f[BurnoutFactorName.INTENSITY].score == pytest.approx(73.333333, rel=1e-6)
    # performance 80, 79, …, 67: the fitted line falls 1/day × 13 days = 13 → 13/20 · 100 = 65
    assert f[BurnoutFactorName.PERFORMANCE_DECLINE].value == pytest.approx(13.0)
    assert f[BurnoutFactorName.PERFORMANCE_DECLINE].score == pytest.approx(65.0)
    # 7 of 14 days above 60: share 0.5 → 100
    assert f[BurnoutFactorName.CHRONIC_LOAD].value == pytest.approx(0.5)
    assert f[BurnoutFactorName.CHRONIC_LOAD].score == pytest.approx(100.0)
    # 7 of 28 planned sessions not done: 0.25 / 0.5 · 100 = 50
    assert f[BurnoutFactorName.IRREGULARITY].value == pytest.approx(0.25)
    assert f[BurnoutFactorName.IRREGULARITY].score == pytest.approx(50.0)
    # flat engagement: no decay
    assert f[BurnoutFactorName.ENGAGEMENT_DECAY].score == pytest.approx(0.0)
    # 7 days at load 30 ≥ the 4 recovery days needed in 14: no deficit
    assert f[BurnoutFactorName.RECOVERY_DEFICIT].score == pytest.approx(0.0)
    # 0.20·73.33 + 0.25·65 + 0.25·100 + 0.15·50 = 14.667 + 16.25 + 25 + 7.5 = 63.417
    assert result.risk_score == pytest.approx(63.416667, rel=1e-6)
    assert result.level is BurnoutRiskLevel.HIGH
    assert result.confidence == pytest.approx(1.0)
    assert result.insufficient is None
    assert (result.window_start, result.window_end) == (date(2025, 3, 1), NOW)

    signals = {s.type: s for s in result.warning_signals}
    assert set(signals) == {
        WarningSignalType.CHRONIC_OVERLOAD,
        WarningSignalType.PERFORMANCE_DROP,
        WarningSignalType.IRREGULAR_PATTERN,
        WarningSignalType.LATE_NIGHT_STUDY,
    }
    assert signals[WarningSignalType.CHRONIC_OVERLOAD].severity is Severity.CRITICAL  # factor 100
    assert signals[WarningSignalType.PERFORMANCE_DROP].severity is Severity.HIGH  # factor 65
    assert signals[WarningSignalType.IRREGULAR_PATTERN].severity is Severity.MEDIUM  # factor 50
    # 4 late-night days: 4/7 · 100 = 57 → MEDIUM
    assert signals[WarningSignalType.LATE_NIGHT_STUDY].severity is Severity.MEDIUM
    assert signals[WarningSignalType.LATE_NIGHT_STUDY].evidence["lateNightMinutes"] == 180.0

    assert result.mission_override is not None
    assert result.mission_override == MissionOverride(
        max_minutes=30, new_content=False, review_only=True, rest_days=1, rest_within_hours=48
    )


def test_json_shapes() -> None:
    """contributingFactors / warningSignals are JSON arrays of plain objects."""
    result = assess_burnout_risk(_golden_fortnight(), NOW, history_start=LONG_AGO)
    factors = result.contributing_factors_json()
    assert [f["factor"] for f in factors] == [n.value for n in BurnoutFactorName]
    assert factors[2]["contribution"] == 25.0
    assert sum(f["weight"] for f in factors) == pytest.approx(1.0)
    assert all(
        {"type", "severity", "message", "evidence"} <= set(s) for s in result.warning_signals_json()
    )
    assert all(isinstance(r, str) for r in result.recommendations)


def test_factor_scalings() -> None:
    """The calibration points of the factor functions."""
    assert intensity_factor(10.0) == 0.0
    assert intensity_factor(17.5) == pytest.approx(50.0)  # halfway between 10 and 25
    assert intensity_factor(25.0) == 100.0
    assert intensity_factor(40.0) == 100.0
    assert recovery_deficit_factor(0, 14) == 100.0
    assert recovery_deficit_factor(2, 14) == pytest.approx(50.0)  # 2 of the 4 needed
    assert recovery_deficit_factor(4, 14) == 0.0
    # 80, 78, …, 70 on days 0, 1, 2, 4, 5, 6 lie on a line of slope −2/day (day 3 missing):
    # the line falls 2 × 6 = 12 points across the observed span of 6 days
    days = [0, 1, 2, 4, 5, 6]
    assert fitted_drop(days, [80.0 - 2 * d for d in days]) == pytest.approx(12.0)
    assert fitted_drop([0, 1, 2, 3, 4], [80.0, 70.0, 60.0, 50.0, 40.0]) is None  # fewer than 6 days
    # rising values are a negative drop (the factor then scores 0)
    assert fitted_drop(days, [60.0 + d for d in days]) == pytest.approx(-6.0)


def test_peak_week_is_the_busier_week() -> None:
    """7 calm days at 60 min and 7 busy days at 240 min: the busy week's 28 h, not the mean 17.5 h."""
    days = [
        DailyStudyAggregate(
            day=NOW - timedelta(days=13 - i), study_minutes=60.0 if i < 7 else 240.0
        )
        for i in range(14)
    ]
    assert peak_week_hours(days) == pytest.approx(28.0)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, BurnoutRiskLevel.LOW),
        (24.999, BurnoutRiskLevel.LOW),
        (25.0, BurnoutRiskLevel.MEDIUM),
        (49.999, BurnoutRiskLevel.MEDIUM),
        (50.0, BurnoutRiskLevel.HIGH),
        (74.999, BurnoutRiskLevel.HIGH),
        (75.0, BurnoutRiskLevel.CRITICAL),
    ],
)
def test_level_edges(score: float, level: BurnoutRiskLevel) -> None:
    """25 is MEDIUM, 50 HIGH, 75 CRITICAL."""
    assert risk_level(score) is level


def _overloaded_on(day: date) -> DailyStudyAggregate:
    return DailyStudyAggregate(day=day, study_minutes=60.0, mean_load=90.0)


@pytest.mark.parametrize(
    ("offset_days", "counted"),
    [(0, True), (13, True), (14, False), (-1, False)],
)
def test_window_edges(offset_days: int, counted: bool) -> None:
    """The window is now−13 … now inclusive; now−14 and the future are outside."""
    record = _overloaded_on(NOW - timedelta(days=offset_days))
    result = assess_burnout_risk([record], NOW, history_start=LONG_AGO)
    chronic = next(f for f in result.factors if f.name is BurnoutFactorName.CHRONIC_LOAD)
    assert chronic.evidence["overloadedDays"] == (1 if counted else 0)


def test_datetime_now_counts_as_its_date() -> None:
    """A datetime ``now`` gives the same window as its date."""
    record = _overloaded_on(NOW - timedelta(days=13))
    by_date = assess_burnout_risk([record], NOW, history_start=LONG_AGO)
    by_datetime = assess_burnout_risk(
        [record], datetime(2025, 3, 14, 23, 59), history_start=LONG_AGO
    )
    assert by_date == by_datetime


def test_short_history_is_an_answer_with_low_confidence() -> None:
    """4 covered days: insufficient-data note, coverage 4/14 in the confidence."""
    days = [_overloaded_on(NOW - timedelta(days=i)) for i in range(4)]
    result = assess_burnout_risk(days, NOW, history_start=NOW - timedelta(days=3))
    assert result.covered_days == 4
    assert result.insufficient is not None
    assert result.insufficient.to_json() == {"days": {"have": 4, "need": 7}}
    # coverage 4/14; measured weight 0.20 + 0.25 + 0.05 = 0.50 (no performance, plans, engagement)
    # 4/14 × (0.4 + 0.6 × 0.5) = 0.2
    assert result.confidence == pytest.approx(0.2)


def test_no_data_is_low_risk_with_zero_confidence() -> None:
    """Nothing recorded: LOW, confidence 0, and the minimum that is missing."""
    result = assess_burnout_risk([], NOW)
    assert result.level is BurnoutRiskLevel.LOW
    assert result.risk_score == 0.0
    assert result.confidence == 0.0
    assert result.insufficient is not None


def test_days_without_records_are_rest_days() -> None:
    """Inside the covered span a missing day is a day off: it counts as recovery."""
    days = [
        DailyStudyAggregate(day=NOW - timedelta(days=i), study_minutes=200, mean_load=70.0)
        for i in (0, 2, 4)
    ]
    result = assess_burnout_risk(days, NOW, history_start=LONG_AGO)
    recovery = next(f for f in result.factors if f.name is BurnoutFactorName.RECOVERY_DEFICIT)
    assert recovery.evidence["recoveryDays"] == 11


def test_skipped_plans_are_not_recovery() -> None:
    """A planned day that was skipped is avoidance, not rest; an unplanned day off is rest."""
    skipped = DailyStudyAggregate(day=NOW, sessions_planned=2, sessions_skipped=2)
    assert not is_recovery_day(skipped)
    assert is_recovery_day(DailyStudyAggregate(day=NOW))
    assert is_recovery_day(DailyStudyAggregate(day=NOW, study_minutes=30.0, mean_load=39.9))
    assert not is_recovery_day(DailyStudyAggregate(day=NOW, study_minutes=30.0, mean_load=40.0))
    assert not is_recovery_day(DailyStudyAggregate(day=NOW, study_minutes=30.0))  # load unknown


@pytest.mark.parametrize(
    ("loads", "share", "score"),
    [
        # 3 study days, all above 60: 3 / max(3, 4) = 0.75 → 100 (the 4-day floor keeps it below 1)
        ([70.0, 70.0, 70.0], 0.75, 100.0),
        # 2 of 8 study days above 60: 0.25 / 0.5 · 100 = 50
        ([70.0, 70.0] + [30.0] * 6, 0.25, 50.0),
        # exactly 60 is not above 60
        ([60.0] * 8, 0.0, 0.0),
    ],
)
def test_chronic_share_is_over_study_days(loads: list[float], share: float, score: float) -> None:
    """Days without a load reading do not dilute the chronic-load share."""
    days = [
        DailyStudyAggregate(day=NOW - timedelta(days=i), study_minutes=60.0, mean_load=x)
        for i, x in enumerate(loads)
    ]
    result = assess_burnout_risk(days, NOW, history_start=LONG_AGO)
    chronic = next(f for f in result.factors if f.name is BurnoutFactorName.CHRONIC_LOAD)
    assert chronic.value == pytest.approx(share)
    assert chronic.score == pytest.approx(score)


def test_duplicate_days_are_rejected() -> None:
    """Two aggregates for one day is a service bug, not data."""
    with pytest.raises(ValueError, match="two aggregates"):
        assess_burnout_risk([_overloaded_on(NOW), _overloaded_on(NOW)], NOW)


def test_recovery_tracking() -> None:
    """Level changes decide first; otherwise a 5-point band separates STABLE from movement."""
    d0, d7 = date(2025, 3, 1), date(2025, 3, 8)
    better = track_recovery(
        AssessmentSnapshot(60.0, BurnoutRiskLevel.HIGH, d0),
        AssessmentSnapshot(45.0, BurnoutRiskLevel.MEDIUM, d7),
    )
    assert better.score_change == pytest.approx(-15.0)
    assert better.level_change == -1
    assert better.direction is RecoveryDirection.IMPROVING
    assert better.recovered
    assert better.days_between == 7
    crossing = track_recovery(
        AssessmentSnapshot(52.0, BurnoutRiskLevel.HIGH, d0),
        AssessmentSnapshot(49.0, BurnoutRiskLevel.MEDIUM, d7),
    )
    assert crossing.direction is RecoveryDirection.IMPROVING and crossing.recovered
    stable = track_recovery(
        AssessmentSnapshot(40.0, BurnoutRiskLevel.MEDIUM, d0),
        AssessmentSnapshot(44.9, BurnoutRiskLevel.MEDIUM, d7),
    )
    assert stable.direction is RecoveryDirection.STABLE and not stable.recovered
    worse = track_recovery(
        AssessmentSnapshot(30.0, BurnoutRiskLevel.MEDIUM, d0),
        AssessmentSnapshot(35.0, BurnoutRiskLevel.MEDIUM, d7),
    )
    assert worse.direction is RecoveryDirection.WORSENING
    assert worse.score_change == 5.0


# --- synthetic learners ----------------------------------------------------------


def _fortnight(rng: np.random.Generator, *, overload: bool) -> list[DailyStudyAggregate]:
    """14 simulated days: an overload episode or a calm fortnight."""
    days = []
    for i in range(14):
        day = NOW - timedelta(days=13 - i)
        if overload:
            planned = 3
            completed = int(rng.integers(1, 3))  # 1 or 2 of 3: skipped sessions every day
            days.append(
                DailyStudyAggregate(
                    day=day,
                    study_minutes=float(rng.uniform(270, 330)),  # 4.5–5.5 h
                    mean_load=float(np.clip(rng.normal(72, 6), 0, 100)),
                    sessions_planned=planned,
                    sessions_completed=completed,
                    sessions_skipped=planned - completed,
                    mean_performance=float(80 - 1.5 * i + rng.normal(0, 4)),
                    engagement=float(75 - 1.0 * i + rng.normal(0, 4)),
                    late_night_minutes=float(rng.choice([0.0, 60.0])),
                )
            )
        elif i % 7 in (5, 6):  # weekends off
            days.append(DailyStudyAggregate(day=day))
        else:
            days.append(
                DailyStudyAggregate(
                    day=day,
                    study_minutes=float(rng.uniform(60, 120)),
                    mean_load=float(np.clip(rng.normal(28, 7), 0, 100)),
                    sessions_planned=2,
                    sessions_completed=2,
                    mean_performance=float(78 + rng.normal(0, 4)),
                    engagement=float(72 + rng.normal(0, 4)),
                )
            )
    return days


def test_simulated_overload_episode_is_high_or_critical() -> None:
    """Heavy hours, load > 60 most days, skipped sessions, falling performance → HIGH or CRITICAL."""
    rng = np.random.default_rng(20250314)
    for _ in range(20):
        result = assess_burnout_risk(_fortnight(rng, overload=True), NOW, history_start=LONG_AGO)
        assert result.level in (BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL), result.risk_score
        assert result.mission_override is not None


def test_simulated_calm_fortnight_is_low() -> None:
    """1–2 h on weekdays, weekends off, low load, steady performance → LOW."""
    rng = np.random.default_rng(20250315)
    for _ in range(20):
        result = assess_burnout_risk(_fortnight(rng, overload=False), NOW, history_start=LONG_AGO)
        assert result.level is BurnoutRiskLevel.LOW, result.risk_score
        assert result.mission_override is None


# --- properties ---------------------------------------------------------------

_maybe_score = st.none() | st.floats(min_value=0.0, max_value=100.0)


@st.composite
def fortnights(draw: st.DrawFn) -> list[DailyStudyAggregate]:
    """Arbitrary aggregates for some of the window's days."""
    offsets = draw(st.sets(st.integers(min_value=0, max_value=20), max_size=14))
    days = []
    for offset in offsets:
        planned = draw(st.integers(min_value=0, max_value=5))
        days.append(
            DailyStudyAggregate(
                day=NOW - timedelta(days=offset),
                study_minutes=draw(st.floats(min_value=0.0, max_value=900.0)),
                mean_load=draw(_maybe_score),
                sessions_planned=planned,
                sessions_completed=draw(st.integers(min_value=0, max_value=planned + 1)),
                sessions_skipped=draw(st.integers(min_value=0, max_value=planned)),
                mean_performance=draw(_maybe_score),
                engagement=draw(_maybe_score),
                late_night_minutes=draw(st.floats(min_value=0.0, max_value=300.0)),
            )
        )
    return days


@given(fortnights(), st.booleans())
def test_risk_stays_in_range(days: list[DailyStudyAggregate], known_start: bool) -> None:
    """Risk and every factor in [0, 100], confidence in [0, 1], level matches the score."""
    result = assess_burnout_risk(days, NOW, history_start=LONG_AGO if known_start else None)
    assert 0.0 <= result.risk_score <= 100.0
    assert all(0.0 <= f.score <= 100.0 for f in result.factors)
    assert 0.0 <= result.confidence <= 1.0
    assert result.level is risk_level(result.risk_score)


# --- the reference period (issue 14: sustained overload) ------------------------------------

WINDOW_START = NOW - timedelta(days=13)


def _day(offset: int, **kw: float) -> DailyStudyAggregate:
    """A study day ``offset`` days after the window's first day (negative: the reference)."""
    values: dict[str, float] = {"study_minutes": 60.0, "mean_load": 30.0, "mean_performance": 80.0}
    values.update(kw)
    return DailyStudyAggregate(day=WINDOW_START + timedelta(days=offset), **values)  # type: ignore[arg-type]


def test_a_drop_before_the_window_that_persists_counts_as_much_as_a_fresh_one() -> None:
    """Reference 80 for 28 days, the whole window flat at 58: nothing falls inside the window
    (fitted drop 0), but the level is 22 below the earlier one → decline factor 100 (≥ 20 points)."""
    reference = [_day(-28 + i) for i in range(28)]
    window = [_day(i, mean_performance=58.0) for i in range(14)]
    without = assess_burnout_risk(window, NOW, history_start=LONG_AGO)
    perf0 = next(f for f in without.factors if f.name is BurnoutFactorName.PERFORMANCE_DECLINE)
    assert perf0.value == pytest.approx(0.0, abs=1e-9) and perf0.score == 0.0
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    perf = next(f for f in result.factors if f.name is BurnoutFactorName.PERFORMANCE_DECLINE)
    assert perf.evidence["referenceLevel"] == 80.0 and perf.evidence["recentLevel"] == 58.0
    assert perf.value == pytest.approx(22.0) and perf.score == 100.0
    assert perf.evidence["basis"] == "reference"
    (signal,) = [s for s in result.warning_signals if s.type is WarningSignalType.PERFORMANCE_DROP]
    assert (
        signal.message
        == "Performance is about 22 points below your level of the weeks before (58 vs 80)."
    )


def test_reference_days_outside_the_28_before_the_window_are_ignored() -> None:
    """Days in the window or more than 28 days before it do not make the reference level."""
    old = [_day(-40 + i, mean_performance=20.0) for i in range(10)]
    window = [_day(i, mean_performance=58.0) for i in range(14)]
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=old + window)
    perf = next(f for f in result.factors if f.name is BurnoutFactorName.PERFORMANCE_DECLINE)
    assert perf.evidence["referenceLevel"] is None and perf.evidence["referenceDays"] == 0


def test_a_fitted_decline_needs_the_last_week_below_the_reference_golden() -> None:
    """A line through the window falls 26 points, but the last week is only 5 below the reference:
    the fitted drop counts at most 3 × 5 = 15 → factor 75. Without a reference, all 26 count."""
    reference = [_day(-28 + i, mean_performance=70.0) for i in range(28)]
    window = [_day(i, mean_performance=85.0 - 2.0 * i) for i in range(14)]
    level = level_change([d.mean_performance for d in window], [70.0] * 28)
    assert level.fitted_drop == pytest.approx(26.0)
    assert level.recent_level == pytest.approx(np.mean([85.0 - 2.0 * i for i in range(7, 14)]))
    assert level.sustained_drop == pytest.approx(70.0 - 65.0)
    assert level.confirmed_fitted_drop == pytest.approx(15.0)
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    perf = next(f for f in result.factors if f.name is BurnoutFactorName.PERFORMANCE_DECLINE)
    assert perf.score == pytest.approx(75.0)


def test_chronic_load_against_the_reference_level_golden() -> None:
    """Reference load 20; window days at 42 (3-day median 42 ≥ 20 + 15) count as overloaded from
    the third such day on; two such days alone do not (a day or two above usual is not chronic)."""
    reference = [_day(-28 + i, mean_load=20.0) for i in range(28)]
    four = [_day(i, mean_load=42.0 if i >= 10 else 20.0) for i in range(14)]
    result = assess_burnout_risk(four, NOW, history_start=LONG_AGO, reference=reference)
    chronic = next(f for f in result.factors if f.name is BurnoutFactorName.CHRONIC_LOAD)
    # Days 10-13 at 42: the 3-day medians are 20, 42, 42, 42 → days 11, 12, 13: 3 of 14.
    assert chronic.evidence["overloadedDays"] == 3 and chronic.evidence["daysAbove60"] == 0
    assert chronic.value == pytest.approx(3 / 14)
    two = [_day(i, mean_load=42.0 if i >= 12 else 20.0) for i in range(14)]
    chronic2 = next(
        f
        for f in assess_burnout_risk(two, NOW, history_start=LONG_AGO, reference=reference).factors
        if f.name is BurnoutFactorName.CHRONIC_LOAD
    )
    assert chronic2.evidence["overloadedDays"] == 0
    assert rolling_loads([_day(-1, mean_load=10.0)], [_day(0, mean_load=40.0), _day(1)]) == [
        25.0,
        30.0,
    ]
    assert is_overloaded_day(61.0, None) and not is_overloaded_day(39.0, 0.0, 60.0)


def test_the_issue_learner_is_not_told_to_keep_going() -> None:
    """Four weeks of long late-night sessions, performance 22 below the earlier level, the load
    baseline drifting down (51 → 13, no day above 60): not LOW, and the advice names the
    CRITICAL late-night sign first instead of "Keep going"."""
    reference = [_day(-28 + i, mean_load=51.0 - i, mean_performance=82.0) for i in range(28)]
    window = [
        _day(
            i,
            study_minutes=200.0,
            mean_load=max(13.0, 23.0 - i),
            mean_performance=60.0,
            late_night_minutes=60.0 if i % 3 else 0.0,
        )
        for i in range(14)
    ]
    before = assess_burnout_risk(window, NOW, history_start=LONG_AGO)
    assert before.level is BurnoutRiskLevel.LOW  # what the source said
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    assert result.level is not BurnoutRiskLevel.LOW
    late = next(s for s in result.warning_signals if s.type is WarningSignalType.LATE_NIGHT_STUDY)
    assert late.severity is Severity.CRITICAL
    assert not any("Keep going" in r for r in result.recommendations)
    # Late night at CRITICAL with performance 22 below the earlier level: the serious-signal
    # floor makes it HIGH (rest day, review only), and the late-night advice is there.
    assert result.level is BurnoutRiskLevel.HIGH
    assert result.recommendations[0].startswith("Take a rest day")
    assert SIGNAL_ADVICE[WarningSignalType.LATE_NIGHT_STUDY] in result.recommendations


# --- the serious-signal floor (issue 14: sustained overload whose load stays calm) -----------


def _calm_load_decline(
    perf: float = 58.0, engagement: float = 70.0, late: float = 0.0
) -> tuple[list[DailyStudyAggregate], list[DailyStudyAggregate]]:
    """28 reference days (performance 80, engagement 70, load 30) and a window at load 30, 60 min
    a day (intensity 0, chronic 0, every day a recovery day unless studied late)."""
    reference = [_day(-28 + i, engagement=70.0) for i in range(28)]
    window = [
        _day(
            i,
            mean_performance=perf,
            engagement=engagement,
            late_night_minutes=late,
        )
        for i in range(14)
    ]
    return reference, window


def test_two_independent_critical_signs_raise_a_medium_score_to_high_golden() -> None:
    """Performance 22 below the earlier level (factor 100) and half of the planned sessions
    skipped (factor 100; skipped days are no rest: recovery factor 100), load calm: the weighted
    score is 0.25·100 + 0.15·100 + 0.05·100 = 45 (MEDIUM); two independent CRITICAL signs put
    it at HIGH (score 50), the reason in both signs' messages, HIGH's mission limits."""
    reference, calm = _calm_load_decline()
    window = [replace(d, sessions_planned=2, sessions_completed=1) for d in calm]
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    weighted = sum(f.contribution for f in result.factors)
    assert weighted == pytest.approx(45.0)
    assert result.risk_score == 50.0 and result.level is BurnoutRiskLevel.HIGH
    assert result.floor_reason == (
        "Risk raised to HIGH: performance drop (CRITICAL) and irregular pattern (CRITICAL) "
        "together are serious whatever the weighted score."
    )
    raised = [s for s in result.warning_signals if "raisesLevelTo" in s.evidence]
    assert {s.type for s in raised} == {
        WarningSignalType.PERFORMANCE_DROP,
        WarningSignalType.IRREGULAR_PATTERN,
    }
    assert all(s.message.endswith(result.floor_reason) for s in raised)
    assert result.mission_override is not None and result.mission_override.review_only


def test_performance_and_engagement_count_as_one_sign() -> None:
    """Performance and engagement both 22 below the earlier level (both CRITICAL) come from the
    same sessions: one sign, no floor; the score decides, 0.25·100 + 0.10·100 = 35 (MEDIUM)."""
    reference, window = _calm_load_decline(engagement=48.0)
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    severities = {s.type: s.severity for s in result.warning_signals}
    assert severities[WarningSignalType.PERFORMANCE_DROP] is Severity.CRITICAL
    assert severities[WarningSignalType.ENGAGEMENT_LOSS] is Severity.CRITICAL
    assert result.risk_score == pytest.approx(35.0)
    assert result.level is BurnoutRiskLevel.MEDIUM and result.floor_reason is None


def test_late_night_critical_with_a_lasting_high_drop_raises_to_high_golden() -> None:
    """Every day 60 min after 23:00 (14 late days: CRITICAL; no recovery day: recovery factor 100)
    and performance 13 below the earlier level (factor 65: HIGH). Score 0.25·65 + 0.05·100 =
    21.25 (LOW) → HIGH."""
    reference, window = _calm_load_decline(perf=67.0, late=60.0)
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    assert sum(f.contribution for f in result.factors) == pytest.approx(21.25)
    assert result.level is BurnoutRiskLevel.HIGH
    assert result.floor_reason is not None
    assert "late night study (CRITICAL) and performance drop (HIGH)" in result.floor_reason


def test_the_floor_does_not_fire_on_one_critical_sign() -> None:
    """Performance 22 below the earlier level alone: score 25, MEDIUM, no floor."""
    reference, window = _calm_load_decline()
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    assert result.risk_score == pytest.approx(25.0)
    assert result.level is BurnoutRiskLevel.MEDIUM and result.floor_reason is None
    assert not any("raisesLevelTo" in s.evidence for s in result.warning_signals)


def test_the_floor_counts_late_night_and_no_recovery_once() -> None:
    """Late every night: LATE_NIGHT_STUDY and NO_RECOVERY both CRITICAL, but a late day is never a
    recovery day, so they are one sign: score 0.05·100 = 5, LOW."""
    reference, window = _calm_load_decline(perf=80.0, late=60.0)
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO, reference=reference)
    severities = {s.type: s.severity for s in result.warning_signals}
    assert severities[WarningSignalType.LATE_NIGHT_STUDY] is Severity.CRITICAL
    assert severities[WarningSignalType.NO_RECOVERY] is Severity.CRITICAL
    assert result.risk_score == pytest.approx(5.0)
    assert result.level is BurnoutRiskLevel.LOW and result.floor_reason is None


def test_the_floor_ignores_drops_fitted_inside_the_window() -> None:
    """Without a reference period, performance 80 → 54 fitted over the window (26 points:
    CRITICAL) with late study every night (CRITICAL) may be a noisy fortnight: no floor, the
    score decides (0.25·100 + 0.05·100 = 30, MEDIUM)."""
    window = [_day(i, mean_performance=80.0 - 2.0 * i, late_night_minutes=60.0) for i in range(14)]
    result = assess_burnout_risk(window, NOW, history_start=LONG_AGO)
    severities = {s.type: s.severity for s in result.warning_signals}
    assert severities[WarningSignalType.PERFORMANCE_DROP] is Severity.CRITICAL
    assert severities[WarningSignalType.LATE_NIGHT_STUDY] is Severity.CRITICAL
    assert result.risk_score == pytest.approx(30.0)
    assert result.level is BurnoutRiskLevel.MEDIUM and result.floor_reason is None


def test_late_night_days_are_not_recovery_days() -> None:
    """A light day (load 20) with 45 minutes after 23:00 is not rest; the same day without is."""
    assert is_recovery_day(DailyStudyAggregate(day=NOW, study_minutes=60, mean_load=20))
    assert not is_recovery_day(
        DailyStudyAggregate(day=NOW, study_minutes=60, mean_load=20, late_night_minutes=45)
    )


SEVERITIES = list(Severity)


@given(
    level=st.sampled_from(list(BurnoutRiskLevel)),
    severities=st.lists(st.sampled_from(SEVERITIES), max_size=6),
    minutes=st.floats(0, 400),
)
def test_advice_never_contradicts_a_serious_warning_sign(
    level: BurnoutRiskLevel, severities: list[Severity], minutes: float
) -> None:
    """Whatever the level: no "keep going" next to a HIGH/CRITICAL sign; below HIGH risk the first
    sentence names every serious sign; each sign's own advice is there, serious ones first."""
    types = list(WarningSignalType)
    signals = [WarningSignal(types[i % len(types)], sev, "m") for i, sev in enumerate(severities)]
    advice = recommendations_for(level, signals, minutes)
    serious = [s for s in signals if s.severity in (Severity.HIGH, Severity.CRITICAL)]
    if serious:
        assert not any("Keep going" in a for a in advice)
        if level in (BurnoutRiskLevel.LOW, BurnoutRiskLevel.MEDIUM):
            for s in serious:
                assert f"{s.type.value.replace('_', ' ').lower()} ({s.severity.value})" in advice[0]
    elif level is BurnoutRiskLevel.LOW:
        assert advice[0] == "Keep going: your current rhythm looks sustainable."
    tail = advice[-len(signals) :] if signals else ()
    assert sorted(tail) == sorted(SIGNAL_ADVICE[s.type] for s in signals)
    if serious:
        assert tail[0] == SIGNAL_ADVICE[serious[0].type]
