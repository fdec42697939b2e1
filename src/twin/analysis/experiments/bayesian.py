"""Bayesian comparison of two arms under the improper (flat) prior: interval, chance to win, risk.

With a flat prior the posterior of the effect D = b − a is N(Δ, V), with Δ and V the same
effect moments as the frequentist tests (absolute, or relative by the delta method). Hence,
as in gbstats 0.8.0 (``../shared/oracles/README.md``):

- credible interval Δ ± z₁₋α/₂·√V (normal quantiles, even for small n);
- chance to win Φ(Δ/√V);
- risk = [E max(0, D), E max(0, −D)] = [ΔΦ(z) + σφ(z), −ΔΦ(−z) + σφ(z)], z = Δ/σ: the expected
  loss of keeping the control and of shipping the treatment, in the units of Δ.

Error cases (then chance 0.5, risk [0, 0], expected 0, ci [0, 0]): in relative mode a zero
control mean first; then an empty arm; then a variance ≤ 0 in either arm. In absolute mode a
zero control mean is not an error (it is only a divisor in relative mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

from twin.analysis.experiments.frequentist import DEFAULT_ALPHA, DEFAULT_DIFFERENCE_TYPE
from twin.analysis.experiments.statistics import (
    ArmPair,
    ArmStatistic,
    DifferenceType,
    ErrorMessage,
    arm_pair,
    effect_moments,
)

UNINFORMATIVE_CHANCE_TO_WIN = 0.5
"""Reported when the posterior cannot be computed: no evidence either way."""


@dataclass(frozen=True)
class BayesianConfig:
    """Credible level and difference type; the prior is the improper flat prior."""

    alpha: float = DEFAULT_ALPHA
    difference_type: DifferenceType = DEFAULT_DIFFERENCE_TYPE

    def __post_init__(self) -> None:
        if not (math.isfinite(self.alpha) and 0.0 < self.alpha < 1.0):
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")


@dataclass(frozen=True)
class BayesianResult:
    """Posterior of b − a: mean, credible interval, sd, chance that b beats a, and the two risks.

    ``risk`` = (risk of keeping control, risk of shipping treatment), in units of the effect
    (a fraction of the control mean in relative mode).
    """

    difference_type: DifferenceType
    alpha: float
    n_a: int
    n_b: int
    expected: float
    ci: tuple[float, float]
    stddev: float
    chance_to_win: float
    risk: tuple[float, float]
    error: ErrorMessage | None
    theta: float | None

    @property
    def risk_control(self) -> float:
        """Expected loss of keeping the control, E max(0, D)."""
        return self.risk[0]

    @property
    def risk_treatment(self) -> float:
        """Expected loss of shipping the treatment, E max(0, −D)."""
        return self.risk[1]


def bayesian_error(pair: ArmPair, difference_type: DifferenceType) -> ErrorMessage | None:
    """Why the posterior cannot be computed, in gbstats' order of checks."""
    if difference_type is DifferenceType.RELATIVE and pair.a.unadjusted_mean == 0:
        return ErrorMessage.ZERO_NEGATIVE_BASELINE_VARIATION
    if pair.a.n == 0 or pair.b.n == 0:
        return ErrorMessage.NO_UNITS_IN_VARIATION
    if pair.a.variance <= 0 or pair.b.variance <= 0:
        return ErrorMessage.ZERO_NEGATIVE_VARIANCE
    return None


def normal_risk(mean: float, sd: float) -> tuple[float, float]:
    """(E max(0, D), E max(0, −D)) for D ~ N(mean, sd²), sd > 0."""
    z = mean / sd
    density = float(norm.pdf(z))
    return (
        mean * float(norm.cdf(z)) + sd * density,
        -mean * float(norm.cdf(-z)) + sd * density,
    )


def bayesian_effect(
    stat_a: ArmStatistic, stat_b: ArmStatistic, config: BayesianConfig | None = None
) -> BayesianResult:
    """Posterior of treatment b against control a under the flat prior."""
    config = config or BayesianConfig()
    pair = arm_pair(stat_a, stat_b)
    error = bayesian_error(pair, config.difference_type)
    if error is not None:
        return BayesianResult(
            difference_type=config.difference_type,
            alpha=config.alpha,
            n_a=pair.a.n,
            n_b=pair.b.n,
            expected=0.0,
            ci=(0.0, 0.0),
            stddev=0.0,
            chance_to_win=UNINFORMATIVE_CHANCE_TO_WIN,
            risk=(0.0, 0.0),
            error=error,
            theta=pair.theta,
        )
    moments = effect_moments(pair, config.difference_type)
    sd = math.sqrt(moments.variance)
    half_width = float(norm.ppf(1.0 - config.alpha / 2.0)) * sd
    delta = moments.point_estimate
    return BayesianResult(
        difference_type=config.difference_type,
        alpha=config.alpha,
        n_a=pair.a.n,
        n_b=pair.b.n,
        expected=delta,
        ci=(delta - half_width, delta + half_width),
        stddev=sd,
        chance_to_win=float(norm.cdf(delta / sd)),
        risk=normal_risk(delta, sd),
        error=None,
        theta=pair.theta,
    )
