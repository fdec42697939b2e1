"""Frequentist comparisons of two arms: the Welch t-test and the always-valid sequential interval.

Both compare treatment b with control a (every difference is b − a) in absolute or relative
mode, on sample means, proportions or CUPED-adjusted means, exactly as gbstats 0.8.0
(``../shared/oracles/README.md``):

- **Welch**: dof = (v_b/n_b + v_a/n_a)² / (v_b²/(n_b²(n_b − 1)) + v_a²/(n_a²(n_a − 1))) from the
  per-unit variances (also in relative mode), t = (Δ − test_value)/√V, two-sided p, and
  ci = Δ ± F_t⁻¹(1 − α/2; dof)·√V (a symmetric interval, also in relative mode).
- **Sequential** (a Gaussian-mixture confidence sequence, valid at every look): with
  N = n_a + n_b and ρ = √((−2 ln α + ln(1 − 2 ln α))/τ), the half-width is
  √(V·N)·√(2(Nρ² + 1)·ln(√(Nρ² + 1)/α)/(Nρ)²) and
  p = min(1, √(Nρ² + 1)·exp(−ρ²N(Δ − test_value)²/V / (2(Nρ² + 1)))). The tuning parameter τ
  is the total sample size around which the interval is tightest.

Error cases return fixed numbers (expected 0, ci [0, 0], p 1, stddev 0) with a message: a zero
control mean first (the unadjusted mean, the divisor of the relative effect; gbstats refuses it
in absolute mode too), then a variance ≤ 0 in either arm (n ≤ 1, n = 0, all-equal values, 0% or
100% conversion).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from scipy.stats import t as student_t

from twin.analysis.experiments.statistics import (
    ArmPair,
    ArmStatistic,
    DifferenceType,
    EffectMoments,
    ErrorMessage,
    arm_pair,
    effect_moments,
)

DEFAULT_ALPHA = 0.05
"""Two-sided significance level: 95% intervals."""

DEFAULT_DIFFERENCE_TYPE = DifferenceType.RELATIVE
"""gbstats' default: effects are reported as a fraction of the control mean."""

DEFAULT_SEQUENTIAL_TUNING_PARAMETER = 5_000.0
"""gbstats' default τ (participants over both arms). Set it near the expected total sample."""


class FrequentistMethod(StrEnum):
    """Which frequentist test produced a result."""

    WELCH = "welch"
    SEQUENTIAL = "sequential"


def _check_alpha(alpha: float) -> None:
    if not (math.isfinite(alpha) and 0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


@dataclass(frozen=True)
class FrequentistConfig:
    """Level, null value and difference type of a fixed-horizon Welch test."""

    alpha: float = DEFAULT_ALPHA
    test_value: float = 0.0
    difference_type: DifferenceType = DEFAULT_DIFFERENCE_TYPE

    def __post_init__(self) -> None:
        _check_alpha(self.alpha)
        if not math.isfinite(self.test_value):
            raise ValueError(f"test_value must be finite, got {self.test_value!r}")


@dataclass(frozen=True)
class SequentialConfig(FrequentistConfig):
    """A Welch configuration plus the sequential tuning parameter τ (> 0)."""

    tuning_parameter: float = DEFAULT_SEQUENTIAL_TUNING_PARAMETER

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.tuning_parameter) and self.tuning_parameter > 0):
            raise ValueError(f"tuning_parameter must be > 0, got {self.tuning_parameter!r}")


@dataclass(frozen=True)
class EffectDiagnostics:
    """Internals behind a result: the estimate's variance and both arms' moments.

    ``dof`` and ``t_statistic`` are set by the Welch test; ``rho`` and ``total_n`` by the
    sequential test.
    """

    variance: float
    mean_a: float
    mean_b: float
    unadjusted_mean_a: float
    unadjusted_mean_b: float
    variance_a: float
    variance_b: float
    dof: float | None = None
    t_statistic: float | None = None
    rho: float | None = None
    total_n: int | None = None


@dataclass(frozen=True)
class FrequentistResult:
    """The estimate of b − a, its interval and p-value, or the fixed numbers with an error.

    ``stddev`` is the standard error √V of ``expected``; ``theta`` is the pooled CUPED θ
    (``None`` without a covariate).
    """

    method: FrequentistMethod
    difference_type: DifferenceType
    alpha: float
    n_a: int
    n_b: int
    expected: float
    ci: tuple[float, float]
    p_value: float
    stddev: float
    error: ErrorMessage | None
    theta: float | None
    diagnostics: EffectDiagnostics | None

    @property
    def significant(self) -> bool:
        """p < α (equivalently, the interval excludes the null value)."""
        return self.error is None and self.p_value < self.alpha


_Config = TypeVar("_Config", bound=FrequentistConfig)


def frequentist_error(pair: ArmPair) -> ErrorMessage | None:
    """Why a t-test cannot run on these arms: zero control mean first, then a variance ≤ 0."""
    if pair.a.unadjusted_mean == 0:
        return ErrorMessage.ZERO_NEGATIVE_BASELINE_VARIATION
    if pair.a.variance <= 0 or pair.b.variance <= 0:
        return ErrorMessage.ZERO_NEGATIVE_VARIANCE
    return None


def welch_dof(pair: ArmPair) -> float:
    """Welch–Satterthwaite degrees of freedom from the per-unit variances."""
    a, b = pair.a, pair.b
    numerator = (b.variance / b.n + a.variance / a.n) ** 2
    denominator = b.variance**2 / (b.n**2 * (b.n - 1)) + a.variance**2 / (a.n**2 * (a.n - 1))
    return numerator / denominator


def _result(
    method: FrequentistMethod,
    config: FrequentistConfig,
    pair: ArmPair,
    *,
    expected: float = 0.0,
    half_width: float = 0.0,
    p_value: float = 1.0,
    stddev: float = 0.0,
    error: ErrorMessage | None = None,
    diagnostics: EffectDiagnostics | None = None,
) -> FrequentistResult:
    """A result with the symmetric interval ``expected ± half_width``; the defaults are the
    fixed numbers of an error case (expected 0, ci [0, 0], p 1, stddev 0)."""
    return FrequentistResult(
        method=method,
        difference_type=config.difference_type,
        alpha=config.alpha,
        n_a=pair.a.n,
        n_b=pair.b.n,
        expected=expected,
        ci=(expected - half_width, expected + half_width),
        p_value=p_value,
        stddev=stddev,
        error=error,
        theta=pair.theta,
        diagnostics=diagnostics,
    )


def _diagnostics(
    pair: ArmPair,
    variance: float,
    *,
    dof: float | None = None,
    t_statistic: float | None = None,
    rho: float | None = None,
    total_n: int | None = None,
) -> EffectDiagnostics:
    return EffectDiagnostics(
        variance=variance,
        mean_a=pair.a.mean,
        mean_b=pair.b.mean,
        unadjusted_mean_a=pair.a.unadjusted_mean,
        unadjusted_mean_b=pair.b.unadjusted_mean,
        variance_a=pair.a.variance,
        variance_b=pair.b.variance,
        dof=dof,
        t_statistic=t_statistic,
        rho=rho,
        total_n=total_n,
    )


@dataclass(frozen=True)
class _Interval:
    """What a test adds to the effect's moments: the interval's half-width and the p-value."""

    half_width: float
    p_value: float
    diagnostics: EffectDiagnostics


def _compare(
    method: FrequentistMethod,
    stat_a: ArmStatistic,
    stat_b: ArmStatistic,
    config: _Config,
    interval: Callable[[ArmPair, EffectMoments, _Config], _Interval],
) -> FrequentistResult:
    """Both tests' shared path: the error cases, then Δ ± the test's half-width."""
    pair = arm_pair(stat_a, stat_b)
    error = frequentist_error(pair)
    if error is not None:
        return _result(method, config, pair, error=error)
    moments = effect_moments(pair, config.difference_type)
    found = interval(pair, moments, config)
    return _result(
        method,
        config,
        pair,
        expected=moments.point_estimate,
        half_width=found.half_width,
        p_value=found.p_value,
        stddev=math.sqrt(moments.variance),
        diagnostics=found.diagnostics,
    )


def welch_ttest(
    stat_a: ArmStatistic, stat_b: ArmStatistic, config: FrequentistConfig | None = None
) -> FrequentistResult:
    """Two-sided Welch t-test of treatment b against control a (fixed horizon: look once)."""
    return _compare(
        FrequentistMethod.WELCH, stat_a, stat_b, config or FrequentistConfig(), _welch_interval
    )


def _welch_interval(pair: ArmPair, moments: EffectMoments, config: FrequentistConfig) -> _Interval:
    se = math.sqrt(moments.variance)
    dof = welch_dof(pair)
    t_statistic = (moments.point_estimate - config.test_value) / se
    # 2·sf rather than gbstats' 2·(1 − cdf): equal to 1e-16 absolute, and exact far in the tail.
    p_value = float(2.0 * student_t.sf(abs(t_statistic), dof))
    return _Interval(
        half_width=float(student_t.ppf(1.0 - config.alpha / 2.0, dof)) * se,
        p_value=min(1.0, p_value),
        diagnostics=_diagnostics(pair, moments.variance, dof=dof, t_statistic=t_statistic),
    )


def sequential_rho(alpha: float, tuning_parameter: float) -> float:
    """Mixture parameter ρ = √((−2 ln α + ln(1 − 2 ln α))/τ) of the confidence sequence."""
    log_alpha = math.log(alpha)
    return math.sqrt((-2.0 * log_alpha + math.log(1.0 - 2.0 * log_alpha)) / tuning_parameter)


def sequential_ttest(
    stat_a: ArmStatistic, stat_b: ArmStatistic, config: SequentialConfig | None = None
) -> FrequentistResult:
    """Always-valid two-sided test of b against a: its interval may be read at every look."""
    return _compare(
        FrequentistMethod.SEQUENTIAL,
        stat_a,
        stat_b,
        config or SequentialConfig(),
        _sequential_interval,
    )


def _sequential_interval(
    pair: ArmPair, moments: EffectMoments, config: SequentialConfig
) -> _Interval:
    total_n = pair.a.n + pair.b.n
    rho = sequential_rho(config.alpha, config.tuning_parameter)
    spread = total_n * rho**2 + 1.0  # Nρ² + 1
    half_width = math.sqrt(moments.variance * total_n) * math.sqrt(
        2.0 * spread * math.log(math.sqrt(spread) / config.alpha) / (total_n * rho) ** 2
    )
    z_squared = (moments.point_estimate - config.test_value) ** 2 / moments.variance
    p_value = min(1.0, math.sqrt(spread) * math.exp(-(rho**2) * total_n * z_squared / (2 * spread)))
    return _Interval(
        half_width=half_width,
        p_value=p_value,
        diagnostics=_diagnostics(pair, moments.variance, rho=rho, total_n=total_n),
    )
