"""Sufficient statistics of one arm, pooled CUPED θ, and the effect moments every test starts from.

An arm is summarised by sums that one SQL aggregate over the participants' values produces
(``v`` the post-period value, ``x`` the pre-period value of the same metric)::

    count(*)      → n                      sum(v)      → sum
    sum(v * v)    → sum_squares            sum(x)      → pre_sum
    sum(x * x)    → pre_sum_squares        sum(v * x)  → post_pre_sum_of_products

Conventions (gbstats 0.8.0, ``../shared/oracles/README.md``): a sample mean has the per-unit
variance (Σv² − (Σv)²/n)/(n − 1), 0 when n ≤ 1; a proportion has m(1 − m) (divisor n, not
n − 1). CUPED's θ is pooled over both arms. An arm with n = 0 has mean 0 (so an empty control
is reported as a zero baseline, as gbstats does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

Values = Sequence[float] | npt.NDArray[np.floating] | npt.NDArray[np.integer]
"""Per-participant values of one arm (only used to build sums in tests and benchmarks)."""


class StatisticKind(StrEnum):
    """How a metric's per-participant value is summarised."""

    SAMPLE_MEAN = "sample_mean"
    PROPORTION = "proportion"


class DifferenceType(StrEnum):
    """Absolute difference m_b − m_a, or relative (m_b − m_a)/ȳ_a as a fraction (0.05 = +5%)."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class ErrorMessage(StrEnum):
    """Why a test returned its fixed default numbers instead of an estimate (gbstats' messages)."""

    ZERO_NEGATIVE_BASELINE_VARIATION = "ZERO_NEGATIVE_BASELINE_VARIATION"
    ZERO_NEGATIVE_VARIANCE = "ZERO_NEGATIVE_VARIANCE"
    NO_UNITS_IN_VARIATION = "NO_UNITS_IN_VARIATION"


def _check_count(name: str, n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{name} must be an integer ≥ 0, got {n!r}")


def _check_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def sample_variance(n: int, total: float, total_squares: float) -> float:
    """Per-unit variance (Σv² − (Σv)²/n)/(n − 1) from sums; 0 when n ≤ 1."""
    if n <= 1:
        return 0.0
    # Written exactly as the reference computes it: the zero-variance test is an exact `<= 0`
    # on this expression, so reordering the arithmetic could change which inputs are refused.
    return (total_squares - total**2 / n) / (n - 1)


def _as_array(values: Values, name: str) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def _fsum(array: npt.NDArray[np.float64]) -> float:
    # Correctly rounded sums, so a statistic built from values is independent of their order.
    return math.fsum(array.tolist())


@dataclass(frozen=True)
class SampleMeanStatistic:
    """A continuous metric in one arm: n, Σv, Σv²."""

    n: int
    sum: float
    sum_squares: float

    def __post_init__(self) -> None:
        _check_count("n", self.n)
        _check_finite("sum", self.sum)
        _check_finite("sum_squares", self.sum_squares)
        if self.sum_squares < 0:
            raise ValueError(f"sum_squares must be ≥ 0, got {self.sum_squares}")
        if self.n == 0 and (self.sum != 0 or self.sum_squares != 0):
            raise ValueError("an arm with n = 0 must have zero sums")

    @property
    def kind(self) -> StatisticKind:
        """Always SAMPLE_MEAN."""
        return StatisticKind.SAMPLE_MEAN

    @property
    def mean(self) -> float:
        """Σv/n (0 for an empty arm)."""
        return self.sum / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        """Per-unit sample variance (divisor n − 1)."""
        return sample_variance(self.n, self.sum, self.sum_squares)

    @classmethod
    def from_values(cls, values: Values) -> SampleMeanStatistic:
        """The statistic of per-participant values (what the SQL aggregate returns)."""
        array = _as_array(values, "values")
        return cls(n=int(array.size), sum=_fsum(array), sum_squares=_fsum(array * array))


@dataclass(frozen=True)
class ProportionStatistic:
    """A 0/1 metric in one arm: n and the number of ones (``sum``)."""

    n: int
    sum: float

    def __post_init__(self) -> None:
        _check_count("n", self.n)
        _check_finite("sum", self.sum)
        if not 0 <= self.sum <= self.n:
            raise ValueError(f"sum (conversions) must be in [0, n = {self.n}], got {self.sum}")

    @property
    def kind(self) -> StatisticKind:
        """Always PROPORTION."""
        return StatisticKind.PROPORTION

    @property
    def sum_squares(self) -> float:
        """Σv² equals Σv for 0/1 values."""
        return self.sum

    @property
    def mean(self) -> float:
        """The conversion rate (0 for an empty arm)."""
        return self.sum / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        """m(1 − m): the divisor is n, as in gbstats (not the n − 1 of a 0/1 sample variance)."""
        m = self.mean
        return m * (1.0 - m)

    @classmethod
    def from_values(cls, values: Values) -> ProportionStatistic:
        """The statistic of per-participant 0/1 values."""
        array = _as_array(values, "values")
        if not np.all((array == 0) | (array == 1)):
            raise ValueError("proportion values must be 0 or 1")
        return cls(n=int(array.size), sum=_fsum(array))


@dataclass(frozen=True)
class RegressionAdjustedStatistic:
    """A metric with its pre-period value as CUPED covariate: post sums, pre sums, Σ post·pre.

    ``post_kind`` says how the post-period value is read (sample mean or 0/1 proportion); the
    pre-period value is always read as a sample mean.
    """

    n: int
    sum: float
    sum_squares: float
    pre_sum: float
    pre_sum_squares: float
    post_pre_sum_of_products: float
    post_kind: StatisticKind = StatisticKind.SAMPLE_MEAN

    def __post_init__(self) -> None:
        _check_count("n", self.n)
        for name in (
            "sum",
            "sum_squares",
            "pre_sum",
            "pre_sum_squares",
            "post_pre_sum_of_products",
        ):
            _check_finite(name, getattr(self, name))
        if self.sum_squares < 0 or self.pre_sum_squares < 0:
            raise ValueError("sum_squares and pre_sum_squares must be ≥ 0")
        if self.post_kind is StatisticKind.PROPORTION and not 0 <= self.sum <= self.n:
            raise ValueError(f"sum (conversions) must be in [0, n = {self.n}], got {self.sum}")

    @property
    def kind(self) -> StatisticKind:
        """How the post-period value is read."""
        return self.post_kind

    @property
    def post(self) -> SampleMeanStatistic | ProportionStatistic:
        """The post-period statistic alone."""
        if self.post_kind is StatisticKind.PROPORTION:
            return ProportionStatistic(n=self.n, sum=self.sum)
        return SampleMeanStatistic(n=self.n, sum=self.sum, sum_squares=self.sum_squares)

    @property
    def pre(self) -> SampleMeanStatistic:
        """The pre-period (covariate) statistic alone."""
        return SampleMeanStatistic(n=self.n, sum=self.pre_sum, sum_squares=self.pre_sum_squares)

    @property
    def covariance(self) -> float:
        """Within-arm cov(post, pre) = (Σvx − ΣvΣx/n)/(n − 1); 0 when n ≤ 1."""
        if self.n <= 1:
            return 0.0
        return (self.post_pre_sum_of_products - self.sum * self.pre_sum / self.n) / (self.n - 1)

    @classmethod
    def from_values(
        cls, post: Values, pre: Values, post_kind: StatisticKind = StatisticKind.SAMPLE_MEAN
    ) -> RegressionAdjustedStatistic:
        """The statistic of per-participant (post, pre) pairs."""
        y = _as_array(post, "post")
        x = _as_array(pre, "pre")
        if y.size != x.size:
            raise ValueError(f"{y.size} post values but {x.size} pre values")
        if post_kind is StatisticKind.PROPORTION and not np.all((y == 0) | (y == 1)):
            raise ValueError("proportion post values must be 0 or 1")
        return cls(
            n=int(y.size),
            sum=_fsum(y),
            sum_squares=_fsum(y * y),
            pre_sum=_fsum(x),
            pre_sum_squares=_fsum(x * x),
            post_pre_sum_of_products=_fsum(y * x),
            post_kind=post_kind,
        )


ArmStatistic = SampleMeanStatistic | ProportionStatistic | RegressionAdjustedStatistic
"""What one arm of one metric is summarised by."""


def pooled_theta(a: RegressionAdjustedStatistic, b: RegressionAdjustedStatistic) -> float:
    """CUPED θ = cov(post, pre)/var(pre) over both arms' summed statistics (divisor n − 1).

    Pooling (rather than one θ per arm) keeps the adjustment identical in both arms, so it
    cannot itself create a difference. θ = 0 (no adjustment) when the pooled pre-period or
    post-period variance is 0.
    """
    n = a.n + b.n
    pre_sum = a.pre_sum + b.pre_sum
    post_sum = a.sum + b.sum
    var_pre = sample_variance(n, pre_sum, a.pre_sum_squares + b.pre_sum_squares)
    var_post = sample_variance(n, post_sum, a.sum_squares + b.sum_squares)
    if var_pre <= 0 or var_post <= 0:
        return 0.0
    products = a.post_pre_sum_of_products + b.post_pre_sum_of_products
    covariance = (products - post_sum * pre_sum / n) / (n - 1)
    return covariance / var_pre


@dataclass(frozen=True)
class ArmMoments:
    """One arm as the tests see it: n, (CUPED-adjusted) mean, unadjusted mean, per-unit variance."""

    n: int
    mean: float
    unadjusted_mean: float
    variance: float


def arm_moments(stat: ArmStatistic, theta: float = 0.0) -> ArmMoments:
    """Mean and per-unit variance of an arm; CUPED arms adjusted by ``theta``.

    Adjusted: mean ȳ − θx̄, variance var(y) + θ²var(x) − 2θ·cov(y, x) (within the arm).
    """
    if isinstance(stat, RegressionAdjustedStatistic):
        post, pre = stat.post, stat.pre
        variance = post.variance + theta**2 * pre.variance - 2.0 * theta * stat.covariance
        return ArmMoments(
            n=stat.n,
            mean=post.mean - theta * pre.mean,
            unadjusted_mean=post.mean,
            variance=variance,
        )
    return ArmMoments(n=stat.n, mean=stat.mean, unadjusted_mean=stat.mean, variance=stat.variance)


@dataclass(frozen=True)
class ArmPair:
    """Control (a) and treatment (b) moments, with the pooled θ when the arms are CUPED."""

    a: ArmMoments
    b: ArmMoments
    theta: float | None


def arm_pair(stat_a: ArmStatistic, stat_b: ArmStatistic) -> ArmPair:
    """Both arms' moments; the arms must be summarised the same way."""
    if type(stat_a) is not type(stat_b) or stat_a.kind is not stat_b.kind:
        raise ValueError(
            f"both arms must have the same statistic, got {type(stat_a).__name__}({stat_a.kind}) "
            f"and {type(stat_b).__name__}({stat_b.kind})"
        )
    if isinstance(stat_a, RegressionAdjustedStatistic) and isinstance(
        stat_b, RegressionAdjustedStatistic
    ):
        theta = pooled_theta(stat_a, stat_b)
        return ArmPair(a=arm_moments(stat_a, theta), b=arm_moments(stat_b, theta), theta=theta)
    return ArmPair(a=arm_moments(stat_a), b=arm_moments(stat_b), theta=None)


@dataclass(frozen=True)
class EffectMoments:
    """The estimate Δ (b − a) and its variance V, absolute or relative (delta method)."""

    point_estimate: float
    variance: float


def effect_moments(pair: ArmPair, difference_type: DifferenceType) -> EffectMoments:
    """Δ and V of b − a; needs a non-zero control mean and non-empty arms (check first).

    Relative: Δ = (m_b − m_a)/u_a and V = v_b/(u_a² n_b) + v_a u_b²/(u_a⁴ n_a), with u the
    unadjusted means — the first-order (delta-method) variance of the ratio.
    """
    a, b = pair.a, pair.b
    if difference_type is DifferenceType.ABSOLUTE:
        return EffectMoments(
            point_estimate=b.mean - a.mean, variance=b.variance / b.n + a.variance / a.n
        )
    u_a, u_b = a.unadjusted_mean, b.unadjusted_mean
    return EffectMoments(
        point_estimate=(b.mean - a.mean) / u_a,
        variance=b.variance / (u_a**2 * b.n) + a.variance * u_b**2 / (u_a**4 * a.n),
    )
