"""The verdict: every rule of the decision, with arms built from known means and spreads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from twin.analysis.common import InsufficientData
from twin.analysis.experiments.definition import ExperimentDefinition, Variant
from twin.analysis.experiments.statistics import (
    ArmStatistic,
    DifferenceType,
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from twin.analysis.experiments.verdict import (
    AnalysisSettings,
    DecisionMethod,
    MetricRole,
    Outcome,
    Verdict,
    analyse_experiment,
)
from twin.enums import PersonalizationContext

START = datetime(2026, 3, 2, 0, 0)
END = START + timedelta(days=28)
RUNNING = START + timedelta(days=20)  # past the 14-day minimum, before the end
AFTER = END + timedelta(days=1)
N = 500


def arm(mean: float, sd: float, n: int = N) -> SampleMeanStatistic:
    """An arm with exactly this mean and sample sd: Σv = n·mean, Σv² = (n − 1)sd² + n·mean²."""
    return SampleMeanStatistic(n=n, sum=n * mean, sum_squares=(n - 1) * sd**2 + n * mean**2)


# With n = 500 per arm: retention 0.70 → 0.75 (sd 0.15) is z ≈ 5.3, beyond the sequential
# boundary at N = 1,000 and τ = 5,000 (≈ 3.4 standard errors); 0.70 → 0.705 is z ≈ 0.5.
# study_minutes 120 → 110 (sd 40) is z ≈ −4.0: a significant harm.
BETTER = arm(0.75, 0.15)
SAME = arm(0.705, 0.15)
WORSE = arm(0.65, 0.15)
CONTROL = arm(0.70, 0.15)
MINUTES = arm(120.0, 40.0)
MINUTES_HARMED = arm(110.0, 40.0)


def definition(**overrides: Any) -> ExperimentDefinition:
    fields: dict[str, Any] = {
        "name": "shorter missions",
        "context": PersonalizationContext.MISSION,
        "variants": (Variant("control", "Control", 1.0), Variant("short", "Short", 1.0)),
        "primary_metric": "retention",
        "guardrail_metrics": ("study_minutes",),
        "start": START,
        "end": END,
    }
    fields.update(overrides)
    return ExperimentDefinition(**fields)


def analyse(
    retention: dict[str, ArmStatistic],
    *,
    minutes: dict[str, ArmStatistic] | None = None,
    assigned: dict[str, int] | None = None,
    now: datetime = RUNNING,
    **kwargs: Any,
) -> Any:
    variants = list(retention)
    stats = {
        "retention": retention,
        "study_minutes": minutes or dict.fromkeys(variants, MINUTES),
    }
    counts = assigned or {v: retention[v].n for v in variants}
    return analyse_experiment(kwargs.pop("definition", definition()), counts, stats, now, **kwargs)


def test_winner_when_significant_clean_and_past_the_minimums() -> None:
    result = analyse({"control": CONTROL, "short": BETTER})
    assert result.verdict is Verdict.WINNER
    assert result.winner == "short"
    assert result.reasons[0].startswith("short beats the control on retention: +7.14%")
    primary = result.comparisons[0]
    assert primary.role is MetricRole.PRIMARY and primary.outcome is Outcome.BETTER
    assert primary.decision is primary.sequential
    # Relative effect 0.05/0.70 = 7.142857%; all three tests agree on it.
    for estimate in (
        primary.fixed.expected,
        primary.sequential.expected,
        primary.bayesian.expected,
    ):
        assert estimate == pytest.approx(0.05 / 0.70)
    assert primary.bayesian.chance_to_win > 0.999


def test_result_names_n_per_arm_dates_and_method() -> None:
    result = analyse({"control": CONTROL, "short": BETTER}, assigned={"control": 510, "short": 505})
    assert [(a.variant_id, a.assigned, a.analysed) for a in result.arms] == [
        ("control", 510, N),
        ("short", 505, N),
    ]
    assert (result.start, result.end, result.as_of) == (START, END, RUNNING)
    assert result.days_elapsed == 20 and not result.ended
    assert result.method is DecisionMethod.SEQUENTIAL
    assert "sequential" in result.method_description and "τ = 5000" in result.method_description
    assert "relative difference" in result.method_description
    assert result.srm.observed == (510, 505) and not result.srm.mismatch


def test_sample_ratio_mismatch_withholds_the_verdict() -> None:
    """560/440 on 50/50: χ² = 14.4, p = 1.5e-4 < 0.001 — even with a clear effect."""
    result = analyse({"control": CONTROL, "short": BETTER}, assigned={"control": 560, "short": 440})
    assert result.verdict is Verdict.INVALID and result.winner is None
    assert result.srm.p_value == pytest.approx(1.4777e-4, rel=1e-3)
    assert result.reasons[0].startswith("sample ratio mismatch: 560 observed vs 500.0 expected")
    assert "verdict is withheld" in result.reasons[0]


def test_keep_running_below_the_participant_minimum() -> None:
    small = {"control": arm(0.70, 0.15, 15), "short": arm(0.95, 0.05, 15)}
    result = analyse(small)
    assert result.verdict is Verdict.KEEP_RUNNING
    assert result.insufficient == (
        InsufficientData("participants in control", 15, 20),
        InsufficientData("participants in short", 15, 20),
    )


def test_keep_running_before_the_minimum_duration() -> None:
    result = analyse(
        {"control": CONTROL, "short": BETTER}, now=START + timedelta(days=13, hours=23)
    )
    assert result.verdict is Verdict.KEEP_RUNNING
    assert result.insufficient == (InsufficientData("days", 13, 14),)
    assert result.comparisons[0].outcome is Outcome.BETTER  # the numbers are still reported


def test_stopped_before_the_minimums_is_invalid() -> None:
    stopped = START + timedelta(days=5)
    result = analyse({"control": CONTROL, "short": BETTER}, now=RUNNING, stopped_at=stopped)
    assert result.verdict is Verdict.INVALID
    assert result.as_of == stopped and result.ended and result.days_elapsed == 5
    assert "ended before its minimums were met" in result.reasons[0]


def test_a_harmed_guardrail_blocks_the_winner() -> None:
    retention = {"control": CONTROL, "short": BETTER}
    minutes = {"control": MINUTES, "short": MINUTES_HARMED}
    running = analyse(retention, minutes=minutes)
    assert running.verdict is Verdict.KEEP_RUNNING
    guardrail = running.comparisons[1]
    assert guardrail.role is MetricRole.GUARDRAIL and guardrail.outcome is Outcome.WORSE
    assert "harms guardrail(s) study_minutes" in running.reasons[1]
    ended = analyse(retention, minutes=minutes, now=AFTER)
    assert ended.verdict is Verdict.NO_DIFFERENCE and ended.winner is None
    assert ended.as_of == END


def test_a_guardrail_improving_is_no_harm() -> None:
    minutes = {"control": MINUTES_HARMED, "short": MINUTES}
    assert analyse({"control": CONTROL, "short": BETTER}, minutes=minutes).winner == "short"


def test_inconclusive_keeps_running_then_ends_with_no_difference() -> None:
    retention = {"control": CONTROL, "short": SAME}
    running = analyse(retention)
    assert running.verdict is Verdict.KEEP_RUNNING
    assert "not significant" in running.reasons[1]
    assert analyse(retention, now=AFTER).verdict is Verdict.NO_DIFFERENCE


def test_control_wins_when_every_treatment_is_worse() -> None:
    result = analyse({"control": CONTROL, "short": WORSE})
    assert result.verdict is Verdict.WINNER and result.winner == "control"


def test_lower_is_better_metric() -> None:
    """struggle_rate 0.30 → 0.22 is a gain; the same change in retention would be a loss."""
    defn = definition(primary_metric="struggle_rate", guardrail_metrics=())
    stats = {"struggle_rate": {"control": arm(0.30, 0.15), "short": arm(0.22, 0.15)}}
    result = analyse_experiment(defn, {"control": N, "short": N}, stats, RUNNING)
    assert result.verdict is Verdict.WINNER and result.winner == "short"


def test_fixed_horizon_is_read_only_at_the_end() -> None:
    fixed = AnalysisSettings(method=DecisionMethod.FIXED_HORIZON)
    retention = {"control": CONTROL, "short": BETTER}
    running = analyse(retention, settings=fixed)
    assert running.verdict is Verdict.KEEP_RUNNING
    assert "read once, at the end" in running.reasons[0]
    ended = analyse(retention, settings=fixed, now=AFTER)
    assert ended.verdict is Verdict.WINNER
    assert ended.comparisons[0].decision is ended.comparisons[0].fixed


def test_fixed_horizon_detects_what_the_sequential_interval_cannot_yet() -> None:
    """z ≈ 2.6 (0.70 → 0.725): past 1.96 but inside the sequential boundary (≈ 3.4)."""
    retention = {"control": CONTROL, "short": arm(0.725, 0.15)}
    fixed = analyse(
        retention, now=AFTER, settings=AnalysisSettings(method=DecisionMethod.FIXED_HORIZON)
    )
    sequential = analyse(retention, now=AFTER)
    assert fixed.verdict is Verdict.WINNER
    assert sequential.verdict is Verdict.NO_DIFFERENCE
    # A sequential τ near the actual sample size tightens the boundary enough.
    tuned = analyse(
        retention, now=AFTER, settings=AnalysisSettings(sequential_tuning_parameter=1000)
    )
    assert tuned.comparisons[0].sequential.ci[1] - tuned.comparisons[0].sequential.ci[0] < (
        sequential.comparisons[0].sequential.ci[1] - sequential.comparisons[0].sequential.ci[0]
    )


def test_untestable_primary_at_the_end_is_invalid() -> None:
    constant = SampleMeanStatistic(n=N, sum=N * 1.0, sum_squares=N * 1.0)
    result = analyse({"control": constant, "short": constant}, now=AFTER)
    assert result.comparisons[0].outcome is Outcome.NOT_TESTABLE
    assert result.verdict is Verdict.INVALID
    assert "ZERO_NEGATIVE_VARIANCE" in result.reasons[1]


def test_several_treatments_the_largest_gain_wins() -> None:
    defn = definition(
        variants=(
            Variant("control", "Control", 1.0),
            Variant("short", "Short", 1.0),
            Variant("shorter", "Shorter", 1.0),
            Variant("off", "Switched off", 0.0),
        )
    )
    retention = {"control": CONTROL, "short": BETTER, "shorter": arm(0.78, 0.15)}
    result = analyse(retention, definition=defn)
    assert result.verdict is Verdict.WINNER and result.winner == "shorter"
    assert "also better: short" in result.reasons[0]
    assert {c.variant_id for c in result.comparisons} == {"short", "shorter"}
    assert result.arms[-1].analysed == 0 and result.srm.weights[-1] == 0.0


def test_absolute_mode_reports_in_the_metric_unit() -> None:
    result = analyse(
        {"control": CONTROL, "short": BETTER},
        settings=AnalysisSettings(difference_type=DifferenceType.ABSOLUTE),
    )
    assert result.comparisons[0].decision.expected == pytest.approx(0.05)
    assert "+0.05 fraction" in result.reasons[0]


def test_cuped_statistics_are_used_when_given() -> None:
    def cuped(mean: float) -> RegressionAdjustedStatistic:
        # Two units per arm would do; 4 keep the variance positive after adjustment.
        post = [mean - 0.1, mean + 0.1, mean - 0.05, mean + 0.05]
        pre = [0.5, 0.7, 0.55, 0.62]
        return RegressionAdjustedStatistic.from_values(post, pre)

    defn = definition(guardrail_metrics=(), min_participants_per_arm=2, cuped=True)
    stats = {"retention": {"control": cuped(0.7), "short": cuped(0.72)}}
    result = analyse_experiment(defn, {"control": 4, "short": 4}, stats, RUNNING)
    assert result.comparisons[0].cuped
    assert "CUPED" in result.method_description


def test_inputs_must_cover_the_definition() -> None:
    defn = definition()
    with pytest.raises(ValueError, match="no statistics for metric 'study_minutes'"):
        analyse_experiment(defn, {}, {"retention": {"control": CONTROL, "short": BETTER}}, RUNNING)
    with pytest.raises(ValueError, match="no statistics for variant 'short'"):
        analyse_experiment(
            defn, {}, {"retention": {"control": CONTROL}, "study_minutes": {}}, RUNNING
        )
    with pytest.raises(ValueError, match="unknown variant ids \\['ghost'\\]"):
        analyse({"control": CONTROL, "short": BETTER}, assigned={"ghost": 3})
    with pytest.raises(ValueError, match="retention is a sample_mean metric"):
        analyse(
            {"control": ProportionStatistic(n=10, sum=3), "short": ProportionStatistic(n=10, sum=4)}
        )


def test_now_must_match_the_definition_time_form() -> None:
    with pytest.raises(ValueError, match="now must be naive or aware"):
        analyse({"control": CONTROL, "short": BETTER}, now=RUNNING.replace(tzinfo=UTC))


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="srm_p_value_threshold"):
        AnalysisSettings(srm_p_value_threshold=0.0)
    with pytest.raises(ValueError, match="tuning_parameter"):
        AnalysisSettings(sequential_tuning_parameter=-1.0)


def test_absolute_welch_is_reported_beside_the_relative_one() -> None:
    """fixed_absolute is the Welch test in the metric's unit, whatever the difference type."""
    from twin.analysis.experiments.frequentist import FrequentistConfig, welch_ttest
    from twin.analysis.experiments.statistics import DifferenceType, SampleMeanStatistic

    control = SampleMeanStatistic.from_values([10.0, 12.0, 11.0, 9.0, 13.0])
    treatment = SampleMeanStatistic.from_values([12.0, 14.0, 13.0, 11.0, 15.0])
    from twin.analysis.experiments.metrics import METRICS
    from twin.analysis.experiments.verdict import AnalysisSettings, MetricRole, compare_metric

    comparison = compare_metric(
        METRICS["performance"],
        MetricRole.PRIMARY,
        "a",
        "b",
        control,
        treatment,
        AnalysisSettings(),
    )
    assert comparison.fixed.difference_type is DifferenceType.RELATIVE
    assert comparison.fixed_absolute == welch_ttest(
        control, treatment, FrequentistConfig(difference_type=DifferenceType.ABSOLUTE)
    )
    # Means 11 and 13: +2 points absolute, +2/11 relative.
    assert comparison.fixed_absolute.expected == pytest.approx(2.0)
    assert comparison.fixed.expected == pytest.approx(2.0 / 11.0)
