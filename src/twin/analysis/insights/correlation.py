"""Academic correlation (ENGINE.md 5.6): weekly behavioral score vs exam and validation results.

Each week with a behavioral score and at least one academic result (exam or validation,
0–100, by the local date it was taken) is one pair: (score, mean of that week's results).
With at least 8 such weeks: Pearson r, its two-sided p-value and the Fisher-z 95% interval
``tanh(atanh r ± 1.96 / √(N* − 3))``. Fewer than 8 weeks, or no variation in one of the
two series (r undefined), is :class:`InsufficientData`.

**Dependent weeks.** The textbook test (t with n − 2 degrees of freedom) assumes the weeks
are independent. They are not when both series move slowly — a term in which study and
results both get better, a habit that lasts a month: the two series then share
autocorrelation and r strays far from 0 with no link at all (two series that only rise
together over 16 weeks came out "clear" for 18% of learners with a 20-point rise and 84%
with a 40-point rise). So the test and the interval use the *effective* number of weeks of
Pyper & Peterman (1998, Can. J. Fish. Aquat. Sci. 55:2127), after Bartlett:

``1/N* = 1/n + (2/n)·Σ_{k=1}^{⌊n/5⌋} ((n − k)/n)·ρ_x(k)·ρ_y(k)``

with ρ(k) each series' sample autocorrelation at lag k (lags up to n/5, as they
recommend), N* kept within [4, n]: p from t = r·√((N* − 2)/(1 − r²)) with N* − 2 degrees of
freedom, the interval with √(N* − 3). Only *shared* persistence costs weeks: when either
series is independent from week to week, ρ_x·ρ_y ≈ 0 and N* ≈ n. Capped at n, the test is
never more liberal than the textbook one, which is exact when the results are independent
normal weeks (``benchmarks/insights_quality.py`` measures both the null rate and the power).

Plain-language strength by |r| (Cohen's conventions): < 0.1 no meaningful link, < 0.3
weak, < 0.5 moderate, otherwise strong. A link is "clear" only when the interval excludes 0
*and* p < 0.05 (the Fisher-z interval is an approximation that is slightly liberal at these
sample sizes, the t-test of r exact for independent normal weeks: requiring both keeps
false "clear" links at or below 5%). Every answer says that this is a correlation, not
causation: weeks in which a learner studies well may also be weeks with more time, less
stress or easier material.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
from scipy import stats

from twin.analysis.common import InsufficientData
from twin.analysis.insights.common import check_percent, rounded, week_start

MIN_WEEKS = 8
CONFIDENCE_LEVEL = 0.95
SIGNIFICANCE_LEVEL = 1.0 - CONFIDENCE_LEVEL
NEGLIGIBLE_BELOW = 0.1
WEAK_BELOW = 0.3
MODERATE_BELOW = 0.5
R_LIMIT = 1.0 - 1e-12  # keeps atanh finite for |r| = 1
AUTOCORRELATION_LAG_FRACTION = 5  # lags 1 … ⌊n/5⌋ (Pyper & Peterman 1998)
MIN_EFFECTIVE_WEEKS = 4.0  # the Fisher interval needs N* > 3
CAVEAT = (
    "This is a correlation, not causation: weeks in which you study well may also be weeks "
    "with more time, less stress or easier material."
)


class ResultKind(StrEnum):
    """Where an academic result came from."""

    EXAM = "exam"
    VALIDATION = "validation"


@dataclass(frozen=True)
class AcademicResult:
    """One exam or validation result, 0–100, on the local date it was taken."""

    taken_on: date
    score: float
    kind: ResultKind

    def __post_init__(self) -> None:
        check_percent("score", self.score)


@dataclass(frozen=True)
class WeeklyPair:
    """One week: the behavioral score and the mean academic result."""

    week_start: date
    behavioral_score: float
    academic_mean: float
    results: int


@dataclass(frozen=True)
class AcademicCorrelation:
    """Pearson r with its p-value, Fisher-z interval and the sentence a learner reads."""

    r: float
    p_value: float
    ci_low: float
    ci_high: float
    weeks: int
    strength: str
    clear: bool
    summary: str
    pairs: tuple[WeeklyPair, ...]
    effective_weeks: float
    """N*: the independent weeks the paired weeks are worth (= weeks without shared persistence)."""
    caveat: str = CAVEAT

    def to_json(self) -> dict[str, object]:
        """JSON for the API."""
        return {
            "r": rounded(self.r),
            "pValue": rounded(self.p_value, 6),
            "ci95": [rounded(self.ci_low), rounded(self.ci_high)],
            "weeks": self.weeks,
            "effectiveWeeks": rounded(self.effective_weeks, 2),
            "strength": self.strength,
            "clear": self.clear,
            "summary": self.summary,
            "caveat": self.caveat,
            "pairs": [
                {
                    "weekStart": p.week_start.isoformat(),
                    "behavioralScore": rounded(p.behavioral_score, 2),
                    "academicMean": rounded(p.academic_mean, 2),
                    "results": p.results,
                }
                for p in self.pairs
            ],
        }


def weekly_pairs(
    scores: Sequence[tuple[date, float]], results: Sequence[AcademicResult]
) -> list[WeeklyPair]:
    """Weeks that have both a behavioral score and at least one result, oldest first."""
    by_week: dict[date, list[float]] = {}
    for r in results:
        by_week.setdefault(week_start(r.taken_on), []).append(r.score)
    pairs = []
    for start, score in sorted(scores):
        values = by_week.get(week_start(start))
        if values:
            pairs.append(
                WeeklyPair(week_start(start), score, sum(values) / len(values), len(values))
            )
    return pairs


def autocorrelation(values: Sequence[float], lag: int) -> float:
    """Sample autocorrelation at ``lag``: Σ (v_t − v̄)(v_{t+lag} − v̄) / Σ (v_t − v̄)² (0 if constant)."""
    v = np.asarray(values, dtype=float)
    d = v - v.mean()
    denom = float(d @ d)
    if denom == 0.0 or lag >= v.size:
        return 0.0
    return float(d[:-lag] @ d[lag:]) / denom if lag > 0 else 1.0


def effective_weeks(x: Sequence[float], y: Sequence[float]) -> float:
    """Pyper & Peterman's N*: ``1/N* = 1/n + (2/n)·Σ_k ((n − k)/n)·ρ_x(k)·ρ_y(k)``, within [4, n]."""
    n = len(x)
    shared = sum(
        (n - k) / n * autocorrelation(x, k) * autocorrelation(y, k)
        for k in range(1, n // AUTOCORRELATION_LAG_FRACTION + 1)
    )
    inverse = 1.0 / n + 2.0 / n * shared
    if inverse <= 1.0 / n:
        return float(n)
    return max(MIN_EFFECTIVE_WEEKS, min(float(n), 1.0 / inverse))


def fisher_interval(
    r: float, n: float, confidence_level: float = CONFIDENCE_LEVEL
) -> tuple[float, float]:
    """``tanh(atanh r ± z / √(n − 3))`` (n ≥ 4; n may be an effective, fractional count)."""
    if n < 4:
        raise ValueError("the Fisher interval needs n ≥ 4")
    z = math.atanh(max(-R_LIMIT, min(R_LIMIT, r)))
    half = float(stats.norm.ppf(0.5 + confidence_level / 2.0)) / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def pearson(
    x: Sequence[float], y: Sequence[float], n_effective: float | None = None
) -> tuple[float, float] | None:
    """(r, two-sided p with ``n_effective − 2`` degrees of freedom, default n − 2) or None when either series is constant."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    da, db = a - a.mean(), b - b.mean()
    denom = math.sqrt(float(da @ da) * float(db @ db))
    if denom == 0.0:
        return None
    r = max(-1.0, min(1.0, float(da @ db) / denom))
    n = float(len(a)) if n_effective is None else n_effective
    if abs(r) >= R_LIMIT:
        return r, 0.0
    t = r * math.sqrt((n - 2) / (1.0 - r * r))
    return r, float(2.0 * stats.t.sf(abs(t), n - 2))


def strength_label(r: float) -> str:
    """negligible / weak / moderate / strong by |r|."""
    size = abs(r)
    if size < NEGLIGIBLE_BELOW:
        return "negligible"
    if size < WEAK_BELOW:
        return "weak"
    if size < MODERATE_BELOW:
        return "moderate"
    return "strong"


def _summary(r: float, lo: float, hi: float, n: int, strength: str, clear: bool) -> str:
    numbers = f"(r = {r:.2f}, 95% interval {lo:.2f} to {hi:.2f}, {n} weeks)"
    if strength == "negligible" or not clear:
        return (
            "Your weekly behavioral score and your exam and validation results show no clear "
            f"link so far {numbers}."
        )
    direction = "higher" if r > 0 else "lower"
    return (
        f"A {strength} link: weeks with a higher behavioral score went with {direction} exam "
        f"and validation results {numbers}."
    )


def academic_correlation(
    scores: Sequence[tuple[date, float]], results: Sequence[AcademicResult]
) -> AcademicCorrelation | InsufficientData:
    """Weekly score vs results over the paired weeks; insufficient data below 8 weeks."""
    pairs = weekly_pairs(scores, results)
    if len(pairs) < MIN_WEEKS:
        return InsufficientData("weeksWithScoreAndResults", len(pairs), MIN_WEEKS)
    x, y = [p.behavioral_score for p in pairs], [p.academic_mean for p in pairs]
    n_star = effective_weeks(x, y)
    fitted = pearson(x, y, n_star)
    if fitted is None:
        varying = int(len(set(x)) > 1) + int(len(set(y)) > 1)
        return InsufficientData("seriesThatVary", varying, 2)
    r, p_value = fitted
    lo, hi = fisher_interval(r, n_star)
    clear = (lo > 0.0 or hi < 0.0) and p_value < SIGNIFICANCE_LEVEL
    strength = strength_label(r)
    return AcademicCorrelation(
        r=r,
        p_value=p_value,
        ci_low=lo,
        ci_high=hi,
        weeks=len(pairs),
        strength=strength,
        clear=clear,
        summary=_summary(r, lo, hi, len(pairs), strength, clear),
        pairs=tuple(pairs),
        effective_weeks=n_star,
    )
