"""Measured effectiveness of personalization for one learner (and config) over a window.

From stored outcomes only (``personalization_outcomes``), compared with the learner's own
baseline window (the caller's choice; suggested: the same length just before the window,
or the weeks before personalization was switched on):

- **improvements**: mean retention (0–1), performance (0–100), completion (0–1) and
  engagement (0–100) in the window minus the baseline's (None when either side has none);
- **correlation**: Pearson r between the personalization level in effect (NONE 0, LOW 1,
  MEDIUM 2, HIGH 3; an outcome without personalization counts as NONE) and the outcome
  score, over baseline and window outcomes together; its two-sided p-value (t test with
  n − 2 degrees of freedom) and 95% interval ``tanh(atanh r ± 1.96/√(n − 3))`` (Fisher z).
  Significant when p < 0.05. No spread in the level (every outcome at one level) → no r;
  the answer says so;
- **outcome score** of one outcome: ``0.4·retention + 0.3·performance/100 +
  0.2·completion + 0.1·engagement/100``, weights renormalised over what was measured (the
  reward's weights, engagement in satisfaction's place: outcomes store no satisfaction);
- **composite score** (0–100, 50 = no change): 100 × the same weights over the
  improvements mapped like the reward's gains — retention and completion ``0.5 + Δ/0.4``,
  performance and engagement ``0.5 + Δ/40``, clipped to [0, 1].

Fewer than 10 outcomes in the window, or in the baseline: insufficient data (never zeros).
A before/after comparison also picks up anything else that changed between the windows
(an exam approaching, a new course); the correlation is evidence, not proof of cause.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from twin.analysis.common import InsufficientData
from twin.analysis.personalization.common import (
    Z_95,
    check_probability,
    check_range,
    clip01,
    rounded,
)
from twin.analysis.personalization.preferences import LEVEL_RANK
from twin.analysis.personalization.reward import (
    NEUTRAL_GAIN,
    PERFORMANCE_GAIN_AT_MAX_POINTS,
    RETENTION_GAIN_AT_MAX,
)
from twin.enums import PersonalizationLevel

MIN_OUTCOMES = 10
MIN_BASELINE_OUTCOMES = 10
SIGNIFICANCE_LEVEL = 0.05
SCORE_WEIGHTS: dict[str, float] = {
    "retention": 0.4,
    "performance": 0.3,
    "completion": 0.2,
    "engagement": 0.1,
}
PERCENT_MAX = 100.0
COMPOSITE_MAX = 100.0
# Change at which a component's composite part reaches 1 (its negative: 0).
CHANGE_AT_MAX: dict[str, float] = {
    "retention": RETENTION_GAIN_AT_MAX,
    "performance": PERFORMANCE_GAIN_AT_MAX_POINTS,
    "completion": RETENTION_GAIN_AT_MAX,
    "engagement": PERFORMANCE_GAIN_AT_MAX_POINTS,
}


@dataclass(frozen=True)
class OutcomeRecord:
    """One stored outcome (None: not measured) and the personalization level in effect."""

    level: PersonalizationLevel
    retention: float | None = None
    performance: float | None = None
    completion: float | None = None
    engagement: float | None = None

    def __post_init__(self) -> None:
        if self.retention is not None:
            check_probability("retention", self.retention)
        if self.completion is not None:
            check_probability("completion", self.completion)
        if self.performance is not None:
            check_range("performance", self.performance, 0.0, PERCENT_MAX)
        if self.engagement is not None:
            check_range("engagement", self.engagement, 0.0, PERCENT_MAX)

    def component(self, name: str) -> float | None:
        """The named component on its own scale."""
        value: float | None = getattr(self, name)
        return value


def outcome_score(o: OutcomeRecord) -> float | None:
    """Weighted [0, 1] score of one outcome over the components it has (None: none)."""
    parts = []
    for name, w in SCORE_WEIGHTS.items():
        v = o.component(name)
        if v is not None:
            scale = PERCENT_MAX if name in ("performance", "engagement") else 1.0
            parts.append((v / scale, w))
    if not parts:
        return None
    total = sum(w for _, w in parts)
    return sum(v * w for v, w in parts) / total


@dataclass(frozen=True)
class Correlation:
    """Pearson r with its p-value and 95% interval (Fisher z)."""

    r: float
    p_value: float
    low: float
    high: float
    n: int

    @property
    def significant(self) -> bool:
        """p < 0.05."""
        return self.p_value < SIGNIFICANCE_LEVEL

    def to_json(self) -> dict[str, Any]:
        """``{r, pValue, ci95, n}``."""
        return {
            "r": rounded(self.r),
            "pValue": rounded(self.p_value, 6),
            "ci95": [rounded(self.low), rounded(self.high)],
            "n": self.n,
        }


def pearson(x: Sequence[float], y: Sequence[float]) -> Correlation | None:
    """Pearson r, p-value and Fisher-z 95% interval; None without spread or under 4 pairs."""
    n = len(x)
    if n != len(y):
        raise ValueError("x and y must have the same length")
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if n < 4 or np.ptp(xa) == 0 or np.ptp(ya) == 0:
        return None
    result = stats.pearsonr(xa, ya)
    r = float(np.clip(result.statistic, -1.0, 1.0))
    p = float(result.pvalue)
    if abs(r) >= 1.0:
        return Correlation(r, p, r, r, n)
    z = math.atanh(r)
    half = Z_95 / math.sqrt(n - 3)
    return Correlation(r, p, math.tanh(z - half), math.tanh(z + half), n)


@dataclass(frozen=True)
class Effectiveness:
    """One ``personalization_effectiveness`` row's numbers."""

    sample_size: int
    baseline_size: int
    retention_improvement: float | None
    performance_improvement: float | None
    completion_rate_change: float | None
    engagement_change: float | None
    correlation: Correlation | None
    composite_score: float
    notes: tuple[str, ...]

    @property
    def significant(self) -> bool:
        """The level–outcome correlation is significant at 5%."""
        return self.correlation is not None and self.correlation.significant

    def to_json(self) -> dict[str, Any]:
        """The stored shape (camelCase, as the table's columns)."""

        def r4(v: float | None) -> float | None:
            return None if v is None else rounded(v)

        c = self.correlation
        return {
            "sampleSize": self.sample_size,
            "baselineSize": self.baseline_size,
            "retentionImprovement": r4(self.retention_improvement),
            "performanceImprovement": r4(self.performance_improvement),
            "completionRateChange": r4(self.completion_rate_change),
            "engagementChange": r4(self.engagement_change),
            "correlation": None if c is None else rounded(c.r),
            "pValue": None if c is None else rounded(c.p_value, 6),
            "confidenceInterval": None
            if c is None
            else {"low": rounded(c.low), "high": rounded(c.high), "level": 0.95},
            "compositeScore": rounded(self.composite_score, 2),
            "isStatisticallySignificant": self.significant,
            "notes": list(self.notes),
        }


def _mean(records: Sequence[OutcomeRecord], name: str) -> float | None:
    values = [v for o in records if (v := o.component(name)) is not None]
    return sum(values) / len(values) if values else None


def measure_effectiveness(
    window: Sequence[OutcomeRecord], baseline: Sequence[OutcomeRecord]
) -> Effectiveness | InsufficientData:
    """Improvement vs the baseline window, level–outcome correlation, composite score."""
    if len(window) < MIN_OUTCOMES:
        return InsufficientData("outcomes", len(window), MIN_OUTCOMES)
    if len(baseline) < MIN_BASELINE_OUTCOMES:
        return InsufficientData("baselineOutcomes", len(baseline), MIN_BASELINE_OUTCOMES)
    notes: list[str] = []
    changes: dict[str, float | None] = {}
    for name in SCORE_WEIGHTS:
        now, before = _mean(window, name), _mean(baseline, name)
        changes[name] = None if now is None or before is None else now - before
    parts = [
        (clip01(NEUTRAL_GAIN + d / (2 * CHANGE_AT_MAX[name])), SCORE_WEIGHTS[name])
        for name, d in changes.items()
        if d is not None
    ]
    if parts:
        total = sum(w for _, w in parts)
        composite = COMPOSITE_MAX * sum(s * w for s, w in parts) / total
    else:
        composite = COMPOSITE_MAX * NEUTRAL_GAIN
        notes.append("no component measured in both windows: composite 50 (no change)")
    xs: list[float] = []
    ys: list[float] = []
    for o in (*baseline, *window):
        s = outcome_score(o)
        if s is not None:
            xs.append(float(LEVEL_RANK[o.level]))
            ys.append(s)
    corr = pearson(xs, ys)
    if corr is None:
        notes.append(
            "no correlation: every outcome had the same personalization level (or the same score)"
        )
    return Effectiveness(
        sample_size=len(window),
        baseline_size=len(baseline),
        retention_improvement=changes["retention"],
        performance_improvement=changes["performance"],
        completion_rate_change=changes["completion"],
        engagement_change=changes["engagement"],
        correlation=corr,
        composite_score=composite,
        notes=tuple(notes),
    )
