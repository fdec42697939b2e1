"""Did an applied recommendation work? Its 2-week baseline vs its 2-week test period (ENGINE.md 5.6).

When a learner applies a recommendation the service stores, in
``applied_recommendations.baselineMetrics``, the summary of the outcome metric over the
14 days before ``appliedAt`` (:func:`window_summary`). Once the 14-day test period after
``appliedAt`` is over (:func:`evaluation_due`), :func:`evaluate_application` compares the
two windows:

- change = mean(test) − mean(baseline), in the metric's units, with Welch's 95% interval
  (unequal variances; the two windows are different weeks of one learner, so neither the
  variances nor the sample sizes need to match);
- IMPROVED only when the whole interval lies on the good side of 0 (the interval
  excludes "no change"); DECLINED when it lies wholly on the bad side; NEUTRAL otherwise
  — a recommendation is never credited for a change the data cannot tell from noise;
- effectiveness (the 0–1 ``effectiveness`` column) = the one-sided confidence that the
  change was for the better, ``F_t(change / se)`` with Welch's degrees of freedom
  (0.5 = no evidence either way);
- fewer than 5 observations in either window → :class:`InsufficientData`.

The metric per recommendation type is :data:`OUTCOME_METRIC_BY_TYPE` (the service turns
raw rows into one value per session or per day). A before/after comparison credits
anything else that changed in those four weeks too (a learner who is improving anyway,
an exam week): ``benchmarks/insights_quality.py`` measures how often that happens.

Known weakness, measured there (``engine.applied.calibration`` and
``applied.simulatorCohorts`` in the results): Welch's interval treats the sessions of a
window as independent draws around one level, but a learner's level wanders from
fortnight to fortnight (overload and burnout episodes, good and bad weeks). Where
following did nothing, the measured change spreads about 1.6 times as widely across
learners as the standard error claims (engine cohort, 10 simulated weeks), and the
simulated learners' scores also drift down by 2–4 points per fortnight. The interval is
therefore too narrow; false IMPROVED stays near 5% there partly because that drift
points the other way (learners who improve anyway: 8% / 18% false IMPROVED at +1 / +2
points a week, the benchmark's stress rows). The more episodes fall in the four weeks
around applying, the wider the wander: with every episode of the simulated learners
packed into them, IMPROVED falls from ~76% to ~65% of the truly helped. Widening the
interval honestly (a random-level variance estimated from learners who did not apply)
would make it calibrated at the cost of power, and subtracting the change of those
learners over the same weeks would remove the common drift; both need a comparison
cohort the evaluation does not read yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
from scipy import stats

from twin.analysis.common import InsufficientData
from twin.analysis.insights.common import rounded
from twin.analysis.patterns.study_time import welch_difference
from twin.enums import RecommendationType

BASELINE_WINDOW_DAYS = 14
TEST_PERIOD_DAYS = 14
MIN_OBSERVATIONS_PER_WINDOW = 5
EVALUATION_CONFIDENCE_LEVEL = 0.95
METHOD = (
    "mean of the 14-day test period − mean of the 14 days before applying, Welch's 95% "
    "interval; IMPROVED / DECLINED only when the interval excludes 0"
)


class Verdict(StrEnum):
    """The measured outcome of an applied recommendation (stored in ``currentMetrics.verdict``)."""

    IMPROVED = "IMPROVED"
    NEUTRAL = "NEUTRAL"
    DECLINED = "DECLINED"


@dataclass(frozen=True)
class OutcomeMetric:
    """What is measured to judge a recommendation: one value per session or per day."""

    name: str
    unit: str
    per: str
    higher_is_better: bool = True


SESSION_SCORE = OutcomeMetric("sessionScore", "points (0–100)", "session")
REVIEW_RECALL = OutcomeMetric("reviewRecallRate", "share recalled (0–1)", "day with reviews")
STUDIED_DAY = OutcomeMetric("studiedDay", "1 = studied that day, 0 = not", "day")
SESSION_PERFORMANCE = OutcomeMetric("sessionPerformance", "points (0–100)", "session")

# Each type is judged on what it promises to change: timing, length and experiments on the
# 5.1 session score, content on performance, retention on recall of due reviews, consistency
# on whether the learner studied each day.
OUTCOME_METRIC_BY_TYPE: dict[RecommendationType, OutcomeMetric] = {
    RecommendationType.STUDY_TIME_OPTIMIZATION: SESSION_SCORE,
    RecommendationType.SESSION_DURATION_ADJUSTMENT: SESSION_SCORE,
    RecommendationType.CONTENT_TYPE_BALANCE: SESSION_PERFORMANCE,
    RecommendationType.RETENTION_STRATEGY: REVIEW_RECALL,
    RecommendationType.CONSISTENCY_BUILDING: STUDIED_DAY,
    RecommendationType.EXPERIMENTAL_SUGGESTION: SESSION_SCORE,
}


@dataclass(frozen=True)
class Observation:
    """One value of the outcome metric and when it was observed."""

    at: datetime
    value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"value must be finite, got {self.value}")


@dataclass(frozen=True)
class EvaluationWindows:
    """The half-open windows [start, end) of one application."""

    baseline_start: datetime
    baseline_end: datetime
    test_start: datetime
    test_end: datetime


@dataclass(frozen=True)
class WindowSummary:
    """n, mean and sample standard deviation of one window (JSON for ``baselineMetrics``)."""

    n: int
    mean: float | None
    sd: float | None

    def to_json(self) -> dict[str, float | int | None]:
        """``{"n": 12, "mean": 71.5, "sd": 9.8}`` (mean/sd None when empty / single)."""
        return {
            "n": self.n,
            "mean": None if self.mean is None else rounded(self.mean),
            "sd": None if self.sd is None else rounded(self.sd),
        }


@dataclass(frozen=True)
class EvaluationResult:
    """The measured change, its interval and the verdict."""

    verdict: Verdict
    change: float
    ci_low: float
    ci_high: float
    standard_error: float
    df: float
    effectiveness: float
    baseline: WindowSummary
    test: WindowSummary
    higher_is_better: bool

    def to_json(self) -> dict[str, object]:
        """The ``currentMetrics`` JSON (the test window and the comparison)."""
        return {
            "verdict": str(self.verdict),
            "test": self.test.to_json(),
            "baseline": self.baseline.to_json(),
            "change": rounded(self.change),
            "ci95": [rounded(self.ci_low), rounded(self.ci_high)],
            "effectiveness": rounded(self.effectiveness),
            "higherIsBetter": self.higher_is_better,
            "method": METHOD,
        }


def evaluation_windows(applied_at: datetime) -> EvaluationWindows:
    """Baseline = the 14 days before ``applied_at``; test period = the 14 days from it."""
    return EvaluationWindows(
        baseline_start=applied_at - timedelta(days=BASELINE_WINDOW_DAYS),
        baseline_end=applied_at,
        test_start=applied_at,
        test_end=applied_at + timedelta(days=TEST_PERIOD_DAYS),
    )


def evaluation_due(applied_at: datetime, now: datetime) -> bool:
    """True once the whole test period is over."""
    return now >= evaluation_windows(applied_at).test_end


def split_windows(
    observations: Sequence[Observation], applied_at: datetime
) -> tuple[list[float], list[float]]:
    """(baseline values, test values): observations inside each half-open window, others dropped."""
    w = evaluation_windows(applied_at)
    ordered = sorted(observations, key=lambda o: (o.at, o.value))
    baseline = [o.value for o in ordered if w.baseline_start <= o.at < w.baseline_end]
    test = [o.value for o in ordered if w.test_start <= o.at < w.test_end]
    return baseline, test


def window_summary(values: Sequence[float]) -> WindowSummary:
    """n, mean and sample sd of a window's values."""
    arr = np.asarray(values, dtype=float)
    n = int(arr.size)
    mean = float(arr.mean()) if n else None
    sd = float(arr.std(ddof=1)) if n >= 2 else None
    return WindowSummary(n, mean, sd)


def baseline_metrics(
    values: Sequence[float],
    metric: OutcomeMetric,
    windows: EvaluationWindows,
    *,
    behavioral_score: float | None = None,
    avg_confidence: float | None = None,
    session_count: int | None = None,
) -> dict[str, object]:
    """The ``baselineMetrics`` JSON: the metric's baseline summary plus the seed's context keys."""
    return {
        "metric": metric.name,
        "unit": metric.unit,
        "per": metric.per,
        "windowStart": windows.baseline_start.isoformat(),
        "windowEnd": windows.baseline_end.isoformat(),
        **window_summary(values).to_json(),
        "behavioralScore": behavioral_score,
        "avgConfidence": avg_confidence,
        "sessionCount": session_count,
    }


def evaluate_application(
    baseline: Sequence[float],
    test: Sequence[float],
    *,
    higher_is_better: bool = True,
    confidence_level: float = EVALUATION_CONFIDENCE_LEVEL,
) -> EvaluationResult | InsufficientData:
    """IMPROVED / NEUTRAL / DECLINED from the two windows, or insufficient data below 5 each."""
    fewest = min(len(baseline), len(test))
    if fewest < MIN_OBSERVATIONS_PER_WINDOW:
        return InsufficientData("observationsPerWindow", fewest, MIN_OBSERVATIONS_PER_WINDOW)
    b = np.asarray(baseline, dtype=float)
    t = np.asarray(test, dtype=float)
    welch = welch_difference(t, b, confidence_level=confidence_level)
    sign = 1.0 if higher_is_better else -1.0
    good_low = min(sign * welch.ci_low, sign * welch.ci_high)
    good_high = max(sign * welch.ci_low, sign * welch.ci_high)
    if good_low > 0.0:
        verdict = Verdict.IMPROVED
    elif good_high < 0.0:
        verdict = Verdict.DECLINED
    else:
        verdict = Verdict.NEUTRAL
    good_change = sign * welch.difference
    if welch.standard_error == 0.0:
        effectiveness = 1.0 if good_change > 0 else (0.0 if good_change < 0 else 0.5)
    else:
        effectiveness = float(stats.t.cdf(good_change / welch.standard_error, welch.df))
    return EvaluationResult(
        verdict=verdict,
        change=welch.difference,
        ci_low=welch.ci_low,
        ci_high=welch.ci_high,
        standard_error=welch.standard_error,
        df=welch.df,
        effectiveness=effectiveness,
        baseline=window_summary(b.tolist()),
        test=window_summary(t.tolist()),
        higher_is_better=higher_is_better,
    )
