"""Sufficient statistics, pooled θ and the tests' invariants (golden values and hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from twin.analysis.experiments.bayesian import BayesianConfig, bayesian_effect
from twin.analysis.experiments.frequentist import (
    FrequentistConfig,
    SequentialConfig,
    sequential_rho,
    sequential_ttest,
    welch_ttest,
)
from twin.analysis.experiments.statistics import (
    DifferenceType,
    ErrorMessage,
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    StatisticKind,
    arm_pair,
    pooled_theta,
)

ABSOLUTE = DifferenceType.ABSOLUTE
RELATIVE = DifferenceType.RELATIVE

# Values rounded to 2 decimals keep the sums well conditioned, so the properties test the
# formulas rather than floating-point cancellation.
values = st.lists(
    st.floats(min_value=-50, max_value=50, allow_nan=False).map(lambda v: round(v, 2)),
    min_size=2,
    max_size=40,
)
positive_values = st.lists(
    st.floats(min_value=0.5, max_value=50, allow_nan=False).map(lambda v: round(v, 2)),
    min_size=2,
    max_size=40,
)
difference_types = st.sampled_from([ABSOLUTE, RELATIVE])


# --- value objects --------------------------------------------------------------------


def test_sample_mean_from_values_is_the_sql_aggregate() -> None:
    """count, Σv, Σv² by hand: 1 + 2 + 4 = 7, 1 + 4 + 16 = 21; var = (21 − 49/3)/2 = 7/3."""
    stat = SampleMeanStatistic.from_values([1.0, 2.0, 4.0])
    assert (stat.n, stat.sum, stat.sum_squares) == (3, 7.0, 21.0)
    assert stat.mean == pytest.approx(7 / 3)
    assert stat.variance == pytest.approx(7 / 3)


def test_proportion_variance_divides_by_n() -> None:
    """gbstats' p(1 − p): 3 of 10 converted → 0.21, not the 0/1 sample variance 0.2333."""
    stat = ProportionStatistic.from_values([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    assert stat.variance == pytest.approx(0.21)
    assert SampleMeanStatistic.from_values([1, 1, 1] + [0] * 7).variance == pytest.approx(0.7 / 3)


def test_empty_and_single_arms_have_zero_variance() -> None:
    assert SampleMeanStatistic(n=0, sum=0.0, sum_squares=0.0).mean == 0.0
    assert SampleMeanStatistic(n=1, sum=5.0, sum_squares=25.0).variance == 0.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SampleMeanStatistic(n=-1, sum=0.0, sum_squares=0.0), "n must be"),
        (
            lambda: SampleMeanStatistic(n=2, sum=math.nan, sum_squares=1.0),
            "sum must be a finite number",
        ),
        (lambda: SampleMeanStatistic(n=2, sum=1.0, sum_squares=-1.0), "sum_squares must be"),
        (lambda: SampleMeanStatistic(n=0, sum=1.0, sum_squares=1.0), "n = 0"),
        (lambda: ProportionStatistic(n=10, sum=11.0), "must be in \\[0, n = 10\\]"),
        (lambda: ProportionStatistic.from_values([0, 0.5]), "0 or 1"),
        (
            lambda: RegressionAdjustedStatistic.from_values([1.0, 2.0], [1.0]),
            "2 post values but 1 pre",
        ),
    ],
)
def test_invalid_statistics_are_refused(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_arms_of_different_kinds_cannot_be_compared() -> None:
    a = SampleMeanStatistic.from_values([1.0, 2.0])
    b = ProportionStatistic.from_values([0, 1])
    with pytest.raises(ValueError, match="same statistic"):
        welch_ttest(a, b)


def test_pooled_theta_by_hand() -> None:
    """Both arms together: x = (1, 2, 3, 4), y = (2, 4, 5, 9).

    Σx = 10, Σx² = 30, Σy = 20, Σxy = 2 + 8 + 15 + 36 = 61, n = 4.
    var(x) = (30 − 25)/3 = 5/3; cov = (61 − 50)/3 = 11/3; θ = 11/5 = 2.2.
    """
    a = RegressionAdjustedStatistic.from_values([2.0, 4.0], [1.0, 2.0])
    b = RegressionAdjustedStatistic.from_values([5.0, 9.0], [3.0, 4.0])
    assert pooled_theta(a, b) == pytest.approx(2.2)
    # Per-arm slopes are 2 and 4: pooling is not an average of them.
    assert pooled_theta(b, a) == pytest.approx(2.2)


def test_pooled_theta_is_zero_without_pre_period_variance() -> None:
    a = RegressionAdjustedStatistic.from_values([2.0, 4.0, 5.0], [1.0, 1.0, 1.0])
    b = RegressionAdjustedStatistic.from_values([5.0, 9.0, 7.0], [1.0, 1.0, 1.0])
    assert pooled_theta(a, b) == 0.0


def test_cuped_adjusted_arm_by_hand() -> None:
    """With θ = 2.2 (above), arm a: ȳ = 3, x̄ = 1.5 → mean 3 − 3.3 = −0.3.

    var(y) = 2, var(x) = 0.5, cov(y, x) = (10 − 6·3/2)/1 = 1 → 2 + 4.84·0.5 − 4.4·1 = 0.02.
    """
    a = RegressionAdjustedStatistic.from_values([2.0, 4.0], [1.0, 2.0])
    b = RegressionAdjustedStatistic.from_values([5.0, 9.0], [3.0, 4.0])
    pair = arm_pair(a, b)
    assert pair.theta == pytest.approx(2.2)
    assert pair.a.mean == pytest.approx(-0.3)
    assert pair.a.unadjusted_mean == pytest.approx(3.0)
    assert pair.a.variance == pytest.approx(0.02)


def test_sequential_rho_by_hand() -> None:
    """α = 0.05, τ = 5000: −2 ln α = 5.9915, ln(1 + 5.9915) = 1.9447 → ρ = √(7.9362/5000)."""
    assert sequential_rho(0.05, 5000.0) == pytest.approx(math.sqrt(7.93617 / 5000), rel=1e-5)


# --- invariants of the tests -----------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(a=values, b=values)
def test_welch_absolute_matches_scipy_on_raw_values(a: list[float], b: list[float]) -> None:
    """Independent reference: scipy's Welch test of b against a on the same values."""
    stat_a, stat_b = SampleMeanStatistic.from_values(a), SampleMeanStatistic.from_values(b)
    assume(stat_a.variance > 1e-6 and stat_b.variance > 1e-6 and stat_a.mean != 0)
    ours = welch_ttest(stat_a, stat_b, FrequentistConfig(difference_type=ABSOLUTE))
    reference = scipy_stats.ttest_ind(b, a, equal_var=False)
    assert ours.error is None and ours.diagnostics is not None
    assert ours.diagnostics.t_statistic == pytest.approx(reference.statistic, rel=1e-7, abs=1e-9)
    assert ours.p_value == pytest.approx(reference.pvalue, rel=1e-6, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(a=values, b=values)
def test_swapping_arms_flips_the_absolute_effect(a: list[float], b: list[float]) -> None:
    """b − a = −(a − b); the interval mirrors and the p-value is unchanged (both tests)."""
    stat_a, stat_b = SampleMeanStatistic.from_values(a), SampleMeanStatistic.from_values(b)
    assume(stat_a.variance > 0 and stat_b.variance > 0 and stat_a.mean != 0 and stat_b.mean != 0)
    for test, config in (
        (welch_ttest, FrequentistConfig(difference_type=ABSOLUTE)),
        (sequential_ttest, SequentialConfig(difference_type=ABSOLUTE, tuning_parameter=100.0)),
    ):
        forward = test(stat_a, stat_b, config)  # type: ignore[operator]
        backward = test(stat_b, stat_a, config)  # type: ignore[operator]
        assert backward.expected == pytest.approx(-forward.expected, abs=1e-12)
        assert backward.ci[0] == pytest.approx(-forward.ci[1], abs=1e-9)
        assert backward.ci[1] == pytest.approx(-forward.ci[0], abs=1e-9)
        assert backward.p_value == pytest.approx(forward.p_value, rel=1e-9, abs=1e-15)


@settings(max_examples=150, deadline=None)
@given(a=positive_values, b=positive_values, difference_type=difference_types)
def test_swapping_arms_flips_the_sign_in_relative_mode(
    a: list[float], b: list[float], difference_type: DifferenceType
) -> None:
    """Relative effects are not antisymmetric in size, but their sign flips."""
    stat_a, stat_b = SampleMeanStatistic.from_values(a), SampleMeanStatistic.from_values(b)
    assume(stat_a.variance > 0 and stat_b.variance > 0 and stat_a.mean != stat_b.mean)
    config = FrequentistConfig(difference_type=difference_type)
    forward = welch_ttest(stat_a, stat_b, config)
    backward = welch_ttest(stat_b, stat_a, config)
    assert math.copysign(1, forward.expected) == -math.copysign(1, backward.expected)


@settings(max_examples=150, deadline=None)
@given(a=positive_values, b=positive_values, difference_type=difference_types)
def test_intervals_contain_the_estimate_and_agree_with_p(
    a: list[float], b: list[float], difference_type: DifferenceType
) -> None:
    """Every interval is centred on the estimate; p < α exactly when it excludes 0."""
    stat_a, stat_b = SampleMeanStatistic.from_values(a), SampleMeanStatistic.from_values(b)
    assume(stat_a.variance > 0 and stat_b.variance > 0)
    results = [
        welch_ttest(stat_a, stat_b, FrequentistConfig(difference_type=difference_type)),
        sequential_ttest(stat_a, stat_b, SequentialConfig(difference_type=difference_type)),
    ]
    for result in results:
        low, high = result.ci
        assert low <= result.expected <= high
        assert (high + low) / 2 == pytest.approx(result.expected, abs=1e-9)
        excludes_zero = low > 0 or high < 0
        margin = min(abs(low), abs(high))
        if margin > 1e-9 * max(1.0, abs(result.expected)):  # not on the boundary
            assert excludes_zero == (result.p_value < result.alpha)
    bayes = bayesian_effect(stat_a, stat_b, BayesianConfig(difference_type=difference_type))
    assert bayes.ci[0] <= bayes.expected <= bayes.ci[1]


@settings(max_examples=100, deadline=None)
@given(a=positive_values, b=positive_values)
def test_bayesian_risks_differ_by_the_mean_and_chances_sum_to_one(
    a: list[float], b: list[float]
) -> None:
    """E max(0, D) − E max(0, −D) = E D = Δ; P(b > a) + P(a > b) = 1 (absolute mode)."""
    stat_a, stat_b = SampleMeanStatistic.from_values(a), SampleMeanStatistic.from_values(b)
    assume(stat_a.variance > 0 and stat_b.variance > 0)
    config = BayesianConfig(difference_type=ABSOLUTE)
    forward = bayesian_effect(stat_a, stat_b, config)
    backward = bayesian_effect(stat_b, stat_a, config)
    assert forward.risk_control - forward.risk_treatment == pytest.approx(
        forward.expected, abs=1e-9 * max(1.0, forward.stddev)
    )
    assert min(forward.risk) >= 0
    assert forward.chance_to_win + backward.chance_to_win == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(a=positive_values, b=positive_values)
def test_sequential_interval_is_wider_than_the_fixed_normal_interval(
    a: list[float], b: list[float]
) -> None:
    """Validity at every look costs width: the half-width exceeds z₀.₉₇₅·√V at any N."""
    stat_a, stat_b = SampleMeanStatistic.from_values(a), SampleMeanStatistic.from_values(b)
    assume(stat_a.variance > 0 and stat_b.variance > 0)
    sequential = sequential_ttest(stat_a, stat_b, SequentialConfig(difference_type=ABSOLUTE))
    half_width = (sequential.ci[1] - sequential.ci[0]) / 2
    assert half_width > scipy_stats.norm.ppf(0.975) * sequential.stddev


def test_cuped_with_constant_pre_period_is_the_plain_welch_test() -> None:
    rng = np.random.default_rng(5)
    ya, yb = rng.normal(10, 2, 50), rng.normal(10.5, 2, 60)
    cuped = welch_ttest(
        RegressionAdjustedStatistic.from_values(ya, np.zeros(50)),
        RegressionAdjustedStatistic.from_values(yb, np.zeros(60)),
    )
    plain = welch_ttest(SampleMeanStatistic.from_values(ya), SampleMeanStatistic.from_values(yb))
    assert cuped.theta == 0.0
    assert cuped.expected == pytest.approx(plain.expected, rel=1e-12)
    assert cuped.p_value == pytest.approx(plain.p_value, rel=1e-9)


def test_cuped_narrows_the_interval_by_the_correlation() -> None:
    """Recovery of known truth: ρ = 0.8 within arms → width ratio ≈ √(1 − 0.64) = 0.6."""
    rng = np.random.default_rng(17)
    n, rho = 20_000, 0.8
    arms = []
    for shift in (0.0, 0.1):
        x = rng.normal(0, 1, n)
        y = 10 + shift + rho * x + math.sqrt(1 - rho**2) * rng.normal(0, 1, n)
        arms.append((y, x))
    config = FrequentistConfig(difference_type=ABSOLUTE)
    cuped = welch_ttest(
        *(RegressionAdjustedStatistic.from_values(y, x) for y, x in arms), config=config
    )
    plain = welch_ttest(*(SampleMeanStatistic.from_values(y) for y, _ in arms), config=config)
    ratio = (cuped.ci[1] - cuped.ci[0]) / (plain.ci[1] - plain.ci[0])
    assert ratio == pytest.approx(0.6, abs=0.02)
    assert cuped.theta == pytest.approx(rho, abs=0.02)


def test_binary_post_metric_with_cuped_reads_the_post_as_a_proportion() -> None:
    post = RegressionAdjustedStatistic.from_values(
        [1, 0, 1, 1], [0.5, 0.1, 0.9, 0.7], post_kind=StatisticKind.PROPORTION
    )
    assert post.kind is StatisticKind.PROPORTION
    assert post.post.variance == pytest.approx(0.75 * 0.25)


def test_error_cases_return_the_fixed_numbers() -> None:
    """Zero control mean first, then zero variance (here both would apply)."""
    zero = SampleMeanStatistic.from_values([0.0, 0.0, 0.0])
    other = SampleMeanStatistic.from_values([1.0, 2.0, 3.0])
    result = welch_ttest(zero, other, FrequentistConfig(difference_type=ABSOLUTE))
    assert result.error is ErrorMessage.ZERO_NEGATIVE_BASELINE_VARIATION
    assert (result.expected, result.ci, result.p_value, result.stddev) == (
        0.0,
        (0.0, 0.0),
        1.0,
        0.0,
    )
    assert not result.significant
    bayes = bayesian_effect(other, SampleMeanStatistic(n=0, sum=0.0, sum_squares=0.0))
    assert bayes.error is ErrorMessage.NO_UNITS_IN_VARIATION
    assert (bayes.chance_to_win, bayes.risk) == (0.5, (0.0, 0.0))


@pytest.mark.parametrize(
    "make",
    [
        lambda: FrequentistConfig(alpha=0.0),
        lambda: FrequentistConfig(alpha=1.5),
        lambda: SequentialConfig(tuning_parameter=0.0),
        lambda: BayesianConfig(alpha=math.nan),
    ],
)
def test_invalid_configurations_are_refused(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]
