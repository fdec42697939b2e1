"""Each metric from a period's counts (golden values by hand), periods, the stored document, τ."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.experiments.definition import ExperimentDefinition, Variant
from twin.analysis.experiments.metrics import (
    METRICS,
    MetricSums,
    MetricValue,
    PeriodCounts,
    arm_statistic,
    metric_values,
)
from twin.analysis.experiments.periods import (
    PRE_PERIOD_DAYS,
    ParticipantMetrics,
    PeriodMetrics,
    analysis_end,
    participant_periods,
)
from twin.analysis.experiments.plan import (
    AnalysisPlan,
    minimum_participants,
    plan_problems,
    tuning_parameter,
)
from twin.analysis.experiments.statistics import (
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from twin.enums import PersonalizationContext

T = datetime(2026, 3, 10, 12)


def test_golden_values_from_counts() -> None:
    counts = PeriodCounts(
        days=14.0,
        reviews=40,
        good_reviews=26,
        repeat_reviews=30,
        recalled_repeat_reviews=24,
        validations=10,
        validation_score_sum=7.0,
        sessions=6,
        study_minutes=280.0,
        sessions_last_week=2,
        objectives_planned=12,
        objectives_completed=9,
        struggle_outcomes=4,
        struggles=1,
        feedback_helpful=3,
        feedback_not_helpful=1,
        feedback_just_right=2,
        feedback_difficulty_off=2,
    )
    values = metric_values(counts)
    assert values["retention"] == MetricValue(24 / 30, 30)  # 0.8 recall on repeats
    assert values["performance"] == MetricValue(100 * (26 + 7) / 50, 50)  # 66 points
    assert values["completion"] == MetricValue(0.75, 12)
    assert values["study_minutes"] == MetricValue(140.0, 6)  # 280 min over 2 weeks
    assert values["struggle_rate"] == MetricValue(0.25, 4)
    # (3·1 + 1·0 + 2·1 + 2·0.25) / 8 = 5.5/8 (the personalization reward's mapping)
    assert values["satisfaction"] == MetricValue(5.5 / 8, 8)
    assert values["active_last_week"] == MetricValue(1.0, 2)
    assert set(values) == set(METRICS)


def test_no_data_means_no_value_not_zero() -> None:
    values = metric_values(PeriodCounts(days=7.0))
    for name in ("retention", "performance", "completion", "struggle_rate", "satisfaction"):
        assert values[name] == MetricValue(None, 0), name
    # Not studying is a value: 0 minutes a week, inactive.
    assert values["study_minutes"] == MetricValue(0.0, 0)
    assert values["active_last_week"] == MetricValue(0.0, 0)
    # A rate over less than a day is noise: no value.
    assert metric_values(PeriodCounts(days=0.5))["study_minutes"].value is None


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="recalled_repeat_reviews cannot exceed repeat_reviews"):
        PeriodCounts(days=1.0, reviews=3, repeat_reviews=1, recalled_repeat_reviews=2)
    with pytest.raises(ValueError, match="days must be a finite number"):
        PeriodCounts(days=-1.0)


# No deadline: the first example pays scipy/numpy warm-up, and the machine is shared.
@settings(deadline=None)
@given(
    reviews=st.integers(0, 500),
    good=st.floats(0, 1),
    repeats=st.floats(0, 1),
    recalled=st.floats(0, 1),
    validations=st.integers(0, 50),
    score=st.floats(0, 1),
    days=st.floats(0, 60),
    minutes=st.floats(0, 5000),
)
def test_every_value_is_in_its_metrics_range(
    reviews: int,
    good: float,
    repeats: float,
    recalled: float,
    validations: int,
    score: float,
    days: float,
    minutes: float,
) -> None:
    n_repeats = int(repeats * reviews)
    counts = PeriodCounts(
        days=days,
        reviews=reviews,
        good_reviews=int(good * reviews),
        repeat_reviews=n_repeats,
        recalled_repeat_reviews=int(recalled * n_repeats),
        validations=validations,
        validation_score_sum=score * validations,
        sessions=3,
        study_minutes=minutes,
    )
    for name, value in metric_values(counts).items():
        if value.value is not None:
            METRICS[name].check_value(value.value)


def test_periods_around_the_assignment() -> None:
    periods = participant_periods(T, T + timedelta(days=5))
    assert periods is not None
    assert periods.pre.start == T - timedelta(days=PRE_PERIOD_DAYS) and periods.pre.end == T
    assert periods.post.start == T and periods.post.days == 5.0
    assert participant_periods(T, T) is None  # assigned at the as-of time: nothing to measure
    end, stop = T + timedelta(days=20), T + timedelta(days=3)
    assert analysis_end(T + timedelta(days=30), end, None) == end
    assert analysis_end(T + timedelta(days=30), end, stop) == stop
    assert analysis_end(T + timedelta(days=1), end, stop) == T + timedelta(days=1)


def test_document_round_trip_and_shape() -> None:
    periods = participant_periods(T, T + timedelta(days=7))
    assert periods is not None
    counts = PeriodCounts(days=7.0, reviews=4, good_reviews=3, repeat_reviews=2)
    doc = ParticipantMetrics(
        as_of=T + timedelta(days=7),
        pre=PeriodMetrics(periods.pre, metric_values(PeriodCounts(days=14.0))),
        post=PeriodMetrics(periods.post, metric_values(counts)),
    )
    stored = doc.to_json()
    assert stored["version"] == 1 and stored["asOf"] == "2026-03-17T12:00:00.000Z"
    assert stored["post"]["values"]["performance"] == 75.0
    assert stored["post"]["n"]["retention"] == 2 and stored["pre"]["values"]["retention"] is None
    assert stored["pre"]["days"] == 14.0
    assert ParticipantMetrics.from_json(stored) == doc
    with pytest.raises(ValueError, match="unsupported metrics document version"):
        ParticipantMetrics.from_json({**stored, "version": 99})
    with pytest.raises(ValueError, match="retention: value must be in"):
        PeriodMetrics(periods.post, {"retention": MetricValue(1.5, 3)})


def _definition(arms: int, per_arm: int = 20) -> ExperimentDefinition:
    return ExperimentDefinition(
        name="x",
        context=PersonalizationContext.MISSION,
        variants=tuple(Variant(f"v{i}", f"V{i}", 1.0) for i in range(arms)),
        primary_metric="performance",
        start=T,
        end=T + timedelta(days=28),
        min_participants_per_arm=per_arm,
    )


def test_tau_is_the_expected_participants_with_a_floor() -> None:
    two = _definition(2)
    assert minimum_participants(two) == 40 and minimum_participants(_definition(3, 30)) == 90
    assert tuning_parameter(two, AnalysisPlan(expected_participants=400), 10_000) == 400.0
    assert tuning_parameter(two, AnalysisPlan(), 1_234) == 1_234.0  # the eligible learners
    assert tuning_parameter(two, AnalysisPlan(), 7) == 40.0  # never below the verdict's minimum
    assert plan_problems(AnalysisPlan(expected_participants=0))[0].field == "expectedParticipants"
    assert plan_problems(AnalysisPlan(expected_participants=5)) == ()


def test_arm_statistic_from_sums() -> None:
    """An arm's SQL sums become the statistic its metric's kind asks for (by hand).

    study_minutes (sample mean) over values 10, 20, 30: Σv = 60, Σv² = 1400 → mean 20,
    sample variance (1400 − 60²/3)/2 = 100. active_last_week (proportion) 2 of 3 → 2/3;
    with CUPED the same sums plus the pre-period ones give a regression-adjusted arm; an arm
    with nobody measured is an empty statistic of the same kind; a sum of squares a hair
    below zero (float rounding of all-zero values) counts as 0.
    """
    minutes = MetricSums(3, 60.0, 1400.0, 30.0, 350.0, 700.0, 3)
    plain = arm_statistic("study_minutes", minutes, cuped=False)
    assert isinstance(plain, SampleMeanStatistic)
    assert (plain.n, plain.mean, plain.variance) == (3, 20.0, 100.0)
    cuped = arm_statistic("study_minutes", minutes, cuped=True)
    assert isinstance(cuped, RegressionAdjustedStatistic)
    assert (cuped.pre.mean, cuped.post.mean) == (10.0, 20.0)
    active = arm_statistic("active_last_week", MetricSums(3, 2.0, 2.0, 0, 0, 0, 0), cuped=False)
    assert isinstance(active, ProportionStatistic) and active.mean == pytest.approx(2 / 3)
    empty = arm_statistic("active_last_week", MetricSums(0, 0, 0, 0, 0, 0, 0), cuped=False)
    assert isinstance(empty, ProportionStatistic) and empty.n == 0
    zeros = arm_statistic("study_minutes", MetricSums(2, 0.0, -1e-18, 0, 0, 0, 0), cuped=False)
    assert isinstance(zeros, SampleMeanStatistic) and zeros.variance == 0.0
