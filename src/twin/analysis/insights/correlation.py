"""Academic correlation (ENGINE.md 5.6): weekly behavioral score vs exam and validation results.

Each week with a behavioral score and at least one academic result (exam or validation,
0–100, by the local date it was taken) is one pair: (score, mean of that week's results).
With at least 8 such weeks: Pearson r, its two-sided p-value (t with n − 2 degrees of
freedom), and the Fisher-z 95% interval ``tanh(atanh r ± 1.96 / √(n − 3))``. Fewer than
8 weeks, or no variation in one of the two series (r undefined), is
:class:`InsufficientData`.

Plain-language strength by |r| (Cohen's conventions): < 0.1 no meaningful link, < 0.3
weak, < 0.5 moderate, otherwise strong. A link is "clear" only when the interval excludes 0
*and* p < 0.05. The two almost always agree, but the Fisher-z interval is an approximation
that is slightly liberal at these sample sizes (without any link it excludes 0 for 5.10%
of learners at 8 weeks, 5.09% at 16, by the exact null distribution of r), while the
t-test of r is exact: requiring both keeps false "clear" links at 5%. Every
answer says that this is a correlation, not causation: weeks in which a learner studies
well may also be weeks with more time, less stress or easier material.

Caveat measured in ``benchmarks/insights_quality.py``: weekly values are not independent
(both series can drift over a term), which makes a "clear" link more likely than 5%
when there is none; the interval assumes independent weeks.
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
    caveat: str = CAVEAT

    def to_json(self) -> dict[str, object]:
        """JSON for the API."""
        return {
            "r": rounded(self.r),
            "pValue": rounded(self.p_value, 6),
            "ci95": [rounded(self.ci_low), rounded(self.ci_high)],
            "weeks": self.weeks,
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


def fisher_interval(
    r: float, n: int, confidence_level: float = CONFIDENCE_LEVEL
) -> tuple[float, float]:
    """``tanh(atanh r ± z / √(n − 3))`` (n ≥ 4)."""
    if n < 4:
        raise ValueError("the Fisher interval needs n ≥ 4")
    z = math.atanh(max(-R_LIMIT, min(R_LIMIT, r)))
    half = float(stats.norm.ppf(0.5 + confidence_level / 2.0)) / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def pearson(x: Sequence[float], y: Sequence[float]) -> tuple[float, float] | None:
    """(r, two-sided p) or None when either series is constant."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    da, db = a - a.mean(), b - b.mean()
    denom = math.sqrt(float(da @ da) * float(db @ db))
    if denom == 0.0:
        return None
    r = max(-1.0, min(1.0, float(da @ db) / denom))
    n = len(a)
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
    fitted = pearson(x, y)
    if fitted is None:
        varying = int(len(set(x)) > 1) + int(len(set(y)) > 1)
        return InsufficientData("seriesThatVary", varying, 2)
    r, p_value = fitted
    lo, hi = fisher_interval(r, len(pairs))
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
    )
